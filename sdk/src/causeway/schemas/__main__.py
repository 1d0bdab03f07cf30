"""`python -m causeway.schemas check [--root DIR]`: what `make schemas-check` runs."""

from __future__ import annotations

import argparse
import sys

from causeway.schemas.check import check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m causeway.schemas", description="Causeway's event schemas.")
    commands = parser.add_subparsers(dest="command", required=True)
    check_command = commands.add_parser("check", help="versions compatible under their mode, examples valid")
    check_command.add_argument("--root", help="a schema folder laid out as the SDK's (default: the SDK's own)")
    args = parser.parse_args(argv)

    report = check(args.root)
    if not report.ok:
        for problem in report.problems:
            print(f"schemas-check: {problem}", file=sys.stderr)
        print(f"schemas-check: FAILED, {len(report.problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"schemas-check: ok: {report.subjects} event types, {report.versions} versions, "
        f"{report.examples} examples; every version compatible under its mode"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
