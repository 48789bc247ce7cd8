"""saved searches, schedules, runs and alerts (issue 13): reserved slot, filled by that issue's work

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:20:00.000000

"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
