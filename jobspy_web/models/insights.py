"""Salary insights: the public wage benchmark (BLS OEWS) and one salary fact per stored job.

The OEWS tables hold what `python -m jobspy_web.cli insights import-oews` loaded: areas,
occupations (SOC codes) and yearly wage percentiles for every occupation in every area,
cross-industry. `job_salary_facts` is the analytics copy of `jobs`: each posting's title
resolved to an occupation, its place resolved to a state and metro area, and its pay as
one yearly figure; insights.corpus keeps it in step with `jobs`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, Text, Uuid
from sqlmodel import Field, SQLModel

from jobspy_web.models.base import UTCDateTime, utcnow
from jobspy_web.models.search import Job


class OewsRelease(SQLModel, table=True):
    """One imported OEWS release (e.g. 2025A01, "May 2025"); the newest import wins."""

    __tablename__ = "oews_releases"

    release_code: str = Field(primary_key=True, max_length=16)
    release_name: str = Field(max_length=40)
    areas: int
    occupations: int
    wages: int
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OewsArea(SQLModel, table=True):
    __tablename__ = "oews_areas"

    area_code: str = Field(primary_key=True, max_length=7)
    area_type: str = Field(max_length=8)  # national, state, metro
    state_code: str = Field(max_length=2)  # FIPS; "00" for the nation
    state_abbr: str | None = Field(default=None, max_length=2)  # "TX"; None for the nation
    name: str = Field(max_length=200)


class OewsOccupation(SQLModel, table=True):
    __tablename__ = "oews_occupations"

    soc_code: str = Field(primary_key=True, max_length=7)  # "15-1252"
    title: str = Field(sa_type=Text)
    level: int  # 0 major group ... 3 detailed occupation


class OewsWage(SQLModel, table=True):
    """Yearly wages of one occupation in one area; None where BLS released no estimate."""

    __tablename__ = "oews_wages"

    area_code: str = Field(primary_key=True, max_length=7)
    soc_code: str = Field(primary_key=True, max_length=7)
    employment: int | None = None
    annual_mean: float | None = None
    annual_p10: float | None = None
    annual_p25: float | None = None
    annual_p50: float | None = None
    annual_p75: float | None = None
    annual_p90: float | None = None
    top_coded: bool = False  # some figure is BLS's cap ("#": $239,200 a year or more)


class JobSalaryFact(SQLModel, table=True):
    """What insights read of one stored job (see the module docstring)."""

    __tablename__ = "job_salary_facts"
    __table_args__ = (
        Index("ix_job_salary_facts_soc_month", "soc_code", "posted_month"),
        Index("ix_job_salary_facts_title_month", "title_key", "posted_month"),
    )

    job_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True))
    soc_code: str | None = Field(default=None, max_length=7)
    title_key: str = Field(max_length=200)  # insights.titles.normalise_title(title).key
    seniority: str = Field(max_length=16)
    country: str | None = Field(default=None, max_length=2)
    state_abbr: str | None = Field(default=None, max_length=2)
    metro_code: str | None = Field(default=None, max_length=7)
    place: str | None = Field(default=None, max_length=200)  # metro, else state, else the text
    site: str = Field(max_length=32)
    company: str | None = Field(default=None, max_length=200)
    is_remote: bool | None = None
    job_type: str | None = Field(default=None, max_length=200)
    currency: str | None = Field(default=None, max_length=8)
    yearly: float | None = None  # the midpoint of the posted range, per year
    pay_source: str | None = Field(default=None, max_length=16)  # posted, description
    posted_month: date
    job_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


# The corpus sync reads the jobs seen since its last run: without this index that is a
# scan of every stored job.
JOBS_LAST_SEEN_INDEX = Index("ix_jobs_last_seen_at", Job.__table__.c.last_seen_at)  # type: ignore[attr-defined]
