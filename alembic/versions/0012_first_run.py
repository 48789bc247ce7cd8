"""saved searches sync (issue 15): saved_searches.changed_at and saved_search_tombstones

The slot was reserved for issue 17's first run, which needed no schema; it holds the saved
searches' sync. saved_searches.changed_at is when the server last wrote a row (a pull's
"changed since"; existing rows start at their updated_at). saved_search_tombstones keeps a
deleted saved search's id, owner and deletion time so the person's other copies (the
desktop app) learn of the deletion.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("saved_searches") as batch:
        batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE saved_searches SET changed_at = updated_at")
    with op.batch_alter_table("saved_searches") as batch:
        batch.alter_column("changed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_table(
        "saved_search_tombstones",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_saved_search_tombstones_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search_tombstones")),
    )
    op.create_index("ix_saved_search_tombstones_owner_id_changed_at", "saved_search_tombstones", ["owner_id", "changed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_saved_search_tombstones_owner_id_changed_at", table_name="saved_search_tombstones")
    op.drop_table("saved_search_tombstones")
    with op.batch_alter_table("saved_searches") as batch:
        batch.drop_column("changed_at")
