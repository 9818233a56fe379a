"""Which client an exchange belongs to, from the policy's sources in order.

* ``principal``: the caller's mesh identity, Envoy's ``source.principal``
  attribute (the peer's mTLS SAN), else the URI SAN of the last element of
  ``x-forwarded-client-cert``. Trust that header only where Envoy sanitises
  it from clients (its default, ``forward_client_cert_details: SANITIZE``).
* ``jwt``: the ``sub`` claim of a bearer JWT. The payload is decoded, the
  signature is NOT checked: verify tokens before this filter (Envoy's
  ``jwt_authn``) or a client can claim any subject.
* ``api_key``: the first configured header present (a bearer token that is
  not a JWT counts as a key).
* ``address``: the ``source.address`` attribute, without the port.
* ``host`` / ``route``: the request's host, or host and path: the last resort,
  which makes anonymous traffic to one upstream one client.

Only the keyed hash of ``source`` and identity is kept (``Client.id``); the
raw identity is looked at once, to find the client's group, and dropped.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from extproc.govern.keys import Hasher
from extproc.policy.model import OTHER_CLASS, Attribution

Headers = Mapping[str, str]
Attributes = Mapping[str, object]
MAX_TOKEN = 8192  # a longer bearer token is not decoded
NONE = "none"


@dataclass(frozen=True, slots=True)
class Client:
    id: str  # keyed hash of source and identity
    source: str  # which source named the client, or "none"
    group: str  # the policy's group, or "other": the only form in metrics


def strip_port(address: str) -> str:
    """``10.0.0.1:5555`` -> ``10.0.0.1``; ``[::1]:5555`` -> ``::1``."""
    if address.startswith("["):
        return address[1 : address.find("]")] if "]" in address else address
    host, sep, port = address.rpartition(":")
    return host if sep and port.isdigit() and ":" not in host else address


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside double quotes (XFCC values may be quoted)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def xfcc_uri(header: str) -> str | None:
    """The URI SAN of the last (nearest) element of an ``x-forwarded-client-cert``."""
    elements = [e for e in _split(header, ",") if e.strip()]
    if not elements:
        return None
    for pair in _split(elements[-1], ";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip().lower() == "uri" and value.strip():
            return value.strip()
    return None


def bearer(value: str) -> str:
    scheme, sep, token = value.strip().partition(" ")
    return token.strip() if sep and scheme.lower() == "bearer" else value.strip()


def jwt_subject(token: str) -> str | None:
    """The ``sub`` claim of a JWT, from its payload alone (no signature check)."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > MAX_TOKEN:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and sub else None


def _text(attributes: Attributes, name: str) -> str | None:
    value = attributes.get(name)
    return value if isinstance(value, str) and value else None


def _principal(config: Attribution, h: Headers, a: Attributes) -> str | None:
    principal = _text(a, "source.principal")
    if principal:
        return principal
    xfcc = h.get("x-forwarded-client-cert")
    return xfcc_uri(xfcc) if xfcc else None


def _jwt(config: Attribution, h: Headers, a: Attributes) -> str | None:
    value = h.get(config.jwt_header)
    return jwt_subject(bearer(value)) if value else None


def _api_key(config: Attribution, h: Headers, a: Attributes) -> str | None:
    for name in config.api_key_headers:
        value = h.get(name)
        if value and bearer(value):
            return bearer(value)
    return None


def _address(config: Attribution, h: Headers, a: Attributes) -> str | None:
    address = _text(a, "source.address")
    return strip_port(address) if address else None


def _host(config: Attribution, h: Headers, a: Attributes) -> str | None:
    host = h.get(":authority") or h.get("host")
    return strip_port(host.lower()) if host else None


def _route(config: Attribution, h: Headers, a: Attributes) -> str | None:
    host = _host(config, h, a) or ""
    path = h.get(":path", "").split("?", 1)[0]
    return f"{host}{path}" if host or path else None


_READERS: dict[str, Callable[[Attribution, Headers, Attributes], str | None]] = {
    "principal": _principal,
    "jwt": _jwt,
    "api_key": _api_key,
    "address": _address,
    "host": _host,
    "route": _route,
}


def identify(config: Attribution, headers: Headers, attributes: Attributes) -> tuple[str, str]:
    """(source, raw identity) from the first source that names the client."""
    for source in config.sources:
        identity = _READERS[source](config, headers, attributes)
        if identity:
            return source, identity
    return NONE, ""


def group_of(config: Attribution, source: str, identity: str) -> str:
    name = f"{source}:{identity}"
    for group in config.groups:
        if any(fnmatch.fnmatchcase(name, glob) for glob in group.clients):
            return group.name
    return OTHER_CLASS


def attribute(
    config: Attribution, headers: Headers, attributes: Attributes, hasher: Hasher
) -> Client:
    source, identity = identify(config, headers, attributes)
    return Client(hasher.client(source, identity), source, group_of(config, source, identity))
