"""licenses: pending_email (the address a license waits for) gets its own column

A license issued to an address with no account yet kept that address in its JSON
metadata (`{"email": ...}`). It is a fact about the license, so it becomes a column;
the address moves out of the metadata on upgrade and back into it on downgrade.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000

"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op
from jobspy_web.models.base import JSONType

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

licenses = sa.table(
    'licenses',
    sa.column('id', sa.Uuid()),
    sa.column('pending_email', sa.String()),
    sa.column('metadata', JSONType),
)


def upgrade() -> None:
    with op.batch_alter_table('licenses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_email', sa.String(length=320), nullable=True))
    if op.get_context().as_sql:  # `upgrade --sql` can't read the rows to move
        return
    connection = op.get_bind()
    changes = [
        {'row_id': row_id, 'email': extra['email'], 'rest': {k: v for k, v in extra.items() if k != 'email'}}
        for row_id, extra in connection.execute(sa.select(licenses.c.id, licenses.c.metadata))
        if isinstance(extra, dict) and isinstance(extra.get('email'), str)
    ]
    _update(connection, changes, pending_email=sa.bindparam('email'))


def downgrade() -> None:
    if not op.get_context().as_sql:
        connection = op.get_bind()
        query = sa.select(licenses.c.id, licenses.c.metadata, licenses.c.pending_email).where(licenses.c.pending_email.is_not(None))
        changes = [
            {'row_id': row_id, 'rest': {**(extra or {}), 'email': email}}
            for row_id, extra, email in connection.execute(query)
        ]
        _update(connection, changes)
    with op.batch_alter_table('licenses', schema=None) as batch_op:
        batch_op.drop_column('pending_email')


def _update(connection: sa.Connection, changes: list[dict[str, Any]], **more: Any) -> None:
    if changes:
        statement = licenses.update().where(licenses.c.id == sa.bindparam('row_id'))
        connection.execute(statement.values(metadata=sa.bindparam('rest'), **more), changes)
