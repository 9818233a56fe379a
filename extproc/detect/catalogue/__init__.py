"""The built-in detectors, as data: one module per family, one entry per detector.

``classic`` holds the first sixteen (e-mail, cards, SSNs, phones, IPs, IBANs
and the best-known tokens). Each family module exports a tuple of
``DetectorSpec``; ``BUILTIN`` is all of them, in the order they are listed here.
"""

from __future__ import annotations

from extproc.detect.catalogue.classic import CLASSIC
from extproc.detect.spec import DetectorSpec

BUILTIN: tuple[DetectorSpec, ...] = (*CLASSIC,)
