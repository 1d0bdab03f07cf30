"""Bench-only app factory: one service, with or without the authentication dependency.

    python -m bench.serve billing            # exactly as `causeway-serve billing` builds it
    python -m bench.serve billing --no-auth  # the same app; `authenticated` replaced

The seam is FastAPI's own `app.dependency_overrides`: `causeway.auth.authenticated`
is a plain dependency (and `require_scope` depends on it), so overriding it here
replaces the introspection, the bearer parsing and the cache lookup with a fixed
principal, and nothing else changes. No setting, environment variable or code
path of the SDK or of a service can turn authentication off: the switch exists
only in this bench module, which no service imports or ships.

`--no-auth` takes the principal as the JSON body of an introspection answer in
BENCH_PRINCIPAL, so both variants serve the very same customer.
"""

from __future__ import annotations

import argparse
import json
import os

import uvicorn
from fastapi import FastAPI, Request

from causeway.auth import Principal, authenticated
from causeway.serve import load_service


def create_app(name: str, *, auth: bool = True) -> tuple[FastAPI, object]:
    service = load_service(name)
    settings = service.settings()
    app = service.create_app(settings)
    if not auth:
        principal = Principal.from_introspection(json.loads(os.environ["BENCH_PRINCIPAL"]))

        # async: it runs inline on the event loop. `authenticated` is a plain function, which FastAPI
        # runs in its thread pool; that hop is part of what authentication costs, so it is not kept here.
        async def fixed_principal(request: Request) -> Principal:
            request.state.principal = principal  # as `authenticated` leaves it
            return principal

        app.dependency_overrides[authenticated] = fixed_principal
    return app, settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service")
    parser.add_argument("--no-auth", action="store_true", help="replace `authenticated` (bench only)")
    args = parser.parse_args(argv)
    app, settings = create_app(args.service, auth=not args.no_auth)
    uvicorn.run(app, host=settings.host, port=settings.port or 0, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
