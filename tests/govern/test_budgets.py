"""Budget windows: the same semantics in memory and in a real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence

import pytest
import redis

from extproc.govern.budgets import (
    Breaker,
    BudgetStore,
    BudgetUnavailable,
    Charge,
    MemoryBudgets,
    Outcome,
)
from extproc.govern.redis_store import PREFIX, RedisBudgets, redis_key
from harness.redis import RedisServer
from harness.stack import free_port


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[BudgetStore]:
    if request.param == "memory":
        yield MemoryBudgets()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    budgets = RedisBudgets.from_url(server.url, 0.5)
    yield budgets
    budgets.close()


def key() -> str:
    return f"policy:budget:{uuid.uuid4().hex}"


def counts(outcomes: Sequence[Outcome]) -> list[tuple[int, bool]]:
    return [(o.count, o.exceeded) for o in outcomes]


@pytest.mark.parametrize("sliding", [True, False], ids=["sliding", "fixed"])
def test_distinct_values_up_to_the_limit(store: BudgetStore, sliding: bool) -> None:
    k = key()

    def charge(*members: str) -> tuple[int, bool]:
        (outcome,) = store.charge([Charge(k, members, 3, 3600, sliding)])
        return outcome.count, outcome.exceeded

    assert charge("a", "b") == (2, False)
    assert charge("b", "c") == (3, False)  # b again: not a new value
    assert charge("d") == (4, True)
    # d was refused, so it was not added: a known value still passes.
    assert charge("a") == (3, False)
    assert charge("d", "e") == (5, True)


@pytest.mark.parametrize("sliding", [True, False], ids=["sliding", "fixed"])
def test_alerting_budget_keeps_counting(store: BudgetStore, sliding: bool) -> None:
    k = key()

    def charge(member: str) -> tuple[int, bool]:
        (outcome,) = store.charge([Charge(k, (member,), 1, 3600, sliding, commit_over=True)])
        return outcome.count, outcome.exceeded

    assert [charge(m) for m in "abcb"] == [(1, False), (2, True), (3, True), (3, True)]


def test_several_charges_answer_in_order(store: BudgetStore) -> None:
    a, b, c = key(), key(), key()
    first = store.charge([Charge(a, ("x",), 1, 60), Charge(b, ("x", "y"), 1, 60, False)])
    assert counts(first) == [(1, False), (2, True)]
    second = store.charge([Charge(c, (), 1, 60), Charge(a, ("z",), 1, 60)])
    assert counts(second) == [(0, False), (2, True)]
    assert store.charge([]) == []


# -- windows over time (memory, with a clock; Redis below with short windows) -----


def test_sliding_window_forgets_values_last_seen_a_window_ago() -> None:
    clock = Clock()
    store = MemoryBudgets(clock)
    t0 = clock.now

    def at(t: float, *members: str) -> tuple[int, bool]:
        clock.now = t0 + t
        (outcome,) = store.charge([Charge("k", members, 2, 60)])
        return outcome.count, outcome.exceeded

    assert at(0, "a") == (1, False)
    assert at(30, "b") == (2, False)
    assert at(40, "c") == (3, True)
    assert at(50, "b") == (2, False)  # seen again: b now counts until 110
    assert at(61, "c") == (2, False)  # a (seen at 0) has left the window
    assert at(100, "d") == (3, True)
    assert at(112, "d") == (2, False)  # b left at 110


def test_fixed_window_resets_at_the_boundary() -> None:
    clock = Clock(3600 * 1000)  # on a boundary
    store = MemoryBudgets(clock)

    def at(t: float, *members: str) -> tuple[int, bool]:
        clock.now = 3600 * 1000 + t
        (outcome,) = store.charge([Charge("k", members, 2, 3600, sliding=False)])
        return outcome.count, outcome.exceeded

    assert at(0, "a", "b") == (2, False)
    assert at(3599, "c") == (3, True)
    assert at(3600, "c") == (1, False)  # a new window, counted from nothing
    assert at(3601, "a", "b") == (3, True)


def test_memory_is_bounded() -> None:
    clock = Clock()
    store = MemoryBudgets(clock, max_keys=3, max_members=2)
    for i in range(10):
        store.charge([Charge(f"k{i}", ("a",), 5, 60)])
    assert len(store) == 3
    outcome = store.charge([Charge("m", ("a", "b", "c"), 5, 60)])
    assert outcome[0].count == 3
    assert store.charge([Charge("m", ("d",), 5, 60)])[0].count == 3  # oldest dropped
    clock.now += 61
    store.charge([Charge("other", ("a",), 5, 60)])
    assert len(store) == 1  # expired windows are dropped as charges come


def test_redis_sliding_window_expires(redis_server: RedisServer) -> None:
    store = RedisBudgets.from_url(redis_server.url, 0.5)
    client = redis.Redis.from_url(redis_server.url)
    k = key()
    assert counts(store.charge([Charge(k, ("a",), 1, 1)])) == [(1, False)]
    ttl = client.pttl(redis_key(k))
    assert 0 < ttl <= 1000  # the key expires with its window
    assert counts(store.charge([Charge(k, ("b",), 1, 1)])) == [(2, True)]
    time.sleep(1.1)
    assert counts(store.charge([Charge(k, ("b",), 1, 1)])) == [(1, False)]


def test_redis_fixed_window_key_and_expiry(redis_server: RedisServer) -> None:
    store = RedisBudgets.from_url(redis_server.url, 0.5)
    client = redis.Redis.from_url(redis_server.url)
    k = key()
    store.charge([Charge(k, ("a", "b"), 5, 3600, sliding=False)])
    (name,) = client.keys(redis_key(k) + ":*")
    index = int(name.decode().rsplit(":", 1)[1])
    assert abs(index - time.time() // 3600) <= 1
    assert 0 < client.pttl(name) <= 3600 * 1000
    assert client.scard(name) == 2
    assert name.decode().startswith(PREFIX)
    # Only hashes the caller chose are stored: no values, no identities.
    assert sorted(client.smembers(name)) == [b"a", b"b"]


def test_redis_reloads_a_flushed_script(redis_server: RedisServer) -> None:
    store = RedisBudgets.from_url(redis_server.url, 0.5)
    redis.Redis.from_url(redis_server.url).script_flush()
    assert counts(store.charge([Charge(key(), ("a",), 1, 60)])) == [(1, False)]


# -- failures: bounded, never hanging -----------------------------------------------


def test_redis_down_fails_fast() -> None:
    store = RedisBudgets.from_url(f"redis://127.0.0.1:{free_port()}/0", 0.2)
    assert not store.check()
    started = time.monotonic()
    with pytest.raises(BudgetUnavailable):
        store.charge([Charge(key(), ("a",), 1, 60)])
    assert time.monotonic() - started < 0.5


def test_hung_redis_costs_at_most_the_timeout(redis_server: RedisServer) -> None:
    store = RedisBudgets.from_url(redis_server.url, 0.1)
    assert store.check()
    redis_server.pause()
    try:
        for _ in range(2):  # an open connection, then a fresh one
            started = time.monotonic()
            with pytest.raises(BudgetUnavailable):
                store.charge([Charge(key(), ("a",), 1, 60)])
            assert time.monotonic() - started < 0.5
    finally:
        redis_server.resume()
    assert counts(store.charge([Charge(key(), ("a",), 1, 60)])) == [(1, False)]


class Failing:
    def __init__(self) -> None:
        self.calls = 0
        self.fail = True

    def charge(self, charges: Sequence[Charge]) -> list[Outcome]:
        self.calls += 1
        if self.fail:
            raise BudgetUnavailable("down")
        return [Outcome(0, False) for _ in charges]


def test_breaker_fails_fast_then_tries_again() -> None:
    clock = Clock(0.0)
    inner = Failing()
    breaker = Breaker(inner, cooldown=1.0, clock=clock)
    attempt: Callable[[], list[Outcome]] = lambda: breaker.charge([Charge("k", ("a",), 1, 60)])  # noqa: E731
    for _ in range(3):
        with pytest.raises(BudgetUnavailable):
            attempt()
    assert inner.calls == 1  # the others did not wait for a store known to be down
    clock.now = 1.5
    inner.fail = False
    assert attempt() == [Outcome(0, False)]
    assert inner.calls == 2
