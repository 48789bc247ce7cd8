"""A small JSON cache: Redis when REDIS_URL is set, in-process otherwise, same rules for both.

Besides get, set and delete, an entry can be listed in a group (`set_in_group`), and a
group forgotten with all its entries at once (`delete_group`): the License Server keeps
each license's answers in a group and drops them when the license changes.

A group also has a generation, a number under `generation_key(group)` that every
delete_group raises. A writer that read it before looking something up passes it to
set_in_group, which then writes only if no delete_group came in between: so an answer
worked out before a change can't be cached after the change forgot the old ones.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

import orjson
import redis
import redis.exceptions
from redis.backoff import NoBackoff
from redis.retry import Retry

from jobspy_web.infra import redis_health
from jobspy_web.infra.redis_scripts import HotScript
from jobspy_web.settings import from_settings, get_settings

__all__ = ["REDIS_PREFIX", "Cache", "MemoryCache", "RedisCache", "decode", "generation_key", "get_cache", "redis_key"]

REDIS_PREFIX = "jobspy:"
# Longer than any entry lives: a generation that expired reads as 0 again, so an old
# reader must not still be about to write by then.
GENERATION_TTL_S = 2 * 3600


class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, *, ttl_s: float) -> None: ...
    def delete(self, *keys: str) -> None: ...
    async def get_many_async(self, *keys: str) -> list[Any | None]: ...
    def set_in_group(
        self, key: str, value: Any, *, ttl_s: float, group: str, group_ttl_s: float, max_entries: int, generation: int | None = None
    ) -> bool: ...
    async def set_in_group_async(
        self, key: str, value: Any, *, ttl_s: float, group: str, group_ttl_s: float, max_entries: int, generation: int | None = None
    ) -> bool: ...
    def delete_group(self, group: str) -> None: ...
    async def aclose(self) -> None: ...


def generation_key(group: str) -> str:
    """The key under which `group`'s generation can be read (absent: 0)."""
    return f"{group}:generation"


def redis_key(key: str) -> str:
    """Where `key` lives in Redis (for a caller reading it in its own round trip)."""
    return REDIS_PREFIX + key


def decode(payload: bytes | str) -> Any:
    """A value as stored in Redis, decoded as get() would."""
    return orjson.loads(payload)


def _encode(value: Any) -> bytes:
    # orjson: the License Server decodes an entry on every cache hit (~5x faster than json).
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


class MemoryCache:
    """Per-process cache with expiry; the embedded default (one process, no Redis)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._groups: dict[str, tuple[float, set[str]]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, payload = entry
            if expires_at <= time.monotonic():
                del self._entries[key]
                return None
        return decode(payload)

    def set(self, key: str, value: Any, *, ttl_s: float) -> None:
        payload = _encode(value)  # same serialisation as Redis: no shared objects
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_s, payload)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    async def get_many_async(self, *keys: str) -> list[Any | None]:
        """get() of each key, for the event loop (in-process: nothing to wait for)."""
        return [self.get(key) for key in keys]

    def set_in_group(
        self, key: str, value: Any, *, ttl_s: float, group: str, group_ttl_s: float, max_entries: int, generation: int | None = None
    ) -> bool:
        """set(), also listing `key` in `group`; unless the group lists `max_entries` others
        already, or its generation is no longer `generation` (when given): then nothing is
        set and the answer is False."""
        payload, now = _encode(value), time.monotonic()
        with self._lock:
            if generation is not None and self._generation(group) != generation:
                return False
            expires_at, members = self._groups.get(group, (0.0, set()))
            members = members if expires_at > now else set()
            if key not in members and len(members) >= max_entries:
                return False
            self._groups[group] = (now + group_ttl_s, members | {key})
            self._entries[key] = (now + ttl_s, payload)
        return True

    async def set_in_group_async(
        self, key: str, value: Any, *, ttl_s: float, group: str, group_ttl_s: float, max_entries: int, generation: int | None = None
    ) -> bool:
        return self.set_in_group(
            key, value, ttl_s=ttl_s, group=group, group_ttl_s=group_ttl_s, max_entries=max_entries, generation=generation
        )

    def delete_group(self, group: str) -> None:
        """Forget `group` and every entry it lists, and raise its generation."""
        with self._lock:
            _, members = self._groups.pop(group, (0.0, set()))
            for key in members:
                self._entries.pop(key, None)
            next_generation = self._generation(group) + 1
            self._entries[generation_key(group)] = (time.monotonic() + GENERATION_TTL_S, _encode(next_generation))

    async def aclose(self) -> None:
        pass

    def _generation(self, group: str) -> int:
        entry = self._entries.get(generation_key(group))
        return int(decode(entry[1])) if entry is not None and entry[0] > time.monotonic() else 0


# KEYS: the entry, its group, the group's generation; ARGV: the value, its TTL, the group's
# TTL (ms), max_entries, the generation expected ('' for any).
_SET_IN_GROUP = """
if ARGV[5] ~= '' and (redis.call('get', KEYS[3]) or '0') ~= ARGV[5] then
    return 0
