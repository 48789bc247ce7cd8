"""Alembic environment: migrates the database that jobspy_web.settings points at.

Where the database comes from, first match wins:
  1. config.attributes["connection"]: an open SQLAlchemy Connection (tests, app code);
  2. `alembic -x url=sqlite:///path/to.db upgrade head` on the command line;
  3. jobspy_web.settings.get_settings().sqlalchemy_url (DATABASE_URL, or the SQLite
     file under DATA_DIR), i.e. exactly the database the app would use.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig
from pathlib import Path
from typing import Any, Literal

from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, create_engine, make_url, pool
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import jobspy_web.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import context
from jobspy_web.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata

# The `alembic` CLI starts with bare logging, so use the ini's. When pytest or the app
# call alembic.command, they already own logging: don't replace their handlers.
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render column types as plain SQLAlchemy code that imports on every dialect."""
    if type_ != "type":
        return False
    if isinstance(obj, TypeDecorator):
        # UTCDateTime and sqlmodel's AutoString only change Python-side behaviour; the
        # database sees their impl (DateTime with time zone, VARCHAR(n)). Rendering
        # `sa.DateTime(timezone=True)` rather than `jobspy_web.models.base.UTCDateTime()`
        # keeps old migrations importable if the app's types are renamed or moved.
        impl = obj.impl_instance
        if type(impl).__module__ == "sqlalchemy.sql.sqltypes":
            return f"sa.{impl!r}"
    if isinstance(obj, JSONB):
        # The JSON/JSONB variant: autogenerating against SQLite would otherwise render
        # `postgresql.JSONB(astext_type=Text())`, a NameError (no `sa.` prefix).
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "postgresql.JSONB()"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        # Every migration must run on SQLite, which can't ALTER most things, so always
        # autogenerate batch operations, even against PostgreSQL (where they run as
        # plain ALTERs).
        render_as_batch=True,
        **kwargs,
    )


def _url() -> str:
    return context.get_x_argument(as_dictionary=True).get("url") or get_settings().sqlalchemy_url


def _ensure_sqlite_directory(url: str) -> None:
    # The default database is data/jobspy_web.db and data/ may not exist yet.
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        # The caller owns the connection and its transaction.
        _run(connection)
        return

    url = _url()
    _ensure_sqlite_directory(url)
    # A plain engine, not jobspy_web.db.make_engine: migrations must run with SQLite's
    # foreign keys OFF (the default), or batch mode's drop-and-copy of a parent table
    # would fire ON DELETE CASCADE and empty its children.
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
