"""Container healthcheck: exit 0 only when the service's GET /readyz answers 200.

/readyz checks the service's database, LocalStack (STS GetCallerIdentity must
return the service's own account) and identity. The images have no curl
(python:*-slim ships none), so this uses the standard library only. The port is
$PORT, or the topology's port of $CAUSEWAY_SERVICE when PORT is unset.
"""

import os
import sys
import urllib.request


def port() -> str:
    if os.environ.get("PORT"):
        return os.environ["PORT"]
    from causeway import topology  # only PyYAML besides the standard library

    return str(topology.default().service(os.environ["CAUSEWAY_SERVICE"]).port)


def main() -> int:
    url = f"http://127.0.0.1:{port()}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:  # URLError, HTTPError (a 503 from /readyz), timeouts
        print(f"{url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
