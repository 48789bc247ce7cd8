"""the Premium API: the OEWS wage benchmark tables and job_salary_facts (issue 14)

oews_releases, oews_areas, oews_occupations and oews_wages hold what
`jobspy_web.cli insights import-oews` loads (empty until then: the benchmark source says
"not loaded"). job_salary_facts is the analytics copy of jobs that insights.corpus keeps
in step; it starts empty and is filled from the stored jobs on first use. jobs gets an
index on last_seen_at, which that sync reads by.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oews_areas",
        sa.Column("area_code", sa.String(length=7), nullable=False),
        sa.Column("area_type", sa.String(length=8), nullable=False),
        sa.Column("state_code", sa.String(length=2), nullable=False),
        sa.Column("state_abbr", sa.String(length=2), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("area_code", name=op.f("pk_oews_areas")),
    )
    op.create_table(
        "oews_occupations",
        sa.Column("soc_code", sa.String(length=7), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("soc_code", name=op.f("pk_oews_occupations")),
    )
    op.create_table(
        "oews_releases",
        sa.Column("release_code", sa.String(length=16), nullable=False),
        sa.Column("release_name", sa.String(length=40), nullable=False),
        sa.Column("areas", sa.Integer(), nullable=False),
        sa.Column("occupations", sa.Integer(), nullable=False),
        sa.Column("wages", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("release_code", name=op.f("pk_oews_releases")),
    )
    op.create_table(
        "oews_wages",
        sa.Column("area_code", sa.String(length=7), nullable=False),
        sa.Column("soc_code", sa.String(length=7), nullable=False),
        sa.Column("employment", sa.Integer(), nullable=True),
        sa.Column("annual_mean", sa.Float(), nullable=True),
        sa.Column("annual_p10", sa.Float(), nullable=True),
        sa.Column("annual_p25", sa.Float(), nullable=True),
        sa.Column("annual_p50", sa.Float(), nullable=True),
        sa.Column("annual_p75", sa.Float(), nullable=True),
        sa.Column("annual_p90", sa.Float(), nullable=True),
        sa.Column("top_coded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("area_code", "soc_code", name=op.f("pk_oews_wages")),
    )
    op.create_table(
        "job_salary_facts",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("soc_code", sa.String(length=7), nullable=True),
        sa.Column("title_key", sa.String(length=200), nullable=False),
        sa.Column("seniority", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("state_abbr", sa.String(length=2), nullable=True),
        sa.Column("metro_code", sa.String(length=7), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("is_remote", sa.Boolean(), nullable=True),
        sa.Column("job_type", sa.String(length=200), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("yearly", sa.Float(), nullable=True),
        sa.Column("pay_source", sa.String(length=16), nullable=True),
        sa.Column("posted_month", sa.Date(), nullable=False),
        sa.Column("job_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_salary_facts_job_id_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_salary_facts")),
    )
    op.create_index(op.f("ix_job_salary_facts_job_seen_at"), "job_salary_facts", ["job_seen_at"], unique=False)
    op.create_index("ix_job_salary_facts_soc_month", "job_salary_facts", ["soc_code", "posted_month"], unique=False)
    op.create_index("ix_job_salary_facts_title_month", "job_salary_facts", ["title_key", "posted_month"], unique=False)
    op.create_index("ix_jobs_last_seen_at", "jobs", ["last_seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_jobs_last_seen_at", table_name="jobs")
    op.drop_index("ix_job_salary_facts_title_month", table_name="job_salary_facts")
    op.drop_index("ix_job_salary_facts_soc_month", table_name="job_salary_facts")
    op.drop_index(op.f("ix_job_salary_facts_job_seen_at"), table_name="job_salary_facts")
    op.drop_table("job_salary_facts")
    op.drop_table("oews_wages")
    op.drop_table("oews_releases")
    op.drop_table("oews_occupations")
    op.drop_table("oews_areas")
