"""Requests signed with AWS Signature Version 4: what may not change in them.

A SigV4 signature covers the method, the path, the query, the headers named
in ``SignedHeaders`` and a hash of the body. The body hash is left out only
when ``x-amz-content-sha256`` says so (``UNSIGNED-PAYLOAD``, S3's unsigned
streaming); otherwise a changed body, like a changed path, query or signed
header, fails the upstream's check. Such a request can be passed or refused,
never rewritten.

A request not signed yet that carries ``x-amz-content-sha256`` with a hash
(a signer further on reads it) gets the hash of the rewritten body instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from extproc.verdicts import Headers

CONTENT_SHA256 = "x-amz-content-sha256"
_ALGORITHMS = ("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")  # SigV4 and SigV4a
_UNSIGNED = ("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
_SIGNED_HEADERS = re.compile(r"SignedHeaders=([^,\s]*)")
_HASH = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True, slots=True)
class Signature:
    """What a signed request's signature covers."""

    headers: frozenset[str]
    body: bool

    def covers(self, names: Iterable[str]) -> bool:
        """True if changing these headers (``:path``: the path or query) breaks it."""
        return any(name == ":path" or name in self.headers for name in names)


def signature_of(headers: Headers) -> Signature | None:
    """The signature of a request, from its ``authorization`` header or its
    query (a presigned URL); None if it is not SigV4-signed."""
    signed: str | None = None
    authorization = headers.get("authorization", "")
    if authorization.startswith(_ALGORITHMS):
        found = _SIGNED_HEADERS.search(authorization)
        signed = found.group(1) if found else ""
    else:
        path = headers.get(":path", "")
        if "X-Amz-Signature=" in path or "x-amz-signature=" in path.lower():
            query = dict((k.lower(), v) for k, v in parse_qsl(path.partition("?")[2]))
            if "x-amz-signature" in query:
                signed = query.get("x-amz-signedheaders", "")
    if signed is None:
        return None
    body = headers.get(CONTENT_SHA256, "").strip() not in _UNSIGNED
    return Signature(frozenset(h.strip().lower() for h in signed.split(";") if h.strip()), body)


def hash_to_update(headers: Headers) -> bool:
    """True for an unsigned request whose ``x-amz-content-sha256`` holds a
    body hash: the hash of a rewritten body must replace it."""
    return bool(_HASH.fullmatch(headers.get(CONTENT_SHA256, "").strip()))


def content_sha256(body: bytes) -> tuple[str, str]:
    """The header carrying ``body``'s hash."""
    return (CONTENT_SHA256, hashlib.sha256(body).hexdigest())
