"""Command line: ``extproc serve``, ``extproc scan``, ``extproc policy check``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from extproc import settings as settings_mod


def _serve(args: argparse.Namespace) -> int:
    from extproc.telemetry import configure_logging
    from extproc.wire.server import serve

    try:
        settings = settings_mod.resolve(vars(args))
    except settings_mod.SettingsError as exc:
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(serve(settings))
    except OSError as exc:
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="extproc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the ext_proc gRPC server")
    settings_mod.add_arguments(serve)
    serve.set_defaults(func=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
