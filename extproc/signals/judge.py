"""Judges: a second model asked about the prompt or the buffered answer.

A judge is an HTTP endpoint of an OpenAI-compatible API: ``chat`` (chat
completions; the verdict is Llama Guard's convention, ``safe`` or
``unsafe`` with a line of category codes such as ``S1,S10``) or
``moderation`` (``/v1/moderations``: flags and scores per category). Its
verdict becomes findings ``signal/judge:<category>``, decided by the
policy's rules like any other finding; a judge has no span to point at, so
its finding covers the whole text it read.

Every call is bounded: ``timeout`` seconds from the moment it is asked,
the wait for a free connection included (the call runs in a worker of this
object's pool and is abandoned at the deadline; ``late`` counts those). A
judge that hangs, fails or answers what cannot be read follows its
``on_error``: ``open`` lets the exchange pass (counted and logged),
``closed`` blocks it. Verdicts are cached by a keyed hash of the judge,
the direction and the text (``govern.keys``), never by the text itself.
A judge is a recogniser in the catalogue's sense (``detect.recognizers``:
text in, findings out) that runs after the policy's rewriting, so it only
ever sees text with redacted values already replaced.

Nothing here blocks the server's event loop: the servicer runs the
handling of a message that may ask a judge in its own thread pool
(``wire.service``); other streams go on being served.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import urllib3

from extproc.detect.catalogue.checks import JUDGE_PREFIX
from extproc.govern.keys import Hasher
from extproc.policy.judges import UNSAFE, categories_of
from extproc.policy.model import Direction, Judge, JudgeApi, OnError
from extproc.recording import NOOP, Recorder

log = logging.getLogger("extproc.judge")

# A verdict's confidence when the judge gives no score (chat judges).
VERDICT_CONFIDENCE = 0.9
# At most this much text is sent (the start of a long prompt or answer).
MAX_TEXT = 32 * 1024
_CACHE_SIZE = 4096
_MAX_ANSWER = 256 * 1024  # bytes read from a judge's answer


@dataclass(frozen=True, slots=True)
class Asked:
    """What a judge said: (detector id, confidence) pairs, or that it failed."""

    verdicts: tuple[tuple[str, float], ...] = ()
    failed: bool = False  # timed out, failed or unreadable: ``on_error`` applies
    outcome: str = "ok"  # ok | cached | timeout | error | busy


class JudgeError(Exception):
    """A judge's answer that cannot be read (the message names no content)."""


class Judges:
    """Process-wide: the connection pool, the worker pool and the verdict cache."""

    def __init__(self, hasher: Hasher, recorder: Recorder = NOOP, workers: int = 8) -> None:
        self._hasher = hasher
        self._recorder = recorder
        self._http = urllib3.PoolManager(num_pools=16, maxsize=workers, retries=False)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="judge")
        self._workers = workers
        self._busy = 0
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, tuple[tuple[str, float], ...]]] = OrderedDict()
        self.late = 0  # calls abandoned at their deadline

    def ask(self, judge: Judge, direction: Direction, text: str, context: str = "") -> Asked:
        """Ask ``judge`` about ``text`` (``context``: the prompt an answer replies to)."""
        text = text[:MAX_TEXT]
        key = self._hasher.content(f"judge:{judge.name}:{direction.value}", context + "\0" + text)
        cached = self._cached(key)
        if cached is not None:
            return self._said(judge, Asked(cached, outcome="cached"))
        with self._lock:
            if self._busy >= self._workers:
                # Every worker is waiting on a judge: waiting in line would
                # outlast the budget, so the fail mode applies at once.
                return self._said(judge, Asked(failed=True, outcome="busy"))
            self._busy += 1
        deadline = time.monotonic() + judge.timeout
        future: Future[tuple[tuple[str, float], ...]] = self._pool.submit(
            self._call, judge, direction, text, context, deadline
        )
        future.add_done_callback(self._release)
        try:
            verdicts = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            with self._lock:
                self.late += 1
            return self._said(judge, Asked(failed=True, outcome="timeout"))
        except Exception as exc:  # a judge's failure is a verdict of its own: on_error
            log.warning("judge failed", extra={"judge": judge.name, "error": type(exc).__name__})
            return self._said(judge, Asked(failed=True, outcome="error"))
        if judge.cache_seconds:
            self._remember(key, verdicts, judge.cache_seconds)
        return self._said(judge, Asked(verdicts))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.clear()

    # -- the call ----------------------------------------------------------

    def _call(
        self, judge: Judge, direction: Direction, text: str, context: str, deadline: float
    ) -> tuple[tuple[str, float], ...]:
        remaining = max(0.001, deadline - time.monotonic())
        headers = {"content-type": "application/json"}
        key = os.environ.get(judge.api_key_env) if judge.api_key_env else None
        if key:
            headers["authorization"] = f"Bearer {key}"
        body = _request(judge, direction, text, context)
        response = self._http.request(
            "POST",
            judge.url,
            body=json.dumps(body).encode(),
            headers=headers,
            timeout=urllib3.Timeout(connect=remaining, read=remaining),
            preload_content=False,
        )
        try:
            data = response.read(_MAX_ANSWER)
            if response.status != 200:
                raise JudgeError(f"status {response.status}")
        finally:
            response.release_conn()
        try:
            answer = json.loads(data)
        except ValueError:
            raise JudgeError("answer is not JSON") from None
        return read_verdict(judge, answer)

    def _release(self, _future: Future[Any]) -> None:
        with self._lock:
            self._busy -= 1

    # -- cache -------------------------------------------------------------

    def _cached(self, key: str) -> tuple[tuple[str, float], ...] | None:
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            expires, verdicts = entry
            if expires < time.monotonic():
                del self._cache[key]
                return None
            self._cache.move_to_end(key)
            return verdicts

    def _remember(self, key: str, verdicts: tuple[tuple[str, float], ...], seconds: int) -> None:
        with self._lock:
            self._cache[key] = (time.monotonic() + seconds, verdicts)
            self._cache.move_to_end(key)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)

    def _said(self, judge: Judge, asked: Asked) -> Asked:
        self._recorder.judge_call(judge.name, asked.outcome)
        if asked.failed:
            mode = "closed" if judge.on_error is OnError.CLOSED else "open"
            log.warning(
                "judge unavailable", extra={"judge": judge.name, "outcome": asked.outcome,
                                            "fail_mode": mode}
            )  # fmt: skip
        return asked


