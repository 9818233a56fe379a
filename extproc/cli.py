"""Command line: ``extproc serve``, ``extproc scan``, ``extproc policy check``.

Argument parsing only: ``extproc.app`` runs the server, ``extproc.offline``
scans, ``extproc.policy.check`` checks. Exit status 2 means the command could
not do its work (bad arguments, a file it cannot read, an invalid policy),
said in one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from extproc import __version__
from extproc import settings as settings_mod

if TYPE_CHECKING:
    from extproc.policy.compile import CompiledPolicy
    from extproc.policy.model import Direction


class _Refused(Exception):
    """One line for stderr, then exit status 2."""


def _serve(args: argparse.Namespace) -> int:
    try:
        settings = settings_mod.resolve(vars(args))
    except settings_mod.SettingsError as exc:
        raise _Refused(f"extproc serve: {exc}") from None
    from extproc import app

    return app.serve(settings)


def _load_policy(path: str, name: str | None) -> CompiledPolicy:
    from extproc.policy.load import PolicyError
    from extproc.policy.store import load_policy_set

    try:
        policies = load_policy_set(path)
    except PolicyError as exc:
        for line in exc.errors[:-1]:
            print(line, file=sys.stderr)
        raise _Refused(exc.errors[-1]) from None
    if name is None:
        return policies.default
    chosen = policies.get(name)
    if chosen is None:
        raise _Refused(f"no policy named {name!r} in {path}")
    return chosen


@contextmanager
def _text_lines(path: str) -> Iterator[TextIO]:
    if path == "-":
        yield sys.stdin
        return
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise _Refused(f"extproc scan: {path}: cannot read: {exc.strerror}") from None
    with handle:
        yield handle


def _read_bytes(path: str | None) -> bytes:
    if path in (None, "-"):
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise _Refused(f"extproc scan: {path}: cannot read: {exc.strerror}") from None


def _scan(args: argparse.Namespace) -> int:
    from extproc import offline
    from extproc.policy.model import Direction

    policy = _load_policy(args.policy, args.policy_name)
    direction = Direction(args.direction)
    if args.jsonl is not None:
        return _scan_jsonl(args.jsonl, policy, direction, args.redact)
    result = offline.scan_bytes(policy, _read_bytes(args.file), direction)
    if args.redact and result.decision.blocked:
        # Printing the rest of a text the policy refuses would let it leave anyway.
        detectors = ", ".join(offline.blocking_detectors(result.decision))
        print(f"extproc scan: blocked: the policy blocks this text ({detectors})", file=sys.stderr)
    elif args.redact:
        sys.stdout.buffer.write(offline.redacted_bytes(policy, result))
    else:
        offline.write_text_report(sys.stdout, result.decision)
    return 1 if result.decision.blocked else 0


def _scan_jsonl(path: str, policy: CompiledPolicy, direction: Direction, redact: bool) -> int:
    from extproc import offline

    blocked = False
    with _text_lines(path) as source:
        try:
            for record in offline.scan_jsonl(policy, source, direction, redact):
                blocked = blocked or record.blocked
                sys.stdout.write(record.line + "\n")
        except offline.JsonlError as exc:
            raise _Refused(f"extproc scan: {path}: {exc}") from None
        except UnicodeDecodeError:
            raise _Refused(f"extproc scan: {path}: not UTF-8 text") from None
    return 1 if blocked else 0


def _policy_check(args: argparse.Namespace) -> int:
    from extproc.policy.check import check_files

    for path in args.files:
        if not os.path.exists(path):
            raise _Refused(f"extproc policy check: {path}: no such file or directory")
        if not os.access(path, os.R_OK):
            raise _Refused(f"extproc policy check: {path}: cannot read: permission denied")
    code, lines = check_files(args.files)
    for line in lines:
        print(line)
    return code


SCAN_HELP = """\
Report findings (detector, start, end, action, confidence; never values) or,
with --redact, print the text as the policy would rewrite it (pseudonymize
rules show the placeholders the server would send, such as <EMAIL_1>).

Exit status: 0 when the policy would let the text (every --jsonl record)
through, 1 when it would block it (any record), 2 when the scan could not run.
With --redact, a text the policy blocks is not printed at all: stderr says it
would be blocked and by which detectors. With --jsonl, each output record has
"blocked" and, with --redact, "redacted" (null for a blocked record).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="extproc", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"extproc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the ext_proc gRPC server")
    settings_mod.add_arguments(serve)
    serve.set_defaults(func=_serve)

    scan = sub.add_parser(
        "scan",
        help="scan text offline with a policy",
        description=SCAN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except _Refused as refused:
        print(refused, file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
