"""Run one service: `causeway-serve identity` (or `python -m causeway.serve identity`).

Services register themselves under the `causeway.services` entry-point group,
so containers and host mode start every service the same way.
"""

from __future__ import annotations

import argparse
from importlib.metadata import entry_points

import uvicorn

from causeway.service import Service


def load_service(name: str) -> Service:
    found = entry_points(group="causeway.services", name=name)
    if not found:
        known = sorted(ep.name for ep in entry_points(group="causeway.services"))
        raise SystemExit(f"unknown service {name!r}; installed: {', '.join(known)}")
    return next(iter(found)).load()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a Causeway service.")
    parser.add_argument("service", help="service name, e.g. identity")
    args = parser.parse_args(argv)
    service = load_service(args.service)
    settings = service.settings()
    app = service.create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port or 0, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
