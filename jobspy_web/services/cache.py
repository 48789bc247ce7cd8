"""A small JSON cache: Redis when REDIS_URL is set, in-process otherwise, same rules for both."""

from __future__ import annotations

import json
import threading
import time
from functools import lru_cache
from typing import Any, Protocol

import redis

from jobspy_web.settings import get_settings


class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, *, ttl_s: float) -> None: ...
    def delete(self, *keys: str) -> None: ...


class MemoryCache:
    """Per-process cache with expiry; the embedded default (one process, no Redis)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, str]] = {}
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
        payload = json.dumps(value, default=str)  # same serialisation as Redis: no shared objects
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_s, payload)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)


class RedisCache:
    def __init__(self, url: str, *, prefix: str = "jobspy:") -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2, health_check_interval=30)
        self._prefix = prefix

    def get(self, key: str) -> Any | None:
        payload: bytes | None = self._client.get(self._prefix + key)  # type: ignore[assignment]
        return None if payload is None else json.loads(payload)

    def set(self, key: str, value: Any, *, ttl_s: float) -> None:
        self._client.set(self._prefix + key, json.dumps(value, default=str), px=int(ttl_s * 1000))

    def delete(self, *keys: str) -> None:
        if keys:
            self._client.delete(*(self._prefix + key for key in keys))


@lru_cache
def get_cache() -> Cache:
    url = get_settings().redis_url
    return RedisCache(url) if url else MemoryCache()
