"""How governance is wired: Envoy's attributes reach the inspector factory as
plain values, settings refuse shared budgets without a shared key, the server
hands Redis in when asked to."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest
import redis

from extproc.app import governor
from extproc.govern.budgets import Charge
from extproc.settings import SettingsError, resolve
from extproc.verdicts import Inspector, PassInspector
from extproc.wire.inprocess import process
from extproc.wire.pb import external_processor_pb2 as pb
from extproc.wire.service import ExternalProcessor
from extproc.wire.translate import attributes_of
from harness.redis import RedisServer

NAMESPACE = "envoy.filters.http.ext_proc"
PASS = {"passthrough": "on"}  # settings need a policy or --passthrough


def first_message() -> pb.ProcessingRequest:
    req = pb.ProcessingRequest()
    req.request_headers.headers.headers.add(key=":path", raw_value=b"/v1/chat")
    req.request_headers.end_of_stream = True
    req.attributes[NAMESPACE].update(
        {
            "source.address": "10.0.0.7:41000",
            "source.principal": "spiffe://cluster.local/ns/a/sa/b",
            "connection.mtls": True,
        }
    )
    return req


def test_attributes_are_plain_values_by_name() -> None:
    assert attributes_of(first_message()) == {
        "source.address": "10.0.0.7:41000",
        "source.principal": "spiffe://cluster.local/ns/a/sa/b",
        "connection.mtls": True,
    }
    assert attributes_of(pb.ProcessingRequest()) == {}


def test_the_servicer_hands_attributes_to_the_factory() -> None:
    seen: list[tuple[Mapping[str, str], Mapping[str, object]]] = []

    def factory(metadata: Mapping[str, str], attributes: Mapping[str, object]) -> Inspector:
        seen.append((metadata, attributes))
        return PassInspector()

    async def collect() -> list[pb.ProcessingResponse]:
        return await process(ExternalProcessor(factory, NAMESPACE), [first_message()])

    responses = asyncio.run(asyncio.wait_for(collect(), 5))
    assert len(responses) == 1
    ((metadata, attributes),) = seen
    assert metadata == {}
    assert attributes["source.address"] == "10.0.0.7:41000"


def test_shared_budgets_need_a_shared_key() -> None:
    with pytest.raises(SettingsError, match="EXTPROC_REDIS_URL needs EXTPROC_HASH_KEY"):
        resolve(PASS, {"EXTPROC_REDIS_URL": "redis://127.0.0.1:1/0"})
    settings = resolve(
        PASS,
        {
            "EXTPROC_REDIS_URL": "redis://:pw@127.0.0.1:1/0",
            "EXTPROC_HASH_KEY": "s3cret",
            "EXTPROC_REDIS_TIMEOUT": "0.02",
        },
    )
    assert settings.redis_timeout == 0.02
    assert "s3cret" not in repr(settings) and "pw@" not in repr(settings)
    with pytest.raises(SettingsError, match="EXTPROC_REDIS_TIMEOUT"):
        resolve(PASS, {"EXTPROC_REDIS_TIMEOUT": "0"})


def test_server_hands_redis_in(redis_server: RedisServer) -> None:
    settings = resolve(PASS, {"EXTPROC_REDIS_URL": redis_server.url, "EXTPROC_HASH_KEY": "k"})
    shared = governor(settings)
    assert shared.hasher.shared
    shared.store.charge([Charge("p:b:wiring", ("x",), 5, 60)])
    assert redis.Redis.from_url(redis_server.url).exists("dlp:budget:{p:b:wiring}")
    local = governor(resolve(PASS, {}))
    assert not local.hasher.shared
