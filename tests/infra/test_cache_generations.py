"""infra.cache generations: what lets a writer that decided before a change skip caching
after it. Same rules in memory and in Redis (DB 10, flushed around each test)."""

import time
import uuid

import pytest
import redis
from db_helpers import close_loop_connections
from redis_helpers import redis_test_url

from jobspy_web.infra import cache as cache_module
from jobspy_web.infra.cache import GENERATION_TTL_S, MemoryCache, RedisCache, generation_key, get_cache, redis_key
from jobspy_web.licensing import licenses
from jobspy_web.settings import reset_process_state

REDIS_TEST_URL = redis_test_url(10)
TTL_S = 60.0
GROUP_TTL_S = 120.0


@pytest.fixture(params=["memory", "redis"])
def cache(request, monkeypatch):
    """The app's cache (get_cache()), in memory or in Redis DB 10."""
    url = REDIS_TEST_URL if request.param == "redis" else ""
    monkeypatch.setenv("REDIS_URL", url)
    if url:
        _flush()
    reset_process_state()
    chosen = get_cache()
    assert isinstance(chosen, RedisCache if url else MemoryCache)
    yield chosen
    if url:
        chosen._client.close()  # type: ignore[attr-defined]  (async tests closed theirs already)
        _flush()


def _flush() -> None:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def new_group() -> str:
    return f"test-generations:{uuid.uuid4().hex}:answers"


async def put(cache, via: str, key: str, value, *, group: str, generation: int | None, max_entries: int = 10) -> bool:
    """set_in_group or set_in_group_async, as `via` says."""
    arguments = {"ttl_s": TTL_S, "group": group, "group_ttl_s": GROUP_TTL_S, "max_entries": max_entries, "generation": generation}
    if via == "async":
        return await cache.set_in_group_async(key, value, **arguments)
    return cache.set_in_group(key, value, **arguments)


def generation(cache, group: str) -> int | None:
    return cache.get(generation_key(group))


def test_a_fresh_group_has_no_generation(cache):
    group = new_group()
    assert generation_key(group) == f"{group}:generation"
    assert generation(cache, group) is None  # read as 0 by the License Server


def test_each_delete_group_raises_the_generation_by_one_and_forgets_the_entries(cache):
    group, other_group = new_group(), new_group()
    cache.set_in_group("a", {"n": 1}, ttl_s=TTL_S, group=group, group_ttl_s=GROUP_TTL_S, max_entries=10)
    cache.set_in_group("b", {"n": 2}, ttl_s=TTL_S, group=group, group_ttl_s=GROUP_TTL_S, max_entries=10)
    cache.set_in_group("c", {"n": 3}, ttl_s=TTL_S, group=other_group, group_ttl_s=GROUP_TTL_S, max_entries=10)
    cache.set("d", "plain", ttl_s=TTL_S)
    cache.delete_group(group)
    assert (cache.get("a"), cache.get("b")) == (None, None)
    assert (cache.get("c"), cache.get("d")) == ({"n": 3}, "plain")  # only the group's entries
    assert generation(cache, group) == 1
    assert generation(cache, other_group) is None
    for expected in (2, 3, 4):
        cache.delete_group(group)  # an empty group too
        assert generation(cache, group) == expected
    assert type(generation(cache, group)) is int


@pytest.mark.parametrize("via", ["sync", "async"])
async def test_only_a_writer_at_the_current_generation_stores(cache, via):
    try:
        group = new_group()
        assert await put(cache, via, "k", {"v": "first"}, group=group, generation=0)  # absent counts as 0
        assert cache.get("k") == {"v": "first"}
        cache.delete_group(group)
        # A writer that read generation 0 before the delete must not bring its answer back.
        assert await put(cache, via, "k", {"v": "stale"}, group=group, generation=0) is False
        assert cache.get("k") is None
        assert await put(cache, via, "k", {"v": "ahead"}, group=group, generation=2) is False
        assert cache.get("k") is None
        assert await put(cache, via, "k", {"v": "current"}, group=group, generation=1)
        assert cache.get("k") == {"v": "current"}
        assert generation(cache, group) == 1  # writing never changes the generation
    finally:
        await close_loop_connections()


