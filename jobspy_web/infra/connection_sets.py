"""One value per running event loop, for infra.redis_scripts' pipelined connection:
asyncio connections belong to the loop that made them (tests run many loops; a worker one).

The database side: infra.pg_connections.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["PerLoop"]

T = TypeVar("T")


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
