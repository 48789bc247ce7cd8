"""saved searches, their scheduled runs, the jobs each user was shown, alerts and their deliveries (issue 13)

saved_searches: several terms and locations, the other search options, a schedule in the
owner's time zone, the next slot to claim, and the channels (email digest, Apprise URLs,
web push). saved_search_runs: one row per schedule slot (unique), so a slot runs once
however many workers race for it. seen_jobs: the dedupe identities each user has been
shown, filled on upgrade from their past searches, so only-new starts from what they saw.
alerts, alert_deliveries and push_subscriptions: the bell, each outside channel's attempts
(retried with backoff, shown as failing), and the browsers that asked for Web Push.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from jobspy_web.models.base import JSONType

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_push_subscriptions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscriptions_endpoint")),
    )
    op.create_index(op.f("ix_push_subscriptions_user_id"), "push_subscriptions", ["user_id"], unique=False)
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("search_terms", JSONType, nullable=False),
        sa.Column("locations", JSONType, nullable=False),
        sa.Column("params", JSONType, nullable=False),
        sa.Column(
            "schedule", sa.Enum("none", "hourly", "daily", "weekly", name="schedulekind", native_enum=False, length=16), nullable=False
        ),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_digest", sa.Boolean(), nullable=False),
        sa.Column("apprise_urls", JSONType, nullable=False),
        sa.Column("push", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_saved_searches_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index(op.f("ix_saved_searches_next_run_at"), "saved_searches", ["next_run_at"], unique=False)
    op.create_index(op.f("ix_saved_searches_owner_id"), "saved_searches", ["owner_id"], unique=False)
    op.create_table(
        "seen_jobs",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_seen_jobs_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "dedupe_key", name=op.f("pk_seen_jobs")),
    )
    op.create_table(
        "saved_search_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("saved_search_id", sa.Uuid(), nullable=False),
        sa.Column("slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column(
            "status", sa.Enum("queued", "running", "completed", "failed", name="runstatus", native_enum=False, length=16), nullable=False
        ),
        sa.Column("search_ids", JSONType, nullable=False),
        sa.Column("job_count", sa.Integer(), nullable=False),
        sa.Column("new_job_ids", JSONType, nullable=False),
        sa.Column("error", sa.String(length=600), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["saved_search_id"], ["saved_searches.id"], name=op.f("fk_saved_search_runs_saved_search_id_saved_searches"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search_runs")),
        sa.UniqueConstraint("saved_search_id", "slot_at", name=op.f("uq_saved_search_runs_saved_search_id")),
    )
    op.create_index(op.f("ix_saved_search_runs_saved_search_id"), "saved_search_runs", ["saved_search_id"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("saved_search_id", sa.Uuid(), nullable=True),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("job_ids", JSONType, nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["saved_search_runs.id"], name=op.f("fk_alerts_run_id_saved_search_runs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["saved_search_id"], ["saved_searches.id"], name=op.f("fk_alerts_saved_search_id_saved_searches"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_alerts_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_saved_search_id"), "alerts", ["saved_search_id"], unique=False)
    op.create_index(op.f("ix_alerts_user_id"), "alerts", ["user_id"], unique=False)
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column(
            "status", sa.Enum("pending", "sent", "failing", "gave_up", name="deliverystatus", native_enum=False, length=16), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("alert_id", "channel", name=op.f("uq_alert_deliveries_alert_id")),
    )
    op.create_index(op.f("ix_alert_deliveries_alert_id"), "alert_deliveries", ["alert_id"], unique=False)
    op.create_index(op.f("ix_alert_deliveries_next_attempt_at"), "alert_deliveries", ["next_attempt_at"], unique=False)
    op.create_index(op.f("ix_alert_deliveries_status"), "alert_deliveries", ["status"], unique=False)
    # What each user has been shown so far: every job their earlier searches found.
    op.execute(
        "INSERT INTO seen_jobs (user_id, dedupe_key, first_seen_at) "
        "SELECT s.owner_id, j.dedupe_key, MIN(sj.found_at) FROM search_jobs sj "
        "JOIN searches s ON s.id = sj.search_id JOIN jobs j ON j.id = sj.job_id "
        "WHERE s.owner_id IS NOT NULL GROUP BY s.owner_id, j.dedupe_key"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_deliveries_status"), table_name="alert_deliveries")
    op.drop_index(op.f("ix_alert_deliveries_next_attempt_at"), table_name="alert_deliveries")
    op.drop_index(op.f("ix_alert_deliveries_alert_id"), table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index(op.f("ix_alerts_user_id"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_saved_search_id"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_index(op.f("ix_saved_search_runs_saved_search_id"), table_name="saved_search_runs")
    op.drop_table("saved_search_runs")
    op.drop_table("seen_jobs")
    op.drop_index(op.f("ix_saved_searches_owner_id"), table_name="saved_searches")
    op.drop_index(op.f("ix_saved_searches_next_run_at"), table_name="saved_searches")
    op.drop_table("saved_searches")
    op.drop_index(op.f("ix_push_subscriptions_user_id"), table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
