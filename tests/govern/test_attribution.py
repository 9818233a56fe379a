"""Who the client is: sources in order, keyed hashes only, bounded groups."""

from __future__ import annotations

import base64
import json

import pytest

from extproc.govern.attribution import (
    attribute,
    group_of,
    identify,
    jwt_subject,
    strip_port,
    xfcc_uri,
)
from extproc.govern.keys import Hasher, normalise_value
from extproc.policy.model import Attribution, ClientGroup

SPIFFE = "spiffe://cluster.local/ns/apps/sa/chat"
DEFAULT = Attribution()


def jwt(claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.not-a-signature"


XFCC = (
    "By=spiffe://cluster.local/ns/x/sa/a;Hash=ab12;URI=spiffe://outer,"
    'By=spiffe://cluster.local/ns/dlp/sa/gw;Hash=cd34;Subject="CN=chat, O=acme; x";'
    f"URI={SPIFFE};DNS=chat.apps"
)


@pytest.mark.parametrize(
    ("headers", "attributes", "expected"),
    [
        ({}, {"source.principal": SPIFFE, "source.address": "10.0.0.1:5"}, ("principal", SPIFFE)),
        ({"x-forwarded-client-cert": XFCC}, {}, ("principal", SPIFFE)),
        ({"authorization": "Bearer " + jwt({"sub": "user-42"})}, {}, ("jwt", "user-42")),
        ({"authorization": "Bearer sk-test-123"}, {}, ("api_key", "sk-test-123")),
        ({"x-api-key": "anthropic-key"}, {}, ("api_key", "anthropic-key")),
        # A JWT without sub is a bearer token like any other: a key.
        ({"authorization": "Bearer " + jwt({"iss": "x"})}, {}, ("api_key", None)),
        ({}, {"source.address": "10.1.2.3:4431", "source.principal": ""}, ("address", "10.1.2.3")),
        ({}, {"source.address": "[2001:db8::1]:443"}, ("address", "2001:db8::1")),
        (
            {":authority": "API.example.com:8443", ":path": "/v1/chat?x=1"},
            {},
            ("host", "api.example.com"),
        ),
        ({}, {}, ("none", "")),
    ],
    ids=[
        "principal-attribute",
        "xfcc-uri",
        "jwt-sub",
        "bearer-key",
        "x-api-key",
        "jwt-without-sub",
        "address",
        "address-v6",
        "host",
        "nothing",
    ],
)
def test_sources_in_default_order(
    headers: dict[str, str], attributes: dict[str, object], expected: tuple[str, str | None]
) -> None:
    source, identity = identify(DEFAULT, headers, attributes)
    assert source == expected[0]
    if expected[1] is not None:
        assert identity == expected[1]


def test_configured_order_and_route() -> None:
    config = Attribution(sources=("address", "principal"))
    both = {"source.principal": SPIFFE, "source.address": "10.0.0.9:1"}
    assert identify(config, {}, both) == ("address", "10.0.0.9")
    route = Attribution(sources=("route",))
    headers = {":authority": "llm:443", ":path": "/v1/chat/completions?stream=1"}
    assert identify(route, headers, {}) == ("route", "llm/v1/chat/completions")
    custom = Attribution(sources=("api_key",), api_key_headers=("x-team-key",))
    assert identify(custom, {"authorization": "Bearer a", "x-team-key": "t"}, {}) == (
        "api_key",
        "t",
    )


def test_jwt_payload_only_and_bounded() -> None:
    assert jwt_subject(jwt({"sub": "u1"})) == "u1"  # the signature is not checked
    assert jwt_subject("a.b") is None
    assert jwt_subject("a.!!!.c") is None
    assert jwt_subject("x." + "A" * 9000 + ".y") is None
    assert jwt_subject(jwt({"sub": 5})) is None


def test_xfcc_and_ports() -> None:
    assert xfcc_uri('Hash=1;Subject="a,b"') is None
    assert xfcc_uri("") is None
    assert strip_port("10.0.0.1:80") == "10.0.0.1"
    assert strip_port("10.0.0.1") == "10.0.0.1"
    assert strip_port("2001:db8::1") == "2001:db8::1"


def test_groups_are_the_only_label() -> None:
    config = Attribution(
        groups=(
            ClientGroup("batch", ("principal:spiffe://cluster.local/ns/batch/*",)),
            ClientGroup("partners", ("api_key:pk-partner-*", "address:10.9.*")),
        )
    )
    assert group_of(config, "principal", "spiffe://cluster.local/ns/batch/sa/x") == "batch"
    assert group_of(config, "api_key", "pk-partner-7") == "partners"
    assert group_of(config, "address", "10.9.0.1") == "partners"
    assert group_of(config, "address", "10.8.0.1") == "other"
    assert group_of(config, "jwt", "pk-partner-7") == "other"  # the source is part of the match


def test_client_keeps_only_a_keyed_hash() -> None:
    key = b"k" * 32
    headers = {"authorization": "Bearer sk-secret-value"}
    client = attribute(DEFAULT, headers, {}, Hasher(key))
    assert client.source == "api_key"
    assert client.group == "other"
    assert "sk-secret" not in repr(client)
    assert len(client.id) == 32 and int(client.id, 16) >= 0
    assert attribute(DEFAULT, headers, {}, Hasher(key)) == client  # same key, same id
    assert attribute(DEFAULT, headers, {}, Hasher(b"o" * 32)).id != client.id
    assert attribute(DEFAULT, headers, {}, Hasher()).id != client.id  # random per process


def test_value_hashes() -> None:
    h = Hasher(b"k" * 32)
    assert normalise_value("4111 1111-1111 1111") == "4111111111111111"
    assert h.value("pii/credit_card", "4111 1111 1111 1111") == h.value(
        "pii/credit_card", "4111111111111111"
    )
    assert h.value("pii/email", "Jane@Example.org") == h.value("pii/email", "jane@example.org")
    assert h.value("pii/email", "a@b.org") != h.value("pii/other", "a@b.org")
    assert h.client("api_key", "x") != h.value("api_key", "x")
    assert Hasher(b"k" * 32).shared and not Hasher().shared
