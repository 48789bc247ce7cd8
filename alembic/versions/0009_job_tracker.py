"""the job tracker (issue 13): tracked_jobs and the postings each links to (tracked_job_links)

A tracked job carries its stage with a date per stage, notes, a follow-up date (and when
its reminder went out), `updated_at` (the person's last change, compared by last-writer-
wins sync), `changed_at` (when this server last wrote it: what changes?since= reads) and
`deleted_at` (a soft delete, so a desktop copy learns of it). tracked_job_links keys each
posting URL, normalised, per owner: one URL is one tracked job.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = ("saved", "applied", "interviewing", "offer", "rejected", "withdrawn")


def upgrade() -> None:
    op.create_table(
        "tracked_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("salary_text", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("stage", sa.Enum(*STAGES, name="trackerstage", native_enum=False, length=16), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interviewing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_tracked_jobs_job_id_jobs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_tracked_jobs_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracked_jobs")),
    )
    with op.batch_alter_table("tracked_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracked_jobs_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracked_jobs_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracked_jobs_follow_up_on"), ["follow_up_on"], unique=False)
        batch_op.create_index("ix_tracked_jobs_owner_id_changed_at", ["owner_id", "changed_at"], unique=False)

    op.create_table(
        "tracked_job_links",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["tracked_jobs.id"], name=op.f("fk_tracked_job_links_item_id_tracked_jobs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_tracked_job_links_owner_id_users")),
        sa.PrimaryKeyConstraint("owner_id", "url_key", name=op.f("pk_tracked_job_links")),
    )
    with op.batch_alter_table("tracked_job_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracked_job_links_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tracked_job_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracked_job_links_item_id"))
    op.drop_table("tracked_job_links")
    with op.batch_alter_table("tracked_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_tracked_jobs_owner_id_changed_at")
        batch_op.drop_index(batch_op.f("ix_tracked_jobs_follow_up_on"))
        batch_op.drop_index(batch_op.f("ix_tracked_jobs_job_id"))
        batch_op.drop_index(batch_op.f("ix_tracked_jobs_owner_id"))
    op.drop_table("tracked_jobs")
