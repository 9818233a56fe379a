from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.redis import RedisServer, require_redis, running_redis


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    require_redis()
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server
