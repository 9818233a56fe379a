"""The ``unscanned`` section's defaults: header and query parameter names
that are never scanned nor rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass

# Never scanned nor rewritten: the caller's own credentials to the upstream
# (a key sent where it belongs is no leak) and the proxies' forwarding headers
# (client addresses that the hops in between add).
UNSCANNED_HEADERS = (
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "x-amz-security-token",
    "cookie",
    "set-cookie",
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
)
UNSCANNED_QUERY = (
    "key",
    "api-key",
    "api_key",
    "x-amz-credential",
    "x-amz-signature",
    "x-amz-security-token",
)


@dataclass(frozen=True, slots=True)
class Unscanned:
    """``unscanned``: header names and query parameter names, lower case."""

    headers: frozenset[str] = frozenset(UNSCANNED_HEADERS)
    query_parameters: frozenset[str] = frozenset(UNSCANNED_QUERY)
