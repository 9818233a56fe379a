"""Time to first and last token of a streamed answer, through Envoy alone and
through Envoy with this server (default policy): the delay the filter adds.

The upstream streams an OpenAI-style SSE answer, one word per event at a
fixed pace; the client records when the first word and `[DONE]` arrive.
Medians over several runs; ratios come from the same run. Loopback only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extproc.demo.model import Reply, openai_sse  # noqa: E402
from harness.stack import (  # noqa: E402
    EXT_PROC_FILTER,
    Stack,
    running_stack,
)


def measure(stack: Stack, words: int, pace: float) -> tuple[float, float]:
    events = openai_sse([f"word{i} " for i in range(words)])
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "text/event-stream"),), chunks=events, chunk_delay=pace
    )
    started = time.perf_counter()
    first = last = 0.0
    with httpx.stream(
        "POST", f"{stack.url}/v1/chat/completions", json={"stream": True}, timeout=30
    ) as r:
        for piece in r.iter_raw():
            now = time.perf_counter() - started
            if not first and b"word" in piece:
                first = now
            if b"[DONE]" in piece:
                last = now
    return first, last


def run(label: str, stack: Stack, runs: int, words: int, pace: float) -> tuple[float, float]:
    measure(stack, 5, 0.0)  # warm up connections
    firsts, lasts = [], []
    for _ in range(runs):
        first, last = measure(stack, words, pace)
        firsts.append(first)
        lasts.append(last)
    f, last = statistics.median(firsts) * 1000, statistics.median(lasts) * 1000
    print(f"{label:<32} first token {f:8.2f} ms   last token {last:8.2f} ms", flush=True)
    return f, last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--words", type=int, default=60)
    parser.add_argument("--pace-ms", type=float, default=10.0)
    args = parser.parse_args()
    pace = args.pace_ms / 1000
    print(f"SSE answer: {args.words} events, one every {args.pace_ms:g} ms; median of {args.runs}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        alone = Path(tmp, "alone")
        alone.mkdir()
        with running_stack(alone, with_server=False, ext_proc={}) as stack:
            # Envoy alone: the same config without the ext_proc filter.
            assert stack.envoy is not None
            stack.envoy.stop()
            hcm = stack.config["static_resources"]["listeners"][0]["filter_chains"][0]
            filters = hcm["filters"][0]["typed_config"]["http_filters"]
            filters[:] = [f for f in filters if f["name"] != EXT_PROC_FILTER]
            from harness.stack import start_envoy

            stack.envoy = start_envoy(alone, stack.config, stack.admin)
            results["alone"] = run("Envoy alone", stack, args.runs, args.words, pace)
        served = Path(tmp, "served")
        served.mkdir()
        with running_stack(served, policy=ROOT / "policies/default.yaml") as stack:
            results["dlp"] = run("Envoy + extproc (default)", stack, args.runs, args.words, pace)
    (f0, l0), (f1, l1) = results["alone"], results["dlp"]
    print(f"added delay: first token {f1 - f0:+.2f} ms, last token {l1 - l0:+.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
