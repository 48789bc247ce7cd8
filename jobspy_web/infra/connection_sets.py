"""Connections kept per event loop, for the License Server's hot path.

The libraries' own pools cost more than the work on that path: redis-py's takes a lock
and probes the socket before every command, asyncpg's shields a new task and resets the
session on every release (measured: 60-100 µs of CPU per request, as much as the query).
A `ConnectionSet` is a list and a semaphore: take a connection, give it back, or drop it
when it can't be trusted (after closing it: the caller knows how).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["ConnectionSet", "PerLoop"]

T = TypeVar("T")


class ConnectionSet(Generic[T]):
    """At most `limit` connections at once, made on demand by `make`, reused newest first."""

    def __init__(self, make: Callable[[], Awaitable[T]], close: Callable[[T], Awaitable[object]], *, limit: int) -> None:
        self._make, self._close = make, close
        self._idle: list[T] = []
        self._slots = asyncio.BoundedSemaphore(limit)  # a slot given back twice is a bug: raise

    async def take(self) -> T:
        await self._slots.acquire()
        if self._idle:
            return self._idle.pop()
        try:
            return await self._make()
        except BaseException:
            self._slots.release()
            raise

    def give_back(self, connection: T) -> None:
        self._idle.append(connection)
        self._slots.release()

    def drop(self) -> None:
        """Free the slot of a connection taken and not given back."""
        self._slots.release()

    async def aclose(self) -> None:
        """Close the idle connections: call it once the work is done (the end of a test)."""
        idle, self._idle = self._idle, []
        results = await asyncio.gather(*(self._close(connection) for connection in idle), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result  # after every other connection was closed


class PerLoop(Generic[T]):
    """One `make()` per running event loop: asyncio connections belong to the loop that made them."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        value = self._by_loop.get(loop)
        if value is None:
            value = self._by_loop[loop] = self._make()
        return value

    def pop(self) -> T | None:
        """The running loop's value, forgotten (for closing it), or None if it has none."""
        return self._by_loop.pop(asyncio.get_running_loop(), None)
