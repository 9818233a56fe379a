"""The built-in detectors, as data: one module per family, one entry per detector.

``classic`` holds the first sixteen (e-mail, cards, SSNs, phones, IPs, IBANs
and the best-known tokens); ``providers`` service tokens by their published
prefixes; ``llm`` the model providers' keys; ``credentials`` passwords in
URLs and connection strings, auth headers, named secrets and key files;
``identity`` national, tax and health numbers; ``finance`` bank codes and
wallet addresses; ``personal`` names, addresses, birth dates, passports;
``signals`` content signals (prompt injection, refusals, profanity).
Each family module exports a tuple of ``DetectorSpec`` and a confidence table
in its docstring; ``BUILTIN`` is all of them, in the order listed here (on a
tie in confidence and span, the earlier detector names the finding, so
provider-specific detectors come before the structural ones).
"""

from __future__ import annotations

from extproc.detect.catalogue.classic import CLASSIC
from extproc.detect.catalogue.credentials import CREDENTIALS
from extproc.detect.catalogue.finance import FINANCE
from extproc.detect.catalogue.identity import IDENTITY
from extproc.detect.catalogue.llm import LLM
from extproc.detect.catalogue.personal import PERSONAL
from extproc.detect.catalogue.providers import PROVIDERS
from extproc.detect.catalogue.signals import SIGNALS
from extproc.detect.spec import DetectorSpec

BUILTIN: tuple[DetectorSpec, ...] = (
    *CLASSIC,
    *PROVIDERS,
    *LLM,
    *CREDENTIALS,
    *IDENTITY,
    *FINANCE,
    *PERSONAL,
    *SIGNALS,
)
