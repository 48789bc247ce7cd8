"""Cache misses of POST /licenses/validate on PostgreSQL: one statement, no thread.

A miss is the License Server's busiest database work: each machine misses about once an
hour, when its cached answer expires. Through SQLAlchemy in a worker thread it cost ~1.5 ms
of CPU (session, pool checks, three round trips, the thread hops); here it is one prepared
statement over asyncpg on the event loop, ~80 µs:

    count the validation on the license's row (which locks it, as every change does),
    and touch the machine if it is already activated and among the first max_machines

The answer is decided from what the statement returns, as licensing.licenses does
(`decide_from_license`), then signed and cached. Anything rarer (a machine to activate,
or one past max_machines) returns None: the caller asks licensing.licenses, told that the
validation is already counted.

Caching happens after the statement commits, so a change to the license may land between
the two; the answer is cached only if the license's answers are still at the generation
read before the statement (infra.cache), which any change raises.

These connections commit without waiting for the WAL to reach the disk (synchronous_commit
off, as licensing.licenses does for its count): a crash in the next fraction of a second may
lose the last few counts and last-seen times, never a change to a license.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

import asyncpg
from sqlalchemy import make_url

from jobspy_web.infra.connection_sets import ConnectionSet, PerLoop
from jobspy_web.licensing import licenses
from jobspy_web.models.base import utcnow
from jobspy_web.settings import get_settings

__all__ = ["DatabaseBusy", "aclose", "answer_from_database", "available"]

CONNECTIONS_PER_WORKER = 4  # more only queue at PostgreSQL's row locks and the GIL
TIMEOUT_S = 10.0

# $1 key hash, $2 now, $3 fingerprint, $4 app version, $5 whether the version is supported.
# Steps 1-5 are decided in Python from the license's columns; the machine is touched only
# when they pass, as licensing.licenses._bind_machine would.
_STATEMENT = """
WITH license AS (
    UPDATE licenses
    SET validation_count = validation_count + 1, last_validated_at = $2
    WHERE license_key_hash = $1
    RETURNING id, status, license_type, features, max_machines, expires_at
), machine AS (
    UPDATE license_machines AS m
    SET last_seen_at = $2, app_version = $4
    FROM license
    WHERE m.license_id = license.id
      AND m.fingerprint = $3
      AND $5
      AND license.status = 'active'
      AND (license.expires_at IS NULL OR license.expires_at > $2)
      AND (
          SELECT count(*) FROM license_machines AS earlier
          WHERE earlier.license_id = m.license_id
            AND (earlier.first_seen_at < m.first_seen_at
                 OR (earlier.first_seen_at = m.first_seen_at AND earlier.id < m.id))
      ) < license.max_machines
    RETURNING m.id
)
SELECT status, license_type, features, expires_at, EXISTS (SELECT 1 FROM machine) AS seen_again
FROM license
"""


class DatabaseBusy(Exception):
    """The statement took longer than TIMEOUT_S (a long-held row lock, an overloaded server)."""


def available() -> bool:
    """Whether misses can be answered here (the database is PostgreSQL)."""
    return get_settings().sqlalchemy_url.startswith("postgresql")


async def answer_from_database(
    *, key_hash: str, fingerprint: str, app_version: str, read: licenses.CacheKeys, generation: int, now: datetime | None = None
) -> licenses.SignedAnswer | None:
    """The signed answer to validating the key with this hash on `fingerprint`, counted and
    cached; None when licensing.licenses must decide (a machine to bind), already counted.
    `read` and `generation`: the cache keys read before (licenses.answer_cache_keys), and
    the generation found there (0 if none)."""
    now = now or utcnow()
    row = await _fetch_row(key_hash, now, fingerprint, app_version, licenses.version_supported(app_version))
    decided = licenses.decide_from_license(row, app_version=app_version, now=now)
    if decided.machine_decides and not (row is not None and row.seen_again):
        return None
    signed = licenses.sign_answer(decided.answer.as_json(), fingerprint=fingerprint, checked_at=now)
    if decided.cacheable:
        await licenses.remember_answer(
            key_hash=key_hash, fingerprint=fingerprint, answer=decided.answer, signed=signed, read=read, generation=generation
        )
    return signed


async def _fetch_row(*arguments: object) -> SimpleNamespace | None:
    connections = _connections().get()
    connection = await connections.take()
    try:
        record = await connection.fetchrow(_STATEMENT, *arguments, timeout=TIMEOUT_S)
    except asyncpg.PostgresError as error:
        connections.give_back(connection)  # the server answered: the connection is in step
        if isinstance(error, asyncpg.QueryCanceledError):
            raise DatabaseBusy from error
        raise
    except BaseException as error:
        connections.drop()
        connection.terminate()  # interrupted mid-reply: never reuse it
        if isinstance(error, TimeoutError):
            raise DatabaseBusy from error
        raise
    connections.give_back(connection)
    if record is None:
        return None
    return SimpleNamespace(**{**dict(record), "features": json.loads(record["features"])})


@lru_cache
def _connections() -> PerLoop[ConnectionSet[asyncpg.Connection]]:
    dsn = make_url(get_settings().sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def connect() -> asyncpg.Connection:
        # statement_timeout: a statement whose caller gave up (cancelled, timed out) ends
        # on the server too, rather than waiting on a row lock with no one to answer.
        settings = {
            "synchronous_commit": "off",
            "statement_timeout": str(int(TIMEOUT_S * 1000) + 1000),  # a backstop, after ours
            "application_name": "jobspy-license-validate",
        }
        return await asyncpg.connect(dsn, server_settings=settings)

    async def close(connection: asyncpg.Connection) -> None:
        await connection.close(timeout=TIMEOUT_S)

    return PerLoop(lambda: ConnectionSet(connect, close, limit=CONNECTIONS_PER_WORKER))


async def aclose() -> None:
    """Close the running event loop's connections, and forget the database's address (tests
    switch databases; a worker's connections end with its process)."""
    if _connections.cache_info().currsize:
        connections = _connections().pop()
        if connections is not None:
            await connections.aclose()
    _connections.cache_clear()
