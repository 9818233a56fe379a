"""Which certificate names ``--allowed-clients`` lets in (the glob rules), and
the settings it needs; the refusal itself is tested through real processes in
tests/e2e/test_callers.py."""

from __future__ import annotations

import pytest

from extproc.settings import SettingsError, resolve
from extproc.wire.callers import Allowed, identities

ALLOWED = Allowed(["spiffe://cluster.local/ns/*/sa/envoy", "*.proxies.test", "gw-?.example"])


@pytest.mark.parametrize(
    ("names", "allowed"),
    [
        (["spiffe://cluster.local/ns/edge/sa/envoy"], True),
        (["spiffe://cluster.local/ns/edge/sa/envoy-2"], False),  # the whole name must match
        (["spiffe://cluster.local/ns/a/b/sa/envoy"], False),  # `*` stays within one segment
        (["spiffe://cluster.local/ns//sa/envoy"], True),
        (["spiffe://evil.test/ns/edge/sa/envoy"], False),
        (["gateway.proxies.test"], True),
        (["proxies.test"], False),
        (["gw-1.example"], True),
        (["gw-12.example"], False),
        (["other.test", "spiffe://cluster.local/ns/x/sa/envoy"], True),  # any of its names
        ([], False),  # a certificate without names
    ],
)
def test_globs(names: list[str], allowed: bool) -> None:
    assert ALLOWED(names) is allowed


def test_dots_and_brackets_are_literal() -> None:
    assert not Allowed(["a.b"])(["aXb"])
    assert Allowed(["[x]"])(["[x]"]) and not Allowed(["[x]"])(["x"])


def test_identities_are_the_uri_and_dns_names_grpc_reports() -> None:
    auth = {
        "x509_common_name": [b"envoy"],
        "peer_uri": [b"spiffe://cluster.local/ns/a/sa/b"],
        "peer_dns": [b"a.example", b"b.example"],
        "peer_email": [b"x@example.org"],
    }
    assert identities(auth) == ("spiffe://cluster.local/ns/a/sa/b", "a.example", "b.example")
    assert identities({}) == ()


def test_allowed_clients_need_client_certificates() -> None:
    flags = {"passthrough": "on", "allowed_clients": "spiffe://x/*"}
    with pytest.raises(SettingsError, match="--allowed-clients needs --tls-client-ca"):
        resolve(flags, {})
    with pytest.raises(SettingsError, match="--allowed-clients: expected a comma-separated"):
        resolve({"passthrough": "on", "allowed_clients": " , "}, {})
