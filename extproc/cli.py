"""Command line: ``extproc serve``, ``extproc scan``, ``extproc policy check``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from extproc import settings as settings_mod

if TYPE_CHECKING:
    from extproc.policy.compile import CompiledPolicy


def _serve(args: argparse.Namespace) -> int:
    try:
        settings = settings_mod.resolve(vars(args))
    except settings_mod.SettingsError as exc:
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        # The supervisor never imports grpc: its children are spawned, not forked.
        from extproc.wire.workers import supervise

        return supervise(settings)
    return run_server(settings)


def _tag_log_records(worker: int) -> None:
    """Every log line of a worker says which one (``"worker": N``)."""

    def tag(record: logging.LogRecord) -> bool:
        record.worker = worker
        return True

    for handler in logging.getLogger().handlers:
        handler.addFilter(tag)


def run_server(
    settings: settings_mod.Settings,
    before_bind: Callable[[], None] | None = None,
    worker: int | None = None,
) -> int:
    """One server process (alone, or one worker of ``--workers N``): exit status."""
    from extproc.telemetry import TelemetryError, configure_logging, setup_telemetry
    from extproc.wire.server import serve

    configure_logging(settings.log_level, settings.log_format)
    if worker is not None:
        _tag_log_records(worker)
    from extproc.policy.load import PolicyError

    try:
        telemetry = setup_telemetry(settings)
    except TelemetryError as exc:
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the Prometheus endpoint cannot listen
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 1
    try:
        asyncio.run(serve(settings, recorder=telemetry.recorder, before_bind=before_bind))
    except PolicyError as exc:
        # A server must not start on a policy it cannot enforce.
        for line in exc.errors:
            print(line, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 1
    finally:
        # After the drain, so the last exchanges' metrics and spans go out too.
        telemetry.shutdown()
    return 0


def _load_policy(path: str, name: str | None) -> CompiledPolicy:
    from extproc.policy.load import PolicyError
    from extproc.policy.store import load_policy_set

    try:
        policies = load_policy_set(path)
    except PolicyError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        raise SystemExit(2) from None
    if name is None:
        return policies.default
    chosen = policies.get(name)
    if chosen is None:
        print(f"no policy named {name!r} in {path}", file=sys.stderr)
        raise SystemExit(2)
    return chosen


def _scan(args: argparse.Namespace) -> int:
    from extproc import offline
    from extproc.policy.model import Direction
    from extproc.rewrite.text import to_bytes, to_text

    policy = _load_policy(args.policy, args.policy_name)
    direction = Direction(args.direction)
    if args.jsonl is not None:
        source = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")  # noqa: SIM115
        try:
            for line in offline.scan_jsonl(policy, source, direction, args.redact):
                sys.stdout.write(line + "\n")
        except offline.JsonlError as exc:
            print(f"{args.jsonl}: {exc}", file=sys.stderr)
            return 2
        finally:
            if source is not sys.stdin:
                source.close()
        return 0
    if args.file in (None, "-"):
        data = sys.stdin.buffer.read()
    else:
        with open(args.file, "rb") as handle:
            data = handle.read()
    text = to_text(data)
    decision = offline.scan_text(policy, text, direction)
    if args.redact:
        redacted = offline.redact_text(policy, text, decision)
        sys.stdout.buffer.write(to_bytes(redacted))
    else:
        offline.write_text_report(sys.stdout, decision)
    return 1 if decision.blocked else 0


def _policy_check(args: argparse.Namespace) -> int:
    from extproc.policy.check import check_files

    code, lines = check_files(args.files)
    for line in lines:
        print(line)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="extproc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the ext_proc gRPC server")
    settings_mod.add_arguments(serve)
    serve.set_defaults(func=_serve)

    scan = sub.add_parser(
        "scan",
        help="scan text offline with a policy",
        description="Report findings (detector, start, end, action, confidence; never values) "
        "or, with --redact, print the text as the policy would rewrite it. Exit status 1 "
        "when the policy would block the text.",
    )
    scan.add_argument("--policy", required=True, help="policy file or directory")
    scan.add_argument("--policy-name", help="which policy of a directory (default: its default)")
    scan.add_argument("--direction", choices=["request", "response"], default="request")
    scan.add_argument("--redact", action="store_true", help="print the rewritten text")
    scan.add_argument(
        "--jsonl", metavar="FILE", help="JSON lines with 'id' and 'text'; one result line each"
    )
    scan.add_argument("file", nargs="?", help="text file (default: standard input)")
    scan.set_defaults(func=_scan)

    policy = sub.add_parser("policy", help="policy tools")
    policy_sub = policy.add_subparsers(dest="policy_command", required=True)
    check = policy_sub.add_parser("check", help="validate policy files offline")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(func=_policy_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
