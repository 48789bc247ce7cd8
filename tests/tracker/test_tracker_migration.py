"""Migration 0009 creates the tracker's tables with their keys and indexes, and takes them
away again, on SQLite and PostgreSQL (each test walks a database of its own)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from db_helpers import alembic_config, table_names
from sqlalchemy.pool import NullPool

from alembic import command
from jobspy_web.models.base import JSONType, utcnow

TABLES = {"tracked_jobs", "tracked_job_links"}


def stamps() -> tuple[sa.ColumnClause, ...]:
    return sa.column("created_at", sa.DateTime(timezone=True)), sa.column("updated_at", sa.DateTime(timezone=True))


USERS = sa.table("users", sa.column("id", sa.Uuid()), sa.column("email"), sa.column("role"), sa.column("is_active", sa.Boolean()),
                 sa.column("metadata", JSONType), *stamps())  # fmt: skip
TRACKED = sa.table(
    "tracked_jobs", sa.column("id", sa.Uuid()), sa.column("owner_id", sa.Uuid()), sa.column("url"), sa.column("site"),
    sa.column("title"), sa.column("notes"), sa.column("stage"), sa.column("changed_at", sa.DateTime(timezone=True)), *stamps(),
)  # fmt: skip
LINKS = sa.table(
    "tracked_job_links", sa.column("owner_id", sa.Uuid()), sa.column("url_key"), sa.column("item_id", sa.Uuid()),
    sa.column("site"), sa.column("url"), sa.column("created_at", sa.DateTime(timezone=True)),
)  # fmt: skip


def link(owner: uuid.UUID, item: uuid.UUID, now) -> dict:
    return {"owner_id": owner, "url_key": "k" * 64, "item_id": item, "site": "other", "url": "https://x.io/1", "created_at": now}


def test_0009_up_makes_one_url_one_item_per_owner_and_down_removes_the_tables(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0009")
    assert table_names(empty_database_url) >= TABLES
    engine = sa.create_engine(empty_database_url, poolclass=NullPool)
    try:
        inspector = sa.inspect(engine)
        indexes = {tuple(index["column_names"]) for index in inspector.get_indexes("tracked_jobs")}
        assert {("owner_id",), ("job_id",), ("follow_up_on",), ("owner_id", "changed_at")} <= indexes
        assert inspector.get_pk_constraint("tracked_job_links")["constrained_columns"] == ["owner_id", "url_key"]

        now, owner, item = utcnow(), uuid.uuid4(), uuid.uuid4()
        with engine.begin() as connection:
            user = {"id": owner, "email": "a@x.io", "role": "free", "is_active": True, "metadata": {}, "created_at": now, "updated_at": now}
            connection.execute(USERS.insert(), [user])
            tracked = {"id": item, "owner_id": owner, "url": "https://x.io/1", "site": "other", "title": "T", "notes": "", "stage": "saved"}
            connection.execute(TRACKED.insert(), [{**tracked, "created_at": now, "updated_at": now, "changed_at": now}])
            connection.execute(LINKS.insert(), [link(owner, item, now)])
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(LINKS.insert(), [link(owner, item, now)])
    finally:
        engine.dispose()

    command.downgrade(config, "0008")
    assert not TABLES & table_names(empty_database_url)
    command.upgrade(config, "head")  # nothing left behind that would stop it coming back
    assert table_names(empty_database_url) >= TABLES