@pytest.mark.parametrize("via", ["sync", "async"])
async def test_a_refused_write_does_not_join_the_group(cache, via):
    try:
        group = new_group()
        cache.delete_group(group)  # generation 1
        assert await put(cache, via, "stale", 1, group=group, generation=0, max_entries=1) is False
        # Had "stale" been listed, the group would be full and this one refused.
        assert await put(cache, via, "fresh", 2, group=group, generation=1, max_entries=1)
        cache.delete_group(group)
        assert (cache.get("stale"), cache.get("fresh")) == (None, None)
    finally:
        await close_loop_connections()


@pytest.mark.parametrize("via", ["sync", "async"])
async def test_without_a_generation_the_generation_is_ignored(cache, via):
    try:
        group = new_group()
        assert await put(cache, via, "k", "no generation yet", group=group, generation=None)
        cache.delete_group(group)
        cache.delete_group(group)
        assert await put(cache, via, "k", "any generation", group=group, generation=None)
        assert cache.get("k") == "any generation"
        assert generation(cache, group) == 2
    finally:
        await close_loop_connections()


@pytest.mark.parametrize("via", ["sync", "async"])
async def test_max_entries_still_holds_at_the_current_generation(cache, via):
    try:
        group = new_group()
        cache.delete_group(group)
        assert await put(cache, via, "one", 1, group=group, generation=1, max_entries=2)
        assert await put(cache, via, "two", 2, group=group, generation=1, max_entries=2)
        assert await put(cache, via, "three", 3, group=group, generation=1, max_entries=2) is False
        assert cache.get("three") is None
        assert await put(cache, via, "two", 22, group=group, generation=1, max_entries=2)  # a member may be replaced
        assert cache.get("two") == 22
        cache.delete_group(group)  # empties the group: room again, at the new generation only
        assert await put(cache, via, "three", 3, group=group, generation=1, max_entries=2) is False
        assert await put(cache, via, "three", 3, group=group, generation=2, max_entries=2)
        assert await put(cache, via, "four", 4, group=group, generation=None, max_entries=2)
        assert await put(cache, via, "five", 5, group=group, generation=None, max_entries=2) is False
    finally:
        await close_loop_connections()


def test_the_generation_expires_after_generation_ttl_and_then_reads_as_zero(cache, monkeypatch):
    group = new_group()
    cache.delete_group(group)
    cache.delete_group(group)
    if isinstance(cache, RedisCache):
        client = redis.Redis.from_url(REDIS_TEST_URL)
        try:
            stored = redis_key(generation_key(group))
            assert (GENERATION_TTL_S - 5) * 1000 < client.pttl(stored) <= GENERATION_TTL_S * 1000
            client.pexpire(stored, 1)
            time.sleep(0.01)
            assert client.exists(stored) == 0
        finally:
            client.close()
    else:
        later = time.monotonic() + GENERATION_TTL_S - 5
        monkeypatch.setattr(cache_module.time, "monotonic", lambda: later)
        assert generation(cache, group) == 2  # not yet
        later += 10
        monkeypatch.setattr(cache_module.time, "monotonic", lambda: later)
    assert generation(cache, group) is None
    assert cache.set_in_group("k", 1, ttl_s=TTL_S, group=group, group_ttl_s=GROUP_TTL_S, max_entries=2, generation=0)
    cache.delete_group(group)
    assert generation(cache, group) == 1  # counted again from 0


def test_a_generation_outlives_every_license_answer():
    # A generation that expired reads as 0 again: no writer may still hold an older read by then.
    assert max(licenses.VALID_TTL_S, licenses.INVALID_TTL_S) < GENERATION_TTL_S


@pytest.mark.parametrize("cache", ["redis"], indirect=True)
def test_in_redis_every_delete_renews_the_generations_ttl_and_entries_keep_theirs(cache):
    group = new_group()
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        stored = redis_key(generation_key(group))
        cache.delete_group(group)
        client.pexpire(stored, 5000)
        cache.delete_group(group)
        assert client.pttl(stored) > (GENERATION_TTL_S - 5) * 1000
        assert client.get(stored) == b"2"
        assert cache.set_in_group("k", 1, ttl_s=TTL_S, group=group, group_ttl_s=GROUP_TTL_S, max_entries=2, generation=2)
        assert (TTL_S - 5) * 1000 < client.pttl(redis_key("k")) <= TTL_S * 1000
        assert (GROUP_TTL_S - 5) * 1000 < client.pttl(redis_key(group)) <= GROUP_TTL_S * 1000
        assert client.smembers(redis_key(group)) == {redis_key("k").encode()}
        cache.delete_group(group)
        assert client.exists(redis_key("k"), redis_key(group)) == 0
    finally:
        client.close()
