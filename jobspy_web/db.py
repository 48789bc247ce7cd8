"""Engines and sessions: the primary database, and an optional read replica.

Every write goes to the primary (`write_session`). Reads that may lag (`read_session`:
history, analytics, a license validation that missed the cache) go to the replica while
it answers and trails the primary by at most DATABASE_REPLICA_MAX_LAG_SECONDS; otherwise
to the primary, counted in jobspy_replica_fallbacks_total{reason="lag"|"down"}. The
replica's health is asked at most once a second per process (a down one is left alone for
a few seconds), so routing adds no round trip to a read. A read that must see the caller's
own write (the license page right after a key is revealed, the checkout success page)
asks `read_session(fresh=True)`: the primary, always.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import Counter
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from jobspy_web.settings import from_settings, get_settings, on_reset

REPLICA_FALLBACKS = Counter(
    "jobspy_replica_fallbacks", "Reads meant for the replica that went to the primary, by reason (lag, down).", ["reason"]
)
DATABASE_READS = Counter("jobspy_database_reads", "Read sessions opened, by the database that served them.", ["target"])
REPLICA_CHECK_EVERY_S = 1.0
REPLICA_DOWN_RETRY_S = 5.0
# Seconds the replica trails: 0 when it has replayed all it received, else since the last
# transaction it replayed. An idle, caught-up replica is not "behind".
_LAG = text(
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


# Called with each engine made here: infra.tracing adds SQLAlchemy's tracing this way (db sits
# below infra, so it can't call it; sqlmodel's create_engine escapes the instrumentor's patch).
ENGINE_LISTENERS: list[Callable[[Engine], None]] = []


def make_engine(url: str, *, connect_timeout_s: int | None = None) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        connect_args = {"connect_timeout": connect_timeout_s} if connect_timeout_s else {}
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args)
    for listener in ENGINE_LISTENERS:
        listener(engine)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets the UI read while a search writes; foreign keys are off by default in SQLite.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@from_settings
def primary_engine() -> Engine:
    settings = get_settings()
    if settings.sqlalchemy_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.sqlalchemy_url)


@from_settings
def replica_engine() -> Engine:
    url = get_settings().sqlalchemy_replica_url
    # A short connect timeout: a replica that is down must cost a read little before it
    # falls back to the primary.
    return make_engine(url, connect_timeout_s=2) if url else primary_engine()


def replica_configured() -> bool:
    return bool(get_settings().sqlalchemy_replica_url)


class _ReplicaHealth:
    """Whether reads may go to the replica now: asked at most once a second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_check = 0.0
        self._verdict: str | None = None  # None: use it; "lag" or "down": use the primary

    UNKNOWN = "unknown"  # cached_verdict(): due for a check

    def cached_verdict(self) -> str | None:
        """The last verdict while it is fresh, else UNKNOWN (without asking: for the event loop)."""
        return self._verdict if time.monotonic() < self._next_check else self.UNKNOWN

    def verdict(self) -> str | None:
        now = time.monotonic()
        if now < self._next_check:
            return self._verdict
        with self._lock:
            if now < self._next_check:
                return self._verdict
            self._verdict, wait = self._check()
            self._next_check = time.monotonic() + wait
            return self._verdict

    def mark_down(self) -> None:
        with self._lock:
            self._verdict, self._next_check = "down", time.monotonic() + REPLICA_DOWN_RETRY_S

    def forget(self) -> None:
        self._next_check, self._verdict = 0.0, None

    @staticmethod
    def _check() -> tuple[str | None, float]:
        try:
            with replica_engine().connect() as connection:
                lag = float(connection.execute(_LAG).scalar_one() or 0)
        except Exception:
            return "down", REPLICA_DOWN_RETRY_S
        return ("lag" if lag > get_settings().database_replica_max_lag_seconds else None), REPLICA_CHECK_EVERY_S


replica_health = _ReplicaHealth()


def read_engine(*, fresh: bool = False) -> Engine:
    """The engine a read should use now (see the module's docstring)."""
    if fresh or not replica_configured():
        DATABASE_READS.labels("primary").inc()
        return primary_engine()
    problem = replica_health.verdict()
    if problem is not None:
        REPLICA_FALLBACKS.labels(problem).inc()
        DATABASE_READS.labels("primary").inc()
        return primary_engine()
    DATABASE_READS.labels("replica").inc()
    return replica_engine()


@contextmanager
def write_session() -> Iterator[Session]:
    """A session on the primary that commits on success and rolls back on error."""
    with Session(primary_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(*, fresh: bool = False) -> Iterator[Session]:
    """A session for reading: on the replica when one is configured and healthy (it may
    lag the primary by a little); `fresh`: on the primary, to read your own writes."""
    engine = read_engine(fresh=fresh)
    session = Session(engine, expire_on_commit=False)
    if engine is not primary_engine():
        try:
            session.connection()  # the pool's pre-ping: a replica gone since the last check shows here
        except OperationalError:
            session.close()
            replica_health.mark_down()
            REPLICA_FALLBACKS.labels("down").inc()
            session = Session(primary_engine(), expire_on_commit=False)
    with session:
        yield session


def reset_engines() -> None:
    """Forget cached engines (tests switch databases between runs)."""
    for cached in (primary_engine, replica_engine):
        if cached.cache_info().currsize:
            cached().dispose()
        cached.cache_clear()
    replica_health.forget()


on_reset(reset_engines)  # engines are disposed, not only forgotten, with the settings
