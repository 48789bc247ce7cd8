"""Migration 0008: saved searches and alerts up and down; seen_jobs starts from what each
user's past searches found. Each test has a database of its own (it walks the schema)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from db_helpers import alembic_config, table_names
from sqlalchemy.pool import NullPool

from alembic import command
from jobspy_web.models.base import utcnow

NEW_TABLES = {"saved_searches", "saved_search_runs", "seen_jobs", "alerts", "alert_deliveries", "push_subscriptions"}


def test_upgrade_fills_seen_jobs_from_past_searches_and_downgrade_removes_the_tables(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0007")
    engine = sa.create_engine(empty_database_url, poolclass=NullPool)
    user, search, job = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
    now = utcnow()
    meta = sa.MetaData()
    meta.reflect(engine)
    for table in meta.tables.values():  # reflected SQLite says CHAR(32): bind UUIDs as the app does
        for column in table.columns:
            if column.name in ("id", "owner_id", "search_id", "job_id", "user_id"):
                column.type = sa.Uuid()
            elif column.name in ("created_at", "updated_at", "first_seen_at", "last_seen_at", "found_at"):
                column.type = sa.DateTime(timezone=True)
            elif column.name in ("metadata", "params", "site_outcomes", "warnings", "sources", "sites"):
                column.type = sa.JSON()
    with engine.begin() as connection:
        connection.execute(sa.insert(meta.tables["users"]).values(
            id=user, email="ada@example.com", role="pro", is_active=True, metadata={}, created_at=now, updated_at=now
        ))  # fmt: skip
        connection.execute(sa.insert(meta.tables["searches"]).values(
            id=search, owner_id=user, params={}, label="x", status="completed", site_outcomes={}, warnings=[],
            job_count=1, cancel_requested=False, created_at=now, updated_at=now,
        ))  # fmt: skip
        connection.execute(sa.insert(meta.tables["jobs"]).values(
            id=job, dedupe_key="k" * 64, sources=[], site="indeed", job_url="https://x", title="Engineer",
            first_seen_at=now, last_seen_at=now,
        ))  # fmt: skip
        connection.execute(sa.insert(meta.tables["search_jobs"]).values(search_id=search, job_id=job, sites=["indeed"], found_at=now))

    command.upgrade(config, "0008")
    assert table_names(empty_database_url) >= NEW_TABLES
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT dedupe_key FROM seen_jobs")).scalars().all() == ["k" * 64]

    command.downgrade(config, "0007")
    assert not NEW_TABLES & table_names(empty_database_url)
    engine.dispose()
