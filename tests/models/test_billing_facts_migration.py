"""Migration 0007 moves the sealed key and the Checkout session id from JSON metadata to
their columns (and back), and drops licenses.hardware_fingerprint, on SQLite and PostgreSQL.

Each test gets a database of its own, as tests/models/test_migrations.py does: it walks
the schema up and down.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from db_helpers import alembic_config
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from alembic import command
from jobspy_web.billing import checkout
from jobspy_web.models import License
from jobspy_web.models.base import JSONType, utcnow


def _table(name: str, *columns: sa.ColumnClause) -> sa.TableClause:
    return sa.table(
        name,
        sa.column("id", sa.Uuid()),
        sa.column("metadata", JSONType),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        *columns,
    )


OLD_USERS = _table("users", sa.column("email", sa.String()), sa.column("role", sa.String()), sa.column("is_active", sa.Boolean()))
OLD_LICENSES = _table(
    "licenses",
    sa.column("user_id", sa.Uuid()),
    sa.column("license_key_hash", sa.String()),
    sa.column("key_prefix", sa.String()),
    sa.column("license_type", sa.String()),
    sa.column("status", sa.String()),
    sa.column("features", JSONType),
    sa.column("max_machines", sa.Integer()),
    sa.column("validation_count", sa.Integer()),
    sa.column("hardware_fingerprint", sa.String()),
)
OLD_SUBSCRIPTIONS = _table(
    "subscriptions",
    sa.column("user_id", sa.Uuid()),
    sa.column("stripe_subscription_id", sa.String()),
    sa.column("plan_id", sa.String()),
    sa.column("status", sa.String()),
    sa.column("cancel_at_period_end", sa.Boolean()),
)
USER_ID = uuid.UUID(int=100)
KEY = "JSW-PRO-0123-4567-89AB-CDEF"
CHECKOUT_ID = "cs_test_" + "a1" * 40  # cs_ ids run past 64 characters


def _sealed(key: str) -> str:
    license = License(license_key_hash="0" * 64, key_prefix="JSW-")
    checkout.seal_key(license, key)
    assert license.sealed_key is not None
    return license.sealed_key


def old_license(number: int, extra: dict, *, fingerprint: str | None = None) -> dict:
    now = utcnow()
    return {
        "id": uuid.UUID(int=number),
        "user_id": USER_ID,
        "license_key_hash": f"{number:064x}",
        "key_prefix": f"JSW-{number}",
        "license_type": "pro",
        "status": "active",
        "features": [],
        "max_machines": 1,
        "validation_count": 0,
        "hardware_fingerprint": fingerprint,
        "metadata": extra,
        "created_at": now.replace(microsecond=number),
        "updated_at": now,
    }


def old_subscription(number: int, extra: dict) -> dict:
    now = utcnow()
    return {
        "id": uuid.UUID(int=number),
        "user_id": USER_ID,
        "stripe_subscription_id": f"sub_{number}",
        "plan_id": "pro_monthly",
        "status": "active",
        "cancel_at_period_end": False,
        "metadata": extra,
        "created_at": now,
        "updated_at": now,
    }


def stored(engine: sa.Engine, table: str, column: str) -> dict[int, tuple[dict, str | None]]:
    present = column in _columns(engine, table)
    with engine.connect() as connection:
        found = connection.execute(sa.text(f"SELECT id, metadata, {column if present else 'NULL'} FROM {table}")).all()
    decode = JSONType.dialect_impl(engine.dialect).result_processor(engine.dialect, None)
    return {uuid.UUID(str(row_id)).int: (extra if isinstance(extra, dict) else decode(extra), value) for row_id, extra, value in found}


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns(table)}


def test_sealed_keys_and_checkout_ids_move_to_their_columns_up_and_back_down(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0006")
    sealed = _sealed(KEY)
    engine = sa.create_engine(empty_database_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            now = utcnow()
            owner = {"id": USER_ID, "email": "ada@example.com", "role": "free", "is_active": True, "metadata": {}}
            connection.execute(OLD_USERS.insert(), [{**owner, "created_at": now, "updated_at": now}])
            connection.execute(
                OLD_LICENSES.insert(),
                [
                    old_license(1, {"sealed_key": sealed}),
                    old_license(2, {"reason": "gift"}, fingerprint="old-binding"),  # other metadata stays
                ],
            )
            connection.execute(
                OLD_SUBSCRIPTIONS.insert(),
                [old_subscription(11, {"checkout_session_id": CHECKOUT_ID, "note": "kept"}), old_subscription(12, {})],
            )
        licenses_before = stored(engine, "licenses", "sealed_key")
        subscriptions_before = stored(engine, "subscriptions", "checkout_session_id")

        command.upgrade(config, "0007")
        assert stored(engine, "licenses", "sealed_key") == {1: ({}, sealed), 2: ({"reason": "gift"}, None)}
        assert stored(engine, "subscriptions", "checkout_session_id") == {11: ({"note": "kept"}, CHECKOUT_ID), 12: ({}, None)}
        assert "hardware_fingerprint" not in _columns(engine, "licenses")
        indexes = {tuple(index["column_names"]) for index in sa.inspect(engine).get_indexes("subscriptions")}
        assert ("checkout_session_id",) in indexes

        # The app finds what moved: the success page sees the checkout, the key is shown once.
        with Session(engine) as session:
            outcome = checkout.checkout_outcome(session=session, user_id=USER_ID, checkout_session_id=CHECKOUT_ID)
            assert outcome is checkout.CheckoutOutcome.COMPLETED
            # Rolled back below, so the downgrade still has the key to move back.
            assert [revealed.key for revealed in checkout.reveal_new_keys(session=session, user_id=USER_ID)] == [KEY]
            session.rollback()

        command.downgrade(config, "0006")
        assert stored(engine, "licenses", "sealed_key") == licenses_before
        assert stored(engine, "subscriptions", "checkout_session_id") == subscriptions_before
        assert "sealed_key" not in _columns(engine, "licenses") and "hardware_fingerprint" in _columns(engine, "licenses")
        assert "checkout_session_id" not in _columns(engine, "subscriptions")
    finally:
        engine.dispose()