end
if redis.call('sismember', KEYS[2], KEYS[1]) == 0 then
    if redis.call('scard', KEYS[2]) >= tonumber(ARGV[4]) then
        return 0
    end
    redis.call('sadd', KEYS[2], KEYS[1])
end
redis.call('pexpire', KEYS[2], ARGV[3])
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

# KEYS: the group, its generation; ARGV: the generation's TTL (ms).
_DELETE_GROUP = """
redis.call('incr', KEYS[2])
redis.call('pexpire', KEYS[2], ARGV[1])
for _, member in ipairs(redis.call('smembers', KEYS[1])) do
    redis.call('del', member)
end
redis.call('del', KEYS[1])
return 1
"""

# KEYS: the entries to read (a missing one comes back nil).
_GET_MANY = "return redis.call('mget', unpack(KEYS))"


class RedisCache:
    """Reads and writes degrade while Redis is unreachable (a read is a miss, a write is
    skipped: infra.redis_health); deletes still fail loudly, since a forgotten delete would
    leave a stale answer behind once Redis is back."""

    def __init__(self, url: str) -> None:
        # One retry at once (a pooled connection a Redis restart left dead), then the
        # caller's fallback: never seconds of backoff on a request.
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=2,
            socket_connect_timeout=1,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
        )
        self._set_in_group = self._client.register_script(_SET_IN_GROUP)
        self._set_in_group_async = HotScript(url, _SET_IN_GROUP)
        self._delete_group = self._client.register_script(_DELETE_GROUP)
        self._get_many_async = HotScript(url, _GET_MANY)

    def get(self, key: str) -> Any | None:
        if not redis_health.usable("cache"):
            redis_health.used_fallback("cache")
            return None
        try:
            payload: bytes | None = self._client.get(redis_key(key))  # type: ignore[assignment]
        except redis_health.REDIS_ERRORS as error:
            redis_health.failed("cache", error)
            return None
        return None if payload is None else decode(payload)

    async def get_many_async(self, *keys: str) -> list[Any | None]:
        """get() of each key in one round trip, on the event loop (pipelined, no thread);
        misses all round while Redis is unreachable, as get() does."""
        if not redis_health.usable("cache"):
            redis_health.used_fallback("cache")
            return [None] * len(keys)
        try:
            payloads: list[bytes | None] = await self._get_many_async.future([redis_key(key) for key in keys])
        except redis_health.REDIS_ERRORS as error:
            redis_health.failed("cache", error)
            return [None] * len(keys)
        return [None if payload is None else decode(payload) for payload in payloads]

    def set(self, key: str, value: Any, *, ttl_s: float) -> None:
        if not redis_health.usable("cache"):
            return
        try:
            self._client.set(redis_key(key), _encode(value), px=int(ttl_s * 1000))
        except redis_health.REDIS_ERRORS as error:
            redis_health.failed("cache", error)

    def delete(self, *keys: str) -> None:
        if keys:
            self._client.delete(*(redis_key(key) for key in keys))

    def set_in_group(
        self, key: str, value: Any, *, ttl_s: float, group: str, group_ttl_s: float, max_entries: int, generation: int | None = None
    ) -> bool:
        # One script, one round trip: check the generation and the group's size, list the key, set it.
        keys, arguments = _set_in_group_call(key, value, ttl_s, group, group_ttl_s, max_entries, generation)
        if not redis_health.usable("cache"):
            return False
        try:
            return bool(self._set_in_group(keys=keys, args=arguments))
        except redis_health.REDIS_ERRORS as error:
            redis_health.failed("cache", error)
            return False

    async def set_in_group_async(
        self, key: str, value: Any, *, ttl_s: float, group: str, group_ttl_s: float, max_entries: int, generation: int | None = None
    ) -> bool:
        keys, arguments = _set_in_group_call(key, value, ttl_s, group, group_ttl_s, max_entries, generation)
        if not redis_health.usable("cache"):
            return False
        try:
            return bool(await self._set_in_group_async.future(keys, arguments))
        except redis_health.REDIS_ERRORS as error:
            redis_health.failed("cache", error)
            return False

    async def aclose(self) -> None:
        """Close the running event loop's connection and the blocking client's (tests)."""
        await self._set_in_group_async.aclose()
        await self._get_many_async.aclose()
        self._client.close()

    def delete_group(self, group: str) -> None:
        keys = [redis_key(group), redis_key(generation_key(group))]
        self._delete_group(keys=keys, args=[GENERATION_TTL_S * 1000])


def _set_in_group_call(
    key: str, value: Any, ttl_s: float, group: str, group_ttl_s: float, max_entries: int, generation: int | None
) -> tuple[list[str], list[bytes | str | int]]:
    keys = [redis_key(key), redis_key(group), redis_key(generation_key(group))]
    expected = "" if generation is None else str(generation)
    return keys, [_encode(value), int(ttl_s * 1000), int(group_ttl_s * 1000), max_entries, expected]


@from_settings
def get_cache() -> Cache:
    url = get_settings().cache_redis_url  # REDIS_CACHE_URL, else REDIS_URL
    return RedisCache(url) if url else MemoryCache()
