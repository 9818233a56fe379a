"""`make soak MINUTES=N`: mixed traffic through the real stack for N minutes;
reports errors, leaks (a planted value seen where it must not be) and the
server's RSS over time. Not part of the tests (too long); bounded in time."""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extproc.demo.model import Received, Reply, openai_json, openai_sse  # noqa: E402
from harness.stack import Stack, running_stack  # noqa: E402

CARD = "4111 1111 1111 1111"
TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" + "k1L2m3N4o5P6q7R8"
EMAIL = "jane.doe@" + "contoso.org"
PLANTED = [CARD, CARD.replace(" ", ""), TOKEN, EMAIL]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def answer(received: Received) -> Reply:
    kind = received.headers.get("x-soak", "json")
    if kind == "sse":
        words = ["ok ", "key ", "AKIA", "IOSF", "ODNN", "7EXA", "MPLE", " card "]
        words += ["4111 ", "1111 ", "1111 ", "1111", "."]
        return Reply(headers=(("content-type", "text/event-stream"),), chunks=openai_sse(words))
    if kind == "gzip":
        body = gzip.compress(openai_json(f"mail {EMAIL} now"))
        return Reply(
            headers=(("content-type", "application/json"), ("content-encoding", "gzip")),
            chunks=(body,),
        )
    return Reply(headers=(("content-type", "application/json"),), chunks=(openai_json("fine"),))


def one(client: httpx.Client, stack: Stack, rng: random.Random, tally: Counter[str]) -> None:
    kind = rng.choice(["clean", "card", "secret", "sse", "gzip", "binary"])
    url = f"{stack.url}/v1/chat/completions"
    headers = {"x-soak": kind if kind in ("sse", "gzip") else "json"}
    content = {"card": f"pay {CARD}", "secret": f"use {TOKEN}"}.get(kind, "hello")
    body: bytes = json.dumps({"messages": [{"role": "user", "content": content}]}).encode()
    if kind == "binary":
        body = rng.randbytes(2048)
    r = client.post(url, content=body, headers=headers)
    expected = 403 if kind == "secret" else 200
    tally[f"{kind}:{r.status_code}"] += 1
    if r.status_code != expected:
        tally["errors"] += 1
    if any(v.encode() in r.content for v in PLANTED):
        tally["leaks"] += 1
    if kind in ("card", "secret") and stack.upstream.received:
        last = stack.upstream.received[-1].body
        if CARD.encode() in last or TOKEN.encode() in last:
            tally["leaks"] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    deadline = time.monotonic() + args.minutes * 60
    tally: Counter[str] = Counter()
    lock = threading.Lock()
    series: list[tuple[float, int]] = []
    with running_stack(Path(tempfile.mkdtemp()), policy=ROOT / "policies/default.yaml") as stack:
        stack.upstream.script = answer
        assert stack.server is not None
        pid = stack.server.proc.pid
        start = time.monotonic()

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            local: Counter[str] = Counter()
            with httpx.Client(timeout=10) as client:
                while time.monotonic() < deadline:
                    try:
                        one(client, stack, rng, local)
                    except httpx.HTTPError:
                        local["errors"] += 1
            with lock:
                tally.update(local)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            series.append((time.monotonic() - start, rss_kib(pid)))
            time.sleep(min(10.0, max(1.0, args.minutes * 60 / 30)))
        for t in threads:
            t.join()
        series.append((time.monotonic() - start, rss_kib(pid)))
    total = sum(v for k, v in tally.items() if ":" in k)
    print(f"requests: {total}, errors: {tally['errors']}, leaks: {tally['leaks']}")
    for key in sorted(k for k in tally if ":" in k):
        print(f"  {key}: {tally[key]}")
    print("server RSS (s, MiB):", ", ".join(f"{t:.0f}:{kib / 1024:.1f}" for t, kib in series))
    warm = [kib for t, kib in series if t > 30] or [kib for _, kib in series]
    growth = (warm[-1] - warm[0]) / warm[0] if warm and warm[0] else 0.0
    print(f"RSS growth after warm-up: {growth:+.1%}")
    return 1 if tally["errors"] or tally["leaks"] or growth > 0.2 else 0


if __name__ == "__main__":
    sys.exit(main())
