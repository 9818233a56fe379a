"""The seam for model-based recognisers, kept off the hot path. None is shipped.

The catalogue finds names and addresses without a model (lists, labels,
structure). A deployment that wants a model as well (a NER model it
installs itself, a call to a cloud DLP service) writes a ``Recognizer`` and
hands it to ``ModelPass``; ``build_scanner(..., model=...)`` runs the pass
beside the regex scan of every text (``extproc serve --recognizers``):

* the recogniser runs in a worker thread, started before the regex scan, so
  the two overlap (a model that releases the GIL, as ONNX or PyTorch do,
  costs the request only the time it takes beyond the regex scan);
* each text gets ``budget`` seconds: a recogniser that has not answered by
  then is abandoned for that text (its answer is dropped when it comes) and
  ``ModelPass.late`` counts it, so a slow model cannot slow the proxy;
* its findings count only for detectors the policy enables, and never where
  the catalogue already found something (catalogue evidence wins);
* every text the policy scans is sent, also those the gate clears: a model
  finds what the catalogue has no cue for.

``load_recognizers("package.module:factory")`` imports a factory that
returns a recogniser or several; see ``docs/recognizers.md``.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol, runtime_checkable

from extproc.detect.finding import Finding


@runtime_checkable
class Recognizer(Protocol):
    """A recogniser: text in, findings out (offsets into the text it was given)."""

    @property
    def detectors(self) -> frozenset[str]:
        """The detector ids it may report, e.g. ``{"pii/name", "pii/address"}``."""
        ...

    def recognize(self, text: str) -> Sequence[Finding]: ...


class ModelPass:
    """Recognisers run in worker threads with a time budget per text."""

    def __init__(
        self, recognizers: Sequence[Recognizer], budget: float = 0.05, workers: int = 1
    ) -> None:
        if budget <= 0:
            raise ValueError("budget must be positive")
        self.recognizers = tuple(recognizers)
        self.budget = budget
        self.thread_prefix = f"recognizer-{id(self):x}"
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=self.thread_prefix)
        self._lock = threading.Lock()
        self.late = 0  # recogniser calls abandoned at the budget
        self.failed = 0  # recogniser calls that raised

    def start(self, text: str, enabled: frozenset[str]) -> Callable[[], list[Finding]]:
        """Start the recognisers on ``text``; the returned call collects what came in time."""
        deadline = time.monotonic() + self.budget
        futures = [
            (r, self._pool.submit(r.recognize, text))
            for r in self.recognizers
            if r.detectors & enabled
        ]

        def collect() -> list[Finding]:
            found: list[Finding] = []
            for recognizer, future in futures:
                found += self._result(recognizer, future, deadline, enabled, len(text))
            return found

        return collect

    def _result(
        self,
        recognizer: Recognizer,
        future: Future[Sequence[Finding]],
        deadline: float,
        enabled: frozenset[str],
        size: int,
    ) -> Iterable[Finding]:
        try:
            found = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            future.cancel()
            with self._lock:
                self.late += 1
            return ()
        except Exception:  # a plug-in's failure must not fail the request
            with self._lock:
                self.failed += 1
            return ()
        allowed = recognizer.detectors & enabled
        return [f for f in found if f.detector in allowed and 0 <= f.start < f.end <= size]

    def close(self, wait: bool = True) -> None:
        """Stop the workers (``wait``: until a running recogniser call returns)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


def merge(found: list[Finding], extra: Iterable[Finding]) -> list[Finding]:
    """``found`` plus the ``extra`` findings that overlap none of it (nor each other)."""
    out = list(found)
    for finding in sorted(extra, key=lambda f: (-f.confidence, f.start)):
        if all(finding.end <= f.start or f.end <= finding.start for f in out):
            out.append(finding)
    return sorted(out, key=lambda f: f.start)


def factories(spec: str) -> list[tuple[str, Callable[[], object]]]:
    """The ``module:factory`` entries of ``spec``, imported but not called
    (a supervisor checks them without loading a model); ``ValueError`` names
    an entry that does not import."""
    out: list[tuple[str, Callable[[], object]]] = []
    for entry in (e.strip() for e in spec.split(",") if e.strip()):
        module, _, name = entry.partition(":")
        try:
            factory = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError) as e:
            raise ValueError(f"recognizer {entry!r}: cannot import: {e}") from None
        if not callable(factory):
            raise ValueError(f"recognizer {entry!r}: not a factory")
        out.append((entry, factory))
    if not out:
        raise ValueError("recognizers: no module:factory entry given")
    return out


def load_recognizers(spec: str) -> tuple[Recognizer, ...]:
    """Recognisers from ``module:factory`` entries, comma-separated.

    Each factory is called without arguments and returns one recogniser or an
    iterable of them; an entry that does not import or does not return
    recognisers raises ``ValueError`` naming the entry.
    """
    out: list[Recognizer] = []
    for entry, factory in factories(spec):
        made = factory()
        if isinstance(made, Recognizer):
            items: list[object] = [made]
        elif isinstance(made, Iterable) and not isinstance(made, str | bytes):
            items = list(made)
        else:
            items = []
        if not items or not all(isinstance(r, Recognizer) for r in items):
            raise ValueError(f"recognizer {entry!r}: the factory returned no Recognizer")
        out += [r for r in items if isinstance(r, Recognizer)]
    return tuple(out)
