"""Profile the server under load with py-spy: where does a request's CPU go?

    .venv/bin/python -m bench.profile [--policy policies/default.yaml | --noop]
        [--size 2000] [--kind clean] [--seconds 10]

Starts the same stack as ``bench.run`` (front Envoy, server, upstream Envoy),
drives it with wrk, samples the server with ``py-spy record`` (pip install
py-spy; needs ptrace, as root or with SYS_PTRACE), and prints the functions
with the most samples: self (the frame on top) and total (anywhere on the
stack), each with its file.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from bench.run import Bench, chat_body, measure

DEFAULT_POLICY = "policies/default.yaml"


def py_spy() -> str:
    found = Path(sys.executable).parent / "py-spy"
    if found.exists():
        return str(found)
    which = shutil.which("py-spy")
    if which is None:
        raise SystemExit("py-spy not found: .venv/bin/pip install py-spy")
    return which


def _frame(raw: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"
    name, _, where = raw.partition(" (")
    path = where.rsplit(":", 1)[0]
    for marker in ("/extproc/", "/site-packages/", "/lib/python3"):
        if marker in path:
            path = path[path.index(marker) + 1 :]
            break
    return f"{name} ({path})"


def summarise(collapsed: Path, top: int) -> list[str]:
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")[1:]]  # [0] is the thread
        if not frames:
            continue
        samples += count
        self_counts[frames[-1]] += count
        for name in set(frames):
            total_counts[name] += count
    lines = [f"{samples} samples (non-idle)", "", "self %  function (file)"]
    for name, count in self_counts.most_common(top):
        lines.append(f"{100 * count / samples:5.1f}  {name}")
    lines += ["", "total %  function (file)"]
    for name, count in total_counts.most_common(top):
        lines.append(f"{100 * count / samples:5.1f}  {name}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policy", default=DEFAULT_POLICY)
    parser.add_argument("--noop", action="store_true", help="profile the no-op processor")
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--kind", choices=["clean", "pii-dense"], default="clean")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="extproc-profile-") as tmp:
        workdir = Path(tmp)
        body = workdir / "body.json"
        body.write_bytes(chat_body(args.size, args.kind))
        b = Bench(workdir)
        try:
            b.start_upstream()
            server, port = b.server("server", None if args.noop else args.policy)
            front = b.front("envoy", port)
            pids = [server.proc.pid]
            measure(front.url, body, args.kind, 1, warmup=0)
            result = []
            load = threading.Thread(
                target=lambda: result.append(
                    measure(front.url, body, args.kind, args.seconds + 2, pids, warmup=0)
                )
            )
            load.start()
            collapsed = workdir / "profile.txt"
            record = [py_spy(), "record", "--pid", str(server.proc.pid), "--nonblocking"]
            record += ["--rate", str(args.rate), "--duration", str(int(args.seconds))]
            subprocess.run(
                [*record, "--format", "raw", "-o", str(collapsed)], check=True, capture_output=True
            )
            load.join()
        finally:
            b.close()
        r = result[0]
        print(f"{r.rps:,.0f} rps while sampling; server CPU {r.cpu_us_per_request:,.0f} µs/request")
        print("\n".join(summarise(collapsed, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
