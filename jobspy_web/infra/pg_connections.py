"""A few asyncpg connections handed straight from one caller to the next: the License
Server's misses run one statement each on these.

asyncpg's Pool costs ~100 µs of CPU per query here with 32 callers on 4 connections, a
list of connections ~30 µs (bench/license_validate.py's miss: ~20% of its CPU). The pool
gives a connection back through a Queue and an `asyncio.shield`ed Task, so each hand-over
waits a few event-loop turns: the connection idles, and the loop pays for the turns. Here
a caller that finds none idle waits on a future that the next release resolves with its
connection, in the same turn.

Connecting (DSN, TLS, server settings, command_timeout), statements, their cache and
cancellation stay asyncpg's: a call cancelled or timed out mid-statement leaves its
connection to asyncpg, whose next statement on it waits for the cancel to finish. A
connection the server dropped (or that fails mid-protocol) is closed and its place freed;
the next caller opens a new one. The others are then replaced too as they come up: a
restart (or pg_terminate_backend) ends them all, and one may look fine until its next
statement. One the server ended while it sat idle is skipped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

__all__ = ["ConnectionList"]

# Errors after which a connection is still in step with the server: an error reply to the
# statement, or a caller that gave up (asyncpg cancels the statement on the server). Any
# other (a dropped socket, a protocol left mid-message, a server shutting down) closes it.
_STILL_IN_STEP = (asyncpg.PostgresError, TimeoutError, asyncio.CancelledError)
_CONNECTION_LOST = (asyncpg.PostgresConnectionError, asyncpg.AdminShutdownError, asyncpg.CannotConnectNowError)


class ConnectionList:
    """Up to `size` connections from `connect()`, opened as callers need them."""

    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]], size: int) -> None:
        self._connect = connect
        self._max_size = size
        self._idle: list[asyncpg.Connection] = []
        self._size = 0  # open or opening
        # Callers waiting: each gets a connection, or None for "a place is free: open one".
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._closed = False
        # Bumped when a connection is lost: the others may be too (a restart ends them all,
        # and one can look fine until its next statement), so none older is handed out again.
        self._generation = 0
        self._opened_in: dict[int, int] = {}  # id(connection) -> the generation it was opened in

    @property
    def size(self) -> int:
        return self._size

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        return await self._run(asyncpg.Connection.fetchrow, query, args)  # type: ignore[no-any-return]

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self._run(asyncpg.Connection.fetch, query, args)  # type: ignore[no-any-return]

    async def _run(self, method: Callable[..., Awaitable[Any]], query: str, args: tuple[Any, ...]) -> Any:
        connection = await self._acquire()
        try:
            result = await method(connection, query, *args)
        except BaseException as error:
            if isinstance(error, _STILL_IN_STEP) and not isinstance(error, _CONNECTION_LOST) and not connection.is_closed():
                self._release(connection)
            else:
                self._drop(connection)
                self._expire()
            raise
        self._release(connection)
        return result

    async def _acquire(self) -> asyncpg.Connection:
        connection = await self._next()
        if connection is not None and (connection.is_closed() or self._opened_in.get(id(connection)) != self._generation):
            self._forget(connection)  # ended by the server while idle, or opened before a loss: its place is ours
            connection.terminate()
            connection = None
        if connection is not None:
            return connection
        self._size += 1
        try:
            connection = await self._connect()
        except BaseException:
            self._size -= 1
            self._pass_on(None)
            raise
        self._opened_in[id(connection)] = self._generation
        return connection

    async def _next(self) -> asyncpg.Connection | None:
        """An idle connection, one handed over by a caller done with it, or None: a free place."""
        if self._idle:
            return self._idle.pop()
        if self._size < self._max_size:
            return None
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as we were cancelled
                self._pass_on(waiter.result())
            raise

    def _release(self, connection: asyncpg.Connection) -> None:
        if self._closed:
            self._drop(connection)
        else:
            self._pass_on(connection)

    def _drop(self, connection: asyncpg.Connection) -> None:
        self._forget(connection)
        connection.terminate()
        self._pass_on(None)

    def _forget(self, connection: asyncpg.Connection) -> None:
        self._size -= 1
        self._opened_in.pop(id(connection), None)

    def _expire(self) -> None:
        self._generation += 1
        idle, self._idle = self._idle, []
        for connection in idle:
            self._drop(connection)

    def _pass_on(self, connection: asyncpg.Connection | None) -> None:
        """`connection` (or a free place, None) to the first caller still waiting."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is not None:
            self._idle.append(connection)

    async def aclose(self) -> None:
        """Close the idle connections; those in use close as they come back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._forget(connection)
        await asyncio.gather(*(connection.close() for connection in idle), return_exceptions=True)
