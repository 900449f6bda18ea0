"""The ``taocore`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _cmd_info(args: argparse.Namespace) -> int:
    from taocore.runtime import format_runtime, runtime_info

    info = runtime_info()
    print(json.dumps(info, indent=2) if args.json else format_runtime(info))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``taocore`` command."""
    parser = argparse.ArgumentParser(
        prog="taocore",
        description="Bittensor's signing, Yuma consensus and emission maths on a native core.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    info = sub.add_parser("info", help="print the runtime report (version, CPU, SIMD backend)")
    info.add_argument("--json", action="store_true", help="print the report as JSON")
    info.set_defaults(func=_cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``taocore`` command line; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except (RuntimeError, ValueError) as exc:
        print(f"taocore: error: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
