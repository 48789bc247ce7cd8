"""SQLAlchemy Core statements run on the event loop over asyncpg (infra.pg_connections), for
the few reads a busy API answers most: the License Server's misses and the search API's
polls. A synchronous session in a worker thread costs a poll ~3 ms of CPU under load
(bench/load.py: the pool's pre-ping, the statement, the rollback, each a round trip from a
thread taking turns at the GIL with the event loop), and slows every other request meanwhile.

A statement is rendered once (`Statement`), as SQLAlchemy's asyncpg dialect renders it; rows
come back as asyncpg Records, without SQLAlchemy's result processing (JSON columns are text).
Reads go to the read replica when one is configured and healthy, as db.read_session decides
(`replica_serves_reads`), else to the primary. PostgreSQL only: on SQLite, callers keep
their sessions (`on_postgresql`).
"""

from __future__ import annotations

import asyncio
import enum
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeVar

import asyncpg
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.sql import ClauseElement

from jobspy_web import db
from jobspy_web.infra.connection_sets import PerLoop
from jobspy_web.infra.pg_connections import ConnectionList
from jobspy_web.settings import get_settings

__all__ = [
    "DROPPED", "FAILED", "DatabaseUnavailable", "Statement", "aclose", "close_lists", "connection_list", "fetch", "on_postgresql",
    "on_primary", "on_replica", "replica_serves_reads",
]  # fmt: skip

# What a connection that PostgreSQL ended (or never opened) raises.
DROPPED = (
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a protocol left mid-operation by the termination
    OSError,
)
# What a replica restarting, lagging behind a conflicting statement or gone raises.
REPLICA_FAILURES = (TimeoutError, asyncpg.PostgresError, *DROPPED)
TIMEOUT_S = 10.0
CONNECTIONS = 2  # per worker, for the search API's reads: each answers in well under a millisecond


class Statement:
    """`statement` rendered once for asyncpg: its SQL, and its parameters in their order."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=postgresql_asyncpg.dialect())
        self.sql = str(compiled)
        self._arguments = [(name, compiled.params[name]) for name in getattr(compiled, "positiontup", None) or ()]

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for `parameters` (by bind name; unnamed ones keep the value
        the statement was built with)."""
        return [parameters.get(name, default) for name, default in self._arguments]


def on_postgresql() -> bool:
    return get_settings().sqlalchemy_url.startswith("postgresql")


def connection_list(
    *, replica: bool, size: int, application_name: str, timeout_s: float = TIMEOUT_S, **server_settings: str
) -> ConnectionList:
    """Up to `size` connections to the primary (or the replica), opened as needed, each
    statement's time bounded by `timeout_s` (then TimeoutError)."""
    return ConnectionList(functools.partial(_connect, replica, application_name, timeout_s, server_settings), size)


async def _connect(replica: bool, application_name: str, timeout_s: float, server_settings: dict[str, str]) -> asyncpg.Connection:
    settings = get_settings()
    url = settings.sqlalchemy_replica_url if replica else settings.sqlalchemy_url
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    # statement_timeout: a statement whose caller gave up ends on the server too.
    backstop = {"statement_timeout": str(int(timeout_s * 1000) + 1000), "application_name": application_name}
    return await asyncpg.connect(dsn, command_timeout=timeout_s, server_settings=backstop | server_settings)


async def replica_serves_reads() -> bool:
    """Whether reads may go to the replica now (db's health verdict, asked in a thread when
    due: it may wait for a connect timeout); a fallback to the primary is counted."""
    if not db.replica_configured():
        return False
    verdict = db.replica_health.cached_verdict()
    if verdict is db.replica_health.UNKNOWN:
        verdict = await asyncio.to_thread(db.replica_health.verdict)
    if verdict is not None:
        db.REPLICA_FALLBACKS.labels(verdict).inc()
        return False
    return True


async def close_lists(lists: dict[bool, ConnectionList]) -> None:
    """Close a loop's connection lists (kept by `replica`) and forget them."""
    for each in list(lists.values()):
        await each.aclose()
    lists.clear()


# Per event loop, by `replica`; closed as their loop shuts down (a test's, a portal's).
_readers: PerLoop[dict[bool, ConnectionList]] = PerLoop(dict, close=close_lists)


def _reader(replica: bool) -> ConnectionList:
    readers = _readers.get()
    found = readers.get(replica)
    if found is None:
        found = readers[replica] = connection_list(replica=replica, size=CONNECTIONS, application_name="jobspy-api-reads")
    return found


class DatabaseUnavailable(Exception):
    """The primary could not answer: down, restarting, or too slow (api.errors: a 503)."""


Read = TypeVar("Read")


class _Failed(enum.Enum):
    FAILED = "failed"


FAILED = _Failed.FAILED  # what on_replica answers for a replica that failed


async def on_replica(read: Callable[[], Awaitable[Read]]) -> Read | Literal[_Failed.FAILED]:
    """`read()` on the replica, or `FAILED` when the replica fails it now: marked down (the
    next reads go to the primary at once) and counted as a fallback."""
    try:
        return await read()
    except REPLICA_FAILURES:
        db.replica_health.mark_down()
        db.REPLICA_FALLBACKS.labels("down").inc()
        return FAILED


async def on_primary(read: Callable[[], Awaitable[Read]], *, tries: int, unavailable: Callable[[str], Exception]) -> Read:
    """`read()` on the primary. A connection PostgreSQL ended (a restart, pg_terminate_backend)
    fails its next statement and is dropped, so trying again gets another or a new one, up
    to `tries` times; then, or when the statement timed out, `unavailable(why)` is raised."""
    for attempt in range(1, tries + 1):
        try:
            return await read()
        except (TimeoutError, asyncpg.QueryCanceledError) as error:
            raise unavailable("the database is too slow to answer") from error
        except DROPPED as error:
            if attempt == tries:
                raise unavailable("the database is unreachable") from error
    raise AssertionError("unreachable")


async def fetch(statement: Statement, parameters: Mapping[str, Any]) -> list[asyncpg.Record]:
    """`statement`'s rows: on the replica when it serves reads (the primary if it fails now),
    else on the primary; a connection PostgreSQL ended is dropped and the read tried again.
    DatabaseUnavailable when the primary can't answer."""
    arguments = statement.arguments(parameters)
    if await replica_serves_reads():
        rows = await on_replica(lambda: _reader(True).fetch(statement.sql, *arguments))
        if rows is not FAILED:
            db.DATABASE_READS.labels("replica").inc()
            return rows
    db.DATABASE_READS.labels("primary").inc()
    return await on_primary(lambda: _reader(False).fetch(statement.sql, *arguments), tries=CONNECTIONS + 1, unavailable=DatabaseUnavailable)


async def aclose() -> None:
    """Close the running loop's readers now (tests switch databases between calls)."""
    readers = _readers.pop()
    if readers is not None:
        await close_lists(readers)
