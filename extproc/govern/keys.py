"""Keyed hashes: the only form in which identities and values are kept.

Two keys, both HMAC-SHA256 and both a random key per process when none is
configured: the server's (``EXTPROC_HASH_KEY``) for the keyed hashes of
governance (``Hasher``), and a policy's (``hash_key_env``) for the ``hash``
action's output (``action_key``). Budgets shared by several replicas (Redis)
need the same key in every replica, or each counts the same client and
value under other names.
"""

from __future__ import annotations

import hashlib
import hmac
import os

KEY_ENV = "EXTPROC_HASH_KEY"
_DIGEST = 16  # bytes kept: 128 bits, collisions are not a concern at budget scale
_FOLD = str.maketrans("", "", " \t\r\n-")
_PROCESS_KEY = os.urandom(32)


def action_key(env_name: str | None) -> bytes:
    """The HMAC key of the ``hash`` action: the policy's environment
    variable ``env_name``, else a key of this process."""
    value = os.environ.get(env_name) if env_name else None
    return value.encode() if value else _PROCESS_KEY


def normalise_value(value: str) -> str:
    """One spelling per value: ``4111 1111-1111 1111`` and ``4111111111111111``
    count once, as do ``Jane@Example.org`` and ``jane@example.org``."""
    return value.translate(_FOLD).casefold()


class Hasher:
    """Keyed hashes of clients and values, as hex."""

    __slots__ = ("_key", "shared")

    def __init__(self, key: bytes | None = None) -> None:
        # ``shared``: configured by the operator (the same in every replica).
        self.shared = bool(key)
        self._key = key or os.urandom(32)

    def _hash(self, kind: bytes, *parts: str) -> str:
        message = kind + b"\0" + b"\0".join(p.encode("utf-8", "surrogatepass") for p in parts)
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_DIGEST].hex()

    def client(self, source: str, identity: str) -> str:
        return self._hash(b"client", source, identity)

    def value(self, detector: str, value: str) -> str:
        return self._hash(b"value", detector, normalise_value(value))

    def content(self, scope: str, text: str) -> str:
        """A cache key for a text (a judge's verdict on it): never the text itself."""
        return self._hash(b"content", scope, text)
