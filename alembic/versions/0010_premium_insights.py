"""the Premium API: wage benchmark and insights (issue 14): reserved slot, filled by that issue's work

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:20:00.000000

"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
