"""hardening (issue 12): password-guess throttles and password_changed_at

login_throttles counts failed password checks per bucket (an account from unknown devices,
an account from one known device, a signed-in account's own checks): accounts.login_throttle
slows each bucket down exponentially. users.password_changed_at is set by every password
change or reset; access tokens issued before it are refused. Sessions' idle timeout reads
the existing login_sessions.last_seen_at: no column for it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_changed_at")
    op.drop_table("login_throttles")
