"""Scorers: plain functions ``(text, start, end) -> confidence or None``, named in one table.

A scorer rates a match from the value and what lies around it, where a
yes/no validator cannot say enough: a name after "Dear" is surer than a bare
pair of capitalised words, ``password: changeme`` weaker than a random value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from extproc.detect.people import rate_name
from extproc.detect.places import rate_address
from extproc.detect.signal_scores import rate_injection, rate_profanity, rate_refusal
from extproc.detect.strength import strength

Scorer = Callable[[str, int, int], "float | None"]


def secret_strength(text: str, start: int, end: int) -> float | None:
    """``strength`` of the value: placeholders dropped, common passwords weak."""
    return strength(text[start:end])


SCORERS: Mapping[str, Scorer] = MappingProxyType(
    {
        "secret_strength": secret_strength,
        "person_name": rate_name,
        "postal_address": rate_address,
        "prompt_injection": rate_injection,
        "refusal": rate_refusal,
        "profanity": rate_profanity,
    }
)
