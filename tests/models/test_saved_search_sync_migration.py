"""Migration 0012 up and down on SQLite and PostgreSQL: saved_searches gains changed_at (an
existing row starts at its updated_at) and saved_search_tombstones comes and goes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from db_helpers import alembic_config, table_names
from sqlalchemy.pool import NullPool

from alembic import command


def test_changed_at_starts_at_updated_at_and_downgrade_removes_both(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0011")
    engine = sa.create_engine(empty_database_url, poolclass=NullPool)
    user, saved = uuid.UUID(int=1), uuid.UUID(int=2)
    edited = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("email"), sa.column("role"), sa.column("is_active"),
                     sa.column("metadata", sa.JSON()), sa.column("created_at", sa.DateTime(timezone=True)),
                     sa.column("updated_at", sa.DateTime(timezone=True)))  # fmt: skip
    searches = sa.table("saved_searches", *(sa.column(name) for name in (
        "name", "schedule", "hour", "minute", "weekday", "timezone", "paused", "email_digest", "push")),
        sa.column("id", sa.Uuid()), sa.column("owner_id", sa.Uuid()), sa.column("search_terms", sa.JSON()),
        sa.column("locations", sa.JSON()), sa.column("params", sa.JSON()), sa.column("apprise_urls", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)), sa.column("updated_at", sa.DateTime(timezone=True)))  # fmt: skip
    with engine.begin() as connection:
        connection.execute(sa.insert(users).values(
            id=user, email="ada@example.com", role="pro", is_active=True, metadata={}, created_at=edited, updated_at=edited))  # fmt: skip
        connection.execute(sa.insert(searches).values(
            id=saved, owner_id=user, name="Python", search_terms=["python"], locations=[], params={}, apprise_urls=[],
            schedule="none", hour=8, minute=0, weekday=0, timezone="UTC", paused=False, email_digest=True, push=False,
            created_at=edited, updated_at=edited))  # fmt: skip

    command.upgrade(config, "0012")
    assert "saved_search_tombstones" in table_names(empty_database_url)
    with engine.connect() as connection:
        changed = connection.execute(sa.text("SELECT changed_at FROM saved_searches")).scalar_one()
    moment = changed if isinstance(changed, datetime) else datetime.fromisoformat(str(changed))  # SQLite: text
    assert (moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)) == edited
    columns = {column["name"]: column for column in sa.inspect(engine).get_columns("saved_searches")}
    assert columns["changed_at"]["nullable"] is False

    command.downgrade(config, "0011")
    assert "saved_search_tombstones" not in table_names(empty_database_url)
    assert "changed_at" not in {column["name"] for column in sa.inspect(engine).get_columns("saved_searches")}
    with engine.connect() as connection:  # the row itself survives the way down
        assert connection.execute(sa.text("SELECT name FROM saved_searches")).scalar_one() == "Python"
    engine.dispose()
