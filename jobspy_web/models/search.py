"""Searches, the jobs they found, and the link between the two."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Column, ForeignKey, Text, Uuid
from sqlmodel import Field, SQLModel

from jobspy_web.models.base import (
    JSONType,
    UTCDateTime,
    created_at_field,
    enum_field,
    updated_at_field,
    uuid_pk,
)


class SearchStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"  # every site answered, some may have failed
    FAILED = "failed"  # no site produced results and at least one failed
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the server stopped mid-run; partial results kept

    @property
    def is_active(self) -> bool:
        return self in (SearchStatus.QUEUED, SearchStatus.RUNNING)


class Search(SQLModel, table=True):
    __tablename__ = "searches"

    id: uuid.UUID = uuid_pk()
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    # The validated SearchParams, as JSON.
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    label: str = Field(default="", max_length=300)
    status: SearchStatus = enum_field(SearchStatus.QUEUED, index=True)
    # {site: {"state", "count", "error", "hint", "elapsed_ms"}}
    site_outcomes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    warnings: list[str] = Field(default_factory=list, sa_type=JSONType)
    job_count: int = 0
    cancel_requested: bool = False
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Job(SQLModel, table=True):
    """One posting, merged across the boards that list it (see `sources`)."""

    __tablename__ = "jobs"

    id: uuid.UUID = uuid_pk()
    dedupe_key: str = Field(max_length=64, unique=True, index=True)
    # Digest of the normalised company and city: the stored jobs a new row's title is
    # fuzzily compared with (search.jobs.company_city_key). NULL without a company.
    company_city_key: str | None = Field(default=None, max_length=64, index=True)
    # Every board this posting was seen on: [{"site", "job_url", "job_url_direct", "id"}].
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)

    # JobSpy's JobPost fields, as the first board reported them.
    site: str = Field(max_length=32)
    external_id: str | None = Field(default=None, max_length=200)
    job_url: str = Field(sa_type=Text)
    job_url_direct: str | None = Field(default=None, sa_type=Text)
    title: str = Field(sa_type=Text)
    company: str | None = Field(default=None, sa_type=Text)
    location: str | None = Field(default=None, sa_type=Text)
    date_posted: date | None = None
    job_type: str | None = Field(default=None, max_length=200)
    salary_source: str | None = Field(default=None, max_length=32)
    interval: str | None = Field(default=None, max_length=16)
    min_amount: float | None = None
    max_amount: float | None = None
    currency: str | None = Field(default=None, max_length=8)
    is_remote: bool | None = None
    job_level: str | None = Field(default=None, sa_type=Text)
    job_function: str | None = Field(default=None, sa_type=Text)
    listing_type: str | None = Field(default=None, sa_type=Text)
    emails: str | None = Field(default=None, sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    company_industry: str | None = Field(default=None, sa_type=Text)
    company_url: str | None = Field(default=None, sa_type=Text)
    company_logo: str | None = Field(default=None, sa_type=Text)
    company_url_direct: str | None = Field(default=None, sa_type=Text)
    company_addresses: str | None = Field(default=None, sa_type=Text)
    company_num_employees: str | None = Field(default=None, sa_type=Text)
    company_revenue: str | None = Field(default=None, sa_type=Text)
    company_description: str | None = Field(default=None, sa_type=Text)
    skills: str | None = Field(default=None, sa_type=Text)
    experience_range: str | None = Field(default=None, sa_type=Text)
    company_rating: float | None = None
    company_reviews_count: int | None = None
    vacancy_count: int | None = None
    work_from_home_type: str | None = Field(default=None, sa_type=Text)

    # Salary normalised to a yearly figure, in `currency`; `interval` keeps the original.
    yearly_min: float | None = Field(default=None, index=True)
    yearly_max: float | None = None

    first_seen_at: datetime = created_at_field()
    last_seen_at: datetime = updated_at_field()


class SearchJob(SQLModel, table=True):
    __tablename__ = "search_jobs"

    search_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("searches.id", ondelete="CASCADE"), primary_key=True))
    job_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True))
    # The boards that returned this job for this search, e.g. ["indeed", "linkedin"].
    sites: list[str] = Field(default_factory=list, sa_type=JSONType)
    found_at: datetime = created_at_field()
