"""Migration 0006 moves a pending owner's email from license metadata to its column (and back).

Each test gets a database of its own, as tests/models/test_migrations.py does: it walks
the schema up and down.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from db_helpers import alembic_config
from sqlalchemy.pool import NullPool

from alembic import command
from jobspy_web.models.base import JSONType, utcnow

OLD_LICENSES = sa.table(
    "licenses",
    sa.column("id", sa.Uuid()),
    sa.column("license_key_hash", sa.String()),
    sa.column("key_prefix", sa.String()),
    sa.column("license_type", sa.String()),
    sa.column("status", sa.String()),
    sa.column("features", JSONType),
    sa.column("max_machines", sa.Integer()),
    sa.column("validation_count", sa.Integer()),
    sa.column("metadata", JSONType),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def old_license(number: int, extra: dict) -> dict:
    now = utcnow()
    return {
        "id": uuid.UUID(int=number),
        "license_key_hash": f"{number:064x}",
        "key_prefix": f"JSW-{number}",
        "license_type": "pro",
        "status": "active",
        "features": [],
        "max_machines": 1,
        "validation_count": 0,
        "metadata": extra,
        "created_at": now,
        "updated_at": now,
    }


def rows(engine: sa.Engine, *, with_column: bool) -> dict[int, tuple[dict, str | None]]:
    columns = "id, metadata, pending_email" if with_column else "id, metadata, NULL"
    with engine.connect() as connection:
        found = connection.execute(sa.text(f"SELECT {columns} FROM licenses")).all()
    decode = JSONType.dialect_impl(engine.dialect).result_processor(engine.dialect, None)
    return {uuid.UUID(str(row_id)).int: (extra if isinstance(extra, dict) else decode(extra), email) for row_id, extra, email in found}


def test_pending_email_moves_to_its_column_up_and_back_down(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0005")
    engine = sa.create_engine(empty_database_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(
                OLD_LICENSES.insert(),
                [
                    old_license(1, {"email": "bob@example.com"}),
                    old_license(2, {"email": "eve@example.com", "reason": "gift"}),  # other metadata stays
                    old_license(3, {}),  # owned or never pending
                ],
            )
        before = rows(engine, with_column=False)

        command.upgrade(config, "0006")
        assert rows(engine, with_column=True) == {
            1: ({}, "bob@example.com"),
            2: ({"reason": "gift"}, "eve@example.com"),
            3: ({}, None),
        }

        command.downgrade(config, "0005")
        assert rows(engine, with_column=False) == before
        assert "pending_email" not in {column["name"] for column in sa.inspect(engine).get_columns("licenses")}
    finally:
        engine.dispose()
