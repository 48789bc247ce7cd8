"""Engines and sessions: the primary database, and an optional read replica."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from jobspy_web.settings import get_settings


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets the UI read while a search writes; foreign keys are off by default in SQLite.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@lru_cache
def primary_engine() -> Engine:
    settings = get_settings()
    if settings.sqlalchemy_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.sqlalchemy_url)


@lru_cache
def replica_engine() -> Engine:
    url = get_settings().sqlalchemy_replica_url
    return make_engine(url) if url else primary_engine()


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
def read_session() -> Iterator[Session]:
    """A session on the read replica when one is configured (may lag the primary)."""
    with Session(replica_engine(), expire_on_commit=False) as session:
        yield session


def reset_engines() -> None:
    """Forget cached engines (tests switch databases between runs)."""
    for cached in (primary_engine, replica_engine):
        if cached.cache_info().currsize:
            cached().dispose()
        cached.cache_clear()
