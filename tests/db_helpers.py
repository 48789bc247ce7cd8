"""Database plumbing for tests: throwaway PostgreSQL databases, Alembic, table cleanup.

Plain functions so fixtures and tests can both use them (`from db_helpers import ...`).
"""

from __future__ import annotations

import os
import uuid
from argparse import Namespace
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import jobspy_web.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import command

REPO_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def alembic_config(url: str | None = None) -> Config:
    """The repo's alembic.ini, pointed at `url` as `alembic -x url=...` would be.

    Without a URL, env.py falls back to the app's settings (DATABASE_URL / DATA_DIR).
    """
    x_args = [f"url={url}"] if url else []
    return Config(str(ALEMBIC_INI), cmd_opts=Namespace(x=x_args))


def upgrade_to_head(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def _engine(url: str) -> sa.Engine:
    # NullPool: nothing stays connected afterwards (a pooled connection would block
    # DROP DATABASE and keep SQLite files open).
    return sa.create_engine(url, poolclass=NullPool)


# --- throwaway PostgreSQL databases ---------------------------------------------------


def postgres_admin_url() -> sa.URL:
    url = sa.make_url(os.environ.get("TEST_POSTGRES_ADMIN_URL") or DEFAULT_ADMIN_URL)
    # Accept plain postgresql:// like the app does; psycopg 3 is the driver installed.
    return url.set(drivername="postgresql+psycopg")


def _admin_engine() -> sa.Engine:
    url = postgres_admin_url().render_as_string(hide_password=False)
    # CREATE/DROP DATABASE refuse to run inside a transaction.
    return sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


@contextmanager
def temporary_postgres_database(prefix: str = "jobspy_test") -> Iterator[str]:
    """CREATE an empty, uniquely named database; yield its URL; DROP it afterwards."""
    # pid + random suffix: parallel sessions (xdist workers, two terminals) never collide.
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield postgres_admin_url().set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                # A leaked session (a test that forgot to close one) would block the DROP.
                connection.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"),
                    {"name": name},
                )
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        admin.dispose()


# --- per-test cleanup -----------------------------------------------------------------


def clean_tables(url: str) -> None:
    """Empty every model table, keeping the schema (and alembic_version)."""
    tables = SQLModel.metadata.sorted_tables  # parents first
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Fail fast, rather than at the 300 s test timeout, if a leaked
                # transaction from an earlier test still holds a lock on a table.
                connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
                names = ", ".join(f'"{table.name}"' for table in tables)
                connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            else:
                for table in reversed(tables):  # children first, whatever the FK pragma
                    connection.execute(table.delete())
    finally:
        engine.dispose()


# --- schema inspection ----------------------------------------------------------------


def table_names(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def unique_column_sets(inspector: sa.Inspector, table: str) -> set[tuple[str, ...]]:
    """Column tuples that the database keeps unique, whether by constraint or index.

    `Field(unique=True, index=True)` becomes a UNIQUE INDEX, plain `unique=True` a
    UNIQUE constraint; both reject duplicates, so both count.
    """
    constraints = inspector.get_unique_constraints(table)
    indexes = [index for index in inspector.get_indexes(table) if index["unique"]]
    return {tuple(item["column_names"]) for item in [*constraints, *indexes]}


async def close_loop_connections() -> None:
    """Close the connections the app opened on the running event loop (the License Server's
    asyncpg connections, the Redis limiter's and cache's): they can't outlive a test's loop, and
    unclosed ones warn (errors here) when collected."""
    from jobspy_web.infra import pg_reads, rate_limits
    from jobspy_web.infra.cache import get_cache
    from jobspy_web.licensing import validate

    await validate.aclose()
    await pg_reads.aclose()
    await rate_limits.aclose()
    if get_cache.cache_info().currsize:
        await get_cache().aclose()


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile, by any engine: the sessions' and the
    License Server's async one (licensing.validate)."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", count)
