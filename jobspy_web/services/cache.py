"""A small JSON cache: Redis when REDIS_URL is set, in-process otherwise, same rules for both.

Besides get, set and delete, an entry can be listed in a group (`set_in_group`), and a
group forgotten with all its entries at once (`delete_group`): the License Server keeps
each license's answers in a group and drops them when the license changes.
"""

from __future__ import annotations

import json
import threading
import time
from functools import lru_cache
from typing import Any, Protocol

import redis

from jobspy_web.settings import get_settings

__all__ = ["REDIS_PREFIX", "Cache", "MemoryCache", "RedisCache", "decode", "get_cache", "redis_key"]

REDIS_PREFIX = "jobspy:"


class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, *, ttl_s: float) -> None: ...
    def delete(self, *keys: str) -> None: ...
    def set_in_group(self, key: str, value: Any, *, ttl_s: float, group: str, group_ttl_s: float, max_entries: int) -> bool: ...
    def delete_group(self, group: str) -> None: ...


def redis_key(key: str) -> str:
    """Where `key` lives in Redis (for a caller reading it in its own round trip)."""
    return REDIS_PREFIX + key


def decode(payload: bytes | str) -> Any:
    """A value as stored in Redis, decoded as get() would."""
    return json.loads(payload)


def _encode(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


class MemoryCache:
    """Per-process cache with expiry; the embedded default (one process, no Redis)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, str]] = {}
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
        return json.loads(payload)

    def set(self, key: str, value: Any, *, ttl_s: float) -> None:
        payload = _encode(value)  # same serialisation as Redis: no shared objects
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_s, payload)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def set_in_group(self, key: str, value: Any, *, ttl_s: float, group: str, group_ttl_s: float, max_entries: int) -> bool:
        """set(), also listing `key` in `group`; unless the group lists `max_entries` others
        already: then nothing is set and the answer is False."""
        payload, now = _encode(value), time.monotonic()
        with self._lock:
            expires_at, members = self._groups.get(group, (0.0, set()))
            members = members if expires_at > now else set()
            if key not in members and len(members) >= max_entries:
                return False
            self._groups[group] = (now + group_ttl_s, members | {key})
            self._entries[key] = (now + ttl_s, payload)
        return True

    def delete_group(self, group: str) -> None:
        """Forget `group` and every entry it lists."""
        with self._lock:
            _, members = self._groups.pop(group, (0.0, set()))
            for key in members:
                self._entries.pop(key, None)


# KEYS: the entry, its group; ARGV: the value, its TTL, the group's TTL (ms), max_entries.
_SET_IN_GROUP = """
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


class RedisCache:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2, health_check_interval=30)
        self._set_in_group = self._client.register_script(_SET_IN_GROUP)

    def get(self, key: str) -> Any | None:
        payload: bytes | None = self._client.get(redis_key(key))  # type: ignore[assignment]
        return None if payload is None else json.loads(payload)

    def set(self, key: str, value: Any, *, ttl_s: float) -> None:
        self._client.set(redis_key(key), _encode(value), px=int(ttl_s * 1000))

    def delete(self, *keys: str) -> None:
        if keys:
            self._client.delete(*(redis_key(key) for key in keys))

    def set_in_group(self, key: str, value: Any, *, ttl_s: float, group: str, group_ttl_s: float, max_entries: int) -> bool:
        # One script, one round trip: check the group's size, list the key, set it.
        arguments: list[str | int] = [_encode(value), int(ttl_s * 1000), int(group_ttl_s * 1000), max_entries]
        return bool(self._set_in_group(keys=[redis_key(key), redis_key(group)], args=arguments))

    def delete_group(self, group: str) -> None:
        members: set[bytes] = self._client.smembers(redis_key(group))  # type: ignore[assignment]
        self._client.delete(redis_key(group), *members)


@lru_cache
def get_cache() -> Cache:
    url = get_settings().redis_url
    return RedisCache(url) if url else MemoryCache()