def _request(judge: Judge, direction: Direction, text: str, context: str) -> dict[str, Any]:
    if judge.api is JudgeApi.MODERATION:
        out: dict[str, Any] = {"input": text}
        if judge.model:
            out["model"] = judge.model
        return out
    if direction is Direction.REQUEST:
        messages = [{"role": "user", "content": text}]
    else:
        # Llama Guard judges an answer in its conversation: the prompt, then the answer.
        messages = [
            {"role": "user", "content": context or "(the prompt is not shown)"},
            {"role": "assistant", "content": text},
        ]
    return {"model": judge.model, "messages": messages, "max_tokens": 32, "temperature": 0}


def read_verdict(judge: Judge, answer: Any) -> tuple[tuple[str, float], ...]:
    """A judge's answer -> (detector id, confidence) pairs; empty: nothing flagged."""
    names = categories_of(judge)
    if judge.api is JudgeApi.MODERATION:
        return _moderation(judge, answer, names)
    try:
        content = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise JudgeError("no choices[0].message.content") from None
    if not isinstance(content, str):
        raise JudgeError("content is not text")
    lines = [line.strip() for line in content.strip().splitlines() if line.strip()]
    if not lines or lines[0].lower() not in ("safe", "unsafe"):
        raise JudgeError("verdict is neither safe nor unsafe")
    if lines[0].lower() == "safe":
        return ()
    codes = [c.strip() for line in lines[1:2] for c in line.split(",") if c.strip()]
    found = dict.fromkeys(names.get(code, UNSAFE) for code in codes) or {UNSAFE: None}
    return tuple((JUDGE_PREFIX + name, VERDICT_CONFIDENCE) for name in found)


def _moderation(judge: Judge, answer: Any, names: Any) -> tuple[tuple[str, float], ...]:
    try:
        result = answer["results"][0]
        flags = result.get("categories") or {}
        scores = result.get("category_scores") or {}
    except (KeyError, IndexError, TypeError, AttributeError):
        raise JudgeError("no results[0]") from None
    out: dict[str, float] = {}
    for category in set(flags) | set(scores):
        score = scores.get(category)
        flagged = flags.get(category) is True
        if isinstance(score, (int, float)) and score >= judge.threshold:
            confidence = float(score)
        elif flagged:
            confidence = (
                VERDICT_CONFIDENCE if not isinstance(score, (int, float)) else judge.threshold
            )
        else:
            continue
        name = names.get(category)
        if name is None:
            continue  # a category the policy does not map is not reported
        out[JUDGE_PREFIX + name] = max(out.get(JUDGE_PREFIX + name, 0.0), min(confidence, 1.0))
    return tuple(sorted(out.items()))


def verdict_ids(verdicts: Sequence[tuple[str, float]]) -> list[str]:
    return [detector for detector, _ in verdicts]
