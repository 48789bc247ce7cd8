"""Progress messages to every web worker: Redis pub/sub when REDIS_URL is set, in-process otherwise.

The database keeps the truth (a page that missed a message reads the rows); this only tells
the pages watching that something changed, so none polls the database every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

from jobspy_web.settings import get_settings

__all__ = ["Broadcast", "MemoryBroadcast", "RedisBroadcast", "get_broadcast"]

CHANNEL_PREFIX = "jobspy:events:"


class Broadcast(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[dict[str, Any]]]: ...


class MemoryBroadcast:
    """One process: subscribers' queues, fed on this event loop."""

    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscribers[channel].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[channel].discard(queue)
            if not self._subscribers[channel]:
                del self._subscribers[channel]


class RedisBroadcast:
    def __init__(self, url: str) -> None:
        self._redis = aioredis.Redis.from_url(url)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish(CHANNEL_PREFIX + channel, orjson.dumps(message))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(CHANNEL_PREFIX + channel)

        async def pump() -> None:
            async for raw in pubsub.listen():
                if raw.get("type") == "message":
                    queue.put_nowait(orjson.loads(raw["data"]))

        pumping = asyncio.create_task(pump())
        try:
            yield queue
        finally:
            pumping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pumping
            await pubsub.unsubscribe()
            await pubsub.aclose()

    async def aclose(self) -> None:
        await self._redis.aclose()


_BROADCASTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Broadcast] = weakref.WeakKeyDictionary()


def get_broadcast() -> Broadcast:
    """This event loop's broadcast (a redis.asyncio client belongs to one loop)."""
    loop = asyncio.get_running_loop()
    found = _BROADCASTS.get(loop)
    if found is None:
        url = get_settings().state_redis_url  # REDIS_STATE_URL, else REDIS_URL
        found = _BROADCASTS[loop] = RedisBroadcast(url) if url else MemoryBroadcast()
    return found
