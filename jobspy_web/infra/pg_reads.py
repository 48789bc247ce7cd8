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
import functools
from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.sql import ClauseElement

from jobspy_web import db
from jobspy_web.infra.connection_sets import PerLoop
from jobspy_web.infra.pg_connections import ConnectionList
from jobspy_web.settings import get_settings

__all__ = ["DROPPED", "DatabaseUnavailable", "Statement", "aclose", "connection_list", "fetch", "on_postgresql", "replica_serves_reads"]

# What a connection that PostgreSQL ended (or never opened) raises.
DROPPED = (
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a protocol left mid-operation by the termination
    OSError,
)
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


async def _close_all(readers: dict[bool, ConnectionList]) -> None:
    for reader in list(readers.values()):
        await reader.aclose()
    readers.clear()


# Per event loop, by `replica`; closed as their loop shuts down (a test's, a portal's).
_readers: PerLoop[dict[bool, ConnectionList]] = PerLoop(dict, close=_close_all)


def _reader(replica: bool) -> ConnectionList:
    readers = _readers.get()
    found = readers.get(replica)
    if found is None:
        found = readers[replica] = connection_list(replica=replica, size=CONNECTIONS, application_name="jobspy-api-reads")
    return found


class DatabaseUnavailable(Exception):
    """The primary could not answer: down, restarting, or too slow (api.errors: a 503)."""


async def fetch(statement: Statement, parameters: Mapping[str, Any]) -> list[asyncpg.Record]:
    """`statement`'s rows: on the replica when it serves reads (the primary if it fails now),
    else on the primary; a connection PostgreSQL ended is dropped and the read tried again.
    DatabaseUnavailable when the primary can't answer."""
    arguments = statement.arguments(parameters)
    if await replica_serves_reads():
        try:
            rows = await _reader(True).fetch(statement.sql, *arguments)
        except (TimeoutError, asyncpg.PostgresError, *DROPPED):  # a replica restarting, lagging or gone
            db.replica_health.mark_down()
            db.REPLICA_FALLBACKS.labels("down").inc()
        else:
            db.DATABASE_READS.labels("replica").inc()
            return rows
    db.DATABASE_READS.labels("primary").inc()
    for attempt in range(CONNECTIONS + 1):
        try:
            return await _reader(False).fetch(statement.sql, *arguments)
        except (TimeoutError, asyncpg.QueryCanceledError) as error:
            raise DatabaseUnavailable("the database is too slow to answer") from error
        except DROPPED as error:
            if attempt == CONNECTIONS:
                raise DatabaseUnavailable("the database is unreachable") from error
    raise AssertionError("unreachable")


async def aclose() -> None:
    """Close the running loop's readers now (tests switch databases between calls)."""
    readers = _readers.pop()
    if readers is not None:
        await _close_all(readers)
