#!/bin/bash
# Entry point of the LocalStack stand-in. Like the real image's entry point it runs
# boot.d shell hooks before LocalStack starts; start.d, ready.d and shutdown.d hooks
# are run by LocalStack itself (.py hooks inside its process, .sh as subprocesses).
set -eo pipefail
mkdir -p /var/lib/localstack /tmp/localstack
for f in /etc/localstack/init/boot.d/*.sh; do
    [ -e "$f" ] || continue
    echo "Running boot hook $f"
    bash "$f"
done
exec python -m localstack.runtime.main "$@"
