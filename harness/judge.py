"""A fake judge on loopback: a real HTTP server that speaks the two judge
APIs (OpenAI-compatible chat completions with Llama Guard's verdicts, and
moderations), and can be told to hang or fail.

The verdict is keyed on a word in the text judged: ``UNSAFE_WORD`` makes
a chat verdict ``unsafe`` with category ``S1`` (``S10`` with ``HATE_WORD``)
and a moderation result flagged for ``violence`` (``hate``). ``mode``:
``answer``, ``hang`` (sleeps ``hang_seconds``, bounded, before answering)
or ``fail`` (status 500). ``calls`` counts the requests served.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UNSAFE_WORD = "zorblax"
HATE_WORD = "gribnak"
MAX_HANG = 10.0


class FakeJudge:
    def __init__(self) -> None:
        self.mode = "answer"
        self.hang_seconds = 3.0
        self.calls = 0
        self.bodies: list[Any] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with judge._lock:
                    judge.calls += 1
                    judge.bodies.append(body)
                if judge.mode == "hang":
                    judge._stop.wait(min(judge.hang_seconds, MAX_HANG))
                if judge.mode == "fail":
                    self.send_response(500)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                answer = json.dumps(judge.verdict(self.path, body)).encode()
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    return  # the caller gave up (hang mode)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.chat_url = f"http://127.0.0.1:{self.port}/v1/chat/completions"
        self.moderation_url = f"http://127.0.0.1:{self.port}/v1/moderations"

    def verdict(self, path: str, body: Any) -> Any:
        text = json.dumps(body)
        unsafe, hate = UNSAFE_WORD in text, HATE_WORD in text
        if path.endswith("/moderations"):
            scores = {"violence": 0.93 if unsafe else 0.01, "hate": 0.88 if hate else 0.02}
            categories = {name: score >= 0.5 for name, score in scores.items()}
            result = {"flagged": unsafe or hate, "categories": categories,
                      "category_scores": scores}  # fmt: skip
            return {"id": "modr-1", "model": "fake", "results": [result]}
        codes = [c for c, on in (("S1", unsafe), ("S10", hate)) if on]
        content = "unsafe\n" + ",".join(codes) if codes else "safe"
        message = {"role": "assistant", "content": content}
        return {"id": "chat-1", "object": "chat.completion", "model": "fake",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}  # fmt: skip

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def running_judge() -> Iterator[FakeJudge]:
    judge = FakeJudge()
    thread = threading.Thread(target=judge.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield judge
    finally:
        judge.close()
        thread.join(5)


def wait_calls(judge: FakeJudge, n: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while judge.calls < n and time.monotonic() < deadline:
        time.sleep(0.01)
