"""ConnectionList: a few asyncpg connections handed from caller to caller, on a real
PostgreSQL: never more than its size, nothing lost to a caller that gave up, a dropped
connection replaced, a failed connect never leaving others waiting."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import make_url

from jobspy_web.infra.pg_connections import ConnectionList

pytestmark = [pytest.mark.postgresql, pytest.mark.timeout(30)]  # a waiter that never wakes is a failure, not a hang


@pytest.fixture
def dsn(postgres_url: str) -> str:
    return make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Opened:
    """connect() for a ConnectionList, counting what it opened."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.connections: list[asyncpg.Connection] = []
        self.fail_next = 0

    async def __call__(self) -> asyncpg.Connection:
        if self.fail_next:
            self.fail_next -= 1
            raise OSError("connection refused")
        connection = await asyncpg.connect(self.dsn, server_settings={"application_name": "pg-connections-test"})
        self.connections.append(connection)
        return connection


async def terminate(dsn: str, pid: int) -> None:
    """End the backend `pid`, as a restart or an operator would."""
    killer = await asyncpg.connect(dsn)
    try:
        await killer.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await killer.close()


async def test_many_callers_share_at_most_size_connections_and_all_get_their_rows(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=3)
    rows = await asyncio.gather(*(connections.fetchrow("SELECT $1::int AS n, pg_sleep(0.01)", n) for n in range(40)))
    assert [row["n"] for row in rows] == list(range(40))
    assert len(opened.connections) == 3
    assert connections.size == connections.idle == 3
    await connections.aclose()
    assert connections.size == 0 and all(connection.is_closed() for connection in opened.connections)


async def test_an_error_reply_keeps_the_connection(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=2)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await connections.fetchrow("SELECT 1 / 0")
    assert (await connections.fetchrow("SELECT 2 AS n"))["n"] == 2
    assert len(opened.connections) == 1 and connections.size == connections.idle == 1
    await connections.aclose()


async def test_a_connection_the_server_ended_is_dropped_and_the_next_call_opens_another(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=2)
    await connections.fetchrow("SELECT 1")
    await terminate(dsn, opened.connections[0].get_server_pid())
    try:  # fails, unless asyncpg already read the server's goodbye (then it is skipped)
        await connections.fetchrow("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError):
        assert connections.size == 0  # its place is free
    assert (await connections.fetchrow("SELECT 3 AS n"))["n"] == 3
    assert len(opened.connections) == 2 and opened.connections[0].is_closed() and connections.size == 1
    await connections.aclose()


async def test_a_failed_connect_frees_its_place_for_a_waiting_caller(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=1)
    opened.fail_next = 1
    first = asyncio.create_task(connections.fetchrow("SELECT 1 AS n"))
    second = asyncio.create_task(connections.fetchrow("SELECT 2 AS n"))  # waits: the one place is taken
    with pytest.raises(OSError):
        await first
    assert (await second)["n"] == 2  # it opened the connection itself
    assert connections.size == 1
    await connections.aclose()


async def test_a_caller_cancelled_while_waiting_loses_no_connection(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=1)
    busy = asyncio.create_task(connections.fetchrow("SELECT pg_sleep(0.2)"))
    await asyncio.sleep(0.05)
    gave_up = asyncio.create_task(connections.fetchrow("SELECT 1"))
    waits = asyncio.create_task(connections.fetchrow("SELECT 2 AS n"))
    await asyncio.sleep(0.01)
    gave_up.cancel()
    await busy
    assert (await waits)["n"] == 2  # the connection skipped the caller that gave up
    with pytest.raises(asyncio.CancelledError):
        await gave_up
    assert len(opened.connections) == 1 and connections.size == connections.idle == 1
    await connections.aclose()


async def test_a_connection_handed_to_a_caller_as_it_is_cancelled_goes_to_the_next(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=1)
    held = await connections._acquire()
    unlucky = asyncio.create_task(connections._acquire())
    next_in_line = asyncio.create_task(connections.fetchrow("SELECT 3 AS n"))
    await asyncio.sleep(0.01)  # both wait
    connections._release(held)  # handed to `unlucky`, which has not run yet...
    unlucky.cancel()  # ...and is cancelled before it does
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    assert (await next_in_line)["n"] == 3
    assert len(opened.connections) == 1 and connections.size == connections.idle == 1
    await connections.aclose()


async def test_a_caller_cancelled_mid_statement_leaves_a_usable_connection(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=1)
    slow = asyncio.create_task(connections.fetchrow("SELECT pg_sleep(5)"))
    await asyncio.sleep(0.2)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    # asyncpg cancelled the statement on the server; the same connection answers next.
    assert (await asyncio.wait_for(connections.fetchrow("SELECT 5 AS n"), 3))["n"] == 5
    assert len(opened.connections) == 1
    await connections.aclose()


async def test_a_connection_in_use_at_close_is_closed_when_it_comes_back(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=2)
    running = asyncio.create_task(connections.fetchrow("SELECT pg_sleep(0.1)"))
    await asyncio.sleep(0.05)
    await connections.aclose()
    await running
    assert connections.size == 0 and opened.connections[0].is_closed()


async def test_a_connection_the_server_ended_while_idle_is_skipped_without_an_error(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=2)
    await connections.fetchrow("SELECT 1")
    await terminate(dsn, opened.connections[0].get_server_pid())
    for _ in range(50):  # asyncpg reads the server's goodbye on the idle socket
        if opened.connections[0].is_closed():
            break
        await asyncio.sleep(0.02)
    assert (await connections.fetchrow("SELECT 6 AS n"))["n"] == 6  # no error: a new connection answered
    assert len(opened.connections) == 2 and connections.size == 1
    await connections.aclose()


async def test_after_a_lost_connection_the_others_are_replaced_not_handed_out(dsn: str) -> None:
    opened = Opened(dsn)
    connections = ConnectionList(opened, size=3)
    await asyncio.gather(*(connections.fetchrow("SELECT pg_sleep(0.05)") for _ in range(3)))
    assert connections.idle == 3
    for connection in opened.connections:
        await terminate(dsn, connection.get_server_pid())
    # However asyncpg sees each one (closed already, or failing its next statement), at most
    # one caller meets a dead connection: the others get new ones.
    results = await asyncio.gather(*(connections.fetchrow("SELECT 7 AS n") for _ in range(6)), return_exceptions=True)
    assert sum(isinstance(result, Exception) for result in results) <= 1, results
    assert all(result["n"] == 7 for result in results if not isinstance(result, Exception))
    assert all(connection.is_closed() for connection in opened.connections[:3])
    assert connections.size <= 3
    await connections.aclose()
