"""billing facts get columns: licenses.sealed_key, subscriptions.checkout_session_id; licenses.hardware_fingerprint dropped

A key a webhook issued waited, encrypted, in the license's JSON metadata
(`{"sealed_key": ...}`), and the Checkout session a subscription came from in the
subscription's (`{"checkout_session_id": ...}`), found by reading every row of the user's
in Python. Both are facts, so they become columns (the session id indexed: the page
Stripe sends people back to asks by it); the values move out of the metadata on upgrade
and back into it on downgrade.

licenses.hardware_fingerprint was never read or written since machines got their own
table (0003): it is dropped, and comes back empty on downgrade.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 11:00:00.000000

"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op
from jobspy_web.models.base import JSONType

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column): each column is named as the metadata key it takes over.
MOVES = (("licenses", "sealed_key"), ("subscriptions", "checkout_session_id"))


def _table(name: str, column: str) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.Uuid()), sa.column(column, sa.String()), sa.column("metadata", JSONType))


def upgrade() -> None:
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_key", sa.String(length=512), nullable=True))
        batch_op.drop_column("hardware_fingerprint")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkout_session_id", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_subscriptions_checkout_session_id"), ["checkout_session_id"], unique=False)
    if op.get_context().as_sql:  # `upgrade --sql` can't read the rows to move
        return
    connection = op.get_bind()
    for name, column in MOVES:
        table = _table(name, column)
        changes = [
            {"row_id": row_id, "value": extra[column], "rest": {k: v for k, v in extra.items() if k != column}}
            for row_id, extra in connection.execute(sa.select(table.c.id, table.c.metadata))
            if isinstance(extra, dict) and isinstance(extra.get(column), str)
        ]
        _update(connection, table, changes, **{column: sa.bindparam("value")})


def downgrade() -> None:
    if not op.get_context().as_sql:
        connection = op.get_bind()
        for name, column in MOVES:
            table = _table(name, column)
            query = sa.select(table.c.id, table.c.metadata, table.c[column]).where(table.c[column].is_not(None))
            changes = [{"row_id": row_id, "rest": {**(extra or {}), column: value}} for row_id, extra, value in connection.execute(query)]
            _update(connection, table, changes)
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_checkout_session_id"))
        batch_op.drop_column("checkout_session_id")
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hardware_fingerprint", sa.String(length=128), nullable=True))
        batch_op.drop_column("sealed_key")


def _update(connection: sa.Connection, table: sa.TableClause, changes: list[dict[str, Any]], **more: Any) -> None:
    if changes:
        statement = table.update().where(table.c.id == sa.bindparam("row_id"))
        connection.execute(statement.values(metadata=sa.bindparam("rest"), **more), changes)
