"""One value per running event loop, for the connections the API keeps open
(infra.redis_scripts' pipelined connection, infra.pg_reads' asyncpg connections): asyncio
connections belong to the loop that made them (tests run many loops; a worker one).

With `close` (or `close_at_shutdown`, for infra.queue's SAQ client), a value is closed in
its own loop as that loop shuts down (asyncio.run, asyncio.Runner and anyio's portals call
loop.shutdown_asyncgens() before closing it): an async generator, kept per loop, holds the
value and closes it in its `finally`. Without it, connections left in a test's finished
loop are collected unclosed (ResourceWarning).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["PerLoop", "close_at_shutdown"]

T = TypeVar("T")


class PerLoop(Generic[T]):
    """One `make()` per running event loop: asyncio connections belong to the loop that made them."""

    def __init__(self, make: Callable[[], T], close: Callable[[T], Awaitable[None]] | None = None) -> None:
        self._make = make
        self._close = close
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        value = self._by_loop.get(loop)
        if value is None:
            value = self._by_loop[loop] = self._make()
            if self._close is not None:
                close_at_shutdown(functools.partial(self._close, value))
        return value

    def pop(self) -> T | None:
        """The running loop's value, forgotten (for closing it), or None if it has none."""
        return self._by_loop.pop(asyncio.get_running_loop(), None)


# The loop keeps its async generators only weakly: they are kept here, by loop.
_closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[AsyncGenerator[None, None]]] = weakref.WeakKeyDictionary()


def close_at_shutdown(close: Callable[[], Awaitable[None]]) -> None:
    """Have `close()` awaited in the running loop as it shuts down (see the module's docstring)."""
    _closers.setdefault(asyncio.get_running_loop(), []).append(_started(_closed_at_shutdown(close)))


async def _closed_at_shutdown(close: Callable[[], Awaitable[None]]) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await close()


def _started(generator: AsyncGenerator[None, None]) -> AsyncGenerator[None, None]:
    # Run to its first `yield` now (it doesn't wait there): the running loop's asyncgen
    # hook registers it, so loop.shutdown_asyncgens() will close it.
    step = generator.__anext__()
    with contextlib.suppress(StopIteration):
        step.send(None)  # type: ignore[attr-defined]
    return generator
