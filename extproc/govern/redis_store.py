"""Budgets in Redis, shared by every replica: the only module below ``wire``
that imports Redis. The server builds it when ``EXTPROC_REDIS_URL`` is set
and hands it in as a ``BudgetStore``.

One key per (policy, budget, client hash), and per window index for fixed
windows: ``dlp:budget:{POLICY:BUDGET:CLIENT}`` (a sorted set, member = value
hash, score = last seen in ms) or ``...}:INDEX`` (a set). The braces are a
Redis Cluster hash tag, so a fixed window's key lands in the same slot as the
key the script is given. One Lua script trims, counts, adds and sets the
expiry atomically, on Redis's own clock (``TIME``), so replicas with skewed
clocks agree on windows. All charges of one exchange direction go out in one
pipeline: one round trip. Every call is bounded by the socket timeouts and
is never retried; a failure raises ``BudgetUnavailable``.

The client is synchronous, like the inspector that calls it: the event loop
waits for the round trip (well under a millisecond to a nearby Redis, at
most the timeout), and only for a body that carries a value new to a budget.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError
from redis.retry import Retry

from extproc.govern.budgets import BudgetUnavailable, Charge, Outcome

log = logging.getLogger("extproc.govern")

PREFIX = "dlp:budget:"

# KEYS[1]: the window's key (fixed windows: the prefix of it).
# ARGV: window ms, limit, sliding (1/0), commit when over (1/0), value hashes...
# Returns {distinct values in the window counting these, exceeded (1/0)}.
SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local sliding = ARGV[3] == '1'
local key = KEYS[1]
local count = 0
local new = 0
if sliding then
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  count = redis.call('ZCARD', key)
  for i = 5, #ARGV do
    if not redis.call('ZSCORE', key, ARGV[i]) then new = new + 1 end
  end
else
  key = key .. ':' .. math.floor(now / window)
  count = redis.call('SCARD', key)
  for i = 5, #ARGV do
    if redis.call('SISMEMBER', key, ARGV[i]) == 0 then new = new + 1 end
  end
end
local total = count + new
local exceeded = total > limit
if (not exceeded) or ARGV[4] == '1' then
  for i = 5, #ARGV do
    if sliding then
      redis.call('ZADD', key, now, ARGV[i])
    else
      redis.call('SADD', key, ARGV[i])
    end
  end
  if sliding then
    redis.call('PEXPIRE', key, window)
  else
    redis.call('PEXPIREAT', key, (math.floor(now / window) + 1) * window)
  end
end
if exceeded then return {total, 1} end
return {total, 0}
"""
SCRIPT_SHA = hashlib.sha1(SCRIPT.encode()).hexdigest()


def redis_key(charge_key: str) -> str:
    return f"{PREFIX}{{{charge_key}}}"


class RedisBudgets:
    """A ``BudgetStore`` over one Redis (or a proxy in front of several)."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    @classmethod
    def from_url(cls, url: str, timeout: float) -> RedisBudgets:
        """``timeout`` bounds connecting and each round trip, in seconds."""
        client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # a retry would double the wait
            retry_on_timeout=False,
            health_check_interval=0,
            client_name="extproc-dlp",
        )
        return cls(client)

    def check(self) -> bool:
        """Load the script; False (logged) when Redis cannot be reached now."""
        try:
            self._client.script_load(SCRIPT)
        except (RedisError, OSError) as exc:
            log.warning("redis budget store unreachable", extra={"error": type(exc).__name__})
            return False
        return True

    def charge(self, charges: Sequence[Charge]) -> list[Outcome]:
        if not charges:
            return []
        try:
            replies = self._run(charges)
            if any(isinstance(r, NoScriptError) for r in replies):
                self._client.script_load(SCRIPT)  # Redis restarted or flushed its scripts
                replies = self._run(charges)
        except (RedisError, OSError) as exc:
            raise BudgetUnavailable(type(exc).__name__) from None
        out: list[Outcome] = []
        for reply in replies:
            if isinstance(reply, Exception) or not isinstance(reply, list) or len(reply) != 2:
                raise BudgetUnavailable(type(reply).__name__)
            out.append(Outcome(int(reply[0]), bool(int(reply[1]))))
        return out

    def _run(self, charges: Sequence[Charge]) -> list[Any]:
        pipe = self._client.pipeline(transaction=False)
        for c in charges:
            pipe.evalsha(
                SCRIPT_SHA,
                1,
                redis_key(c.key),
                c.window_seconds * 1000,
                c.limit,
                1 if c.sliding else 0,
                1 if c.commit_over else 0,
                *c.members,
            )
        replies: list[Any] = pipe.execute(raise_on_error=False)
        return replies

    def close(self) -> None:
        self._client.close()
