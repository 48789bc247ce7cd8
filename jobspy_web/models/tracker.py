"""The job tracker: a person's saved jobs, the stage each has reached, and the postings it links to."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum

from sqlalchemy import Column, ForeignKey, Index, Text, Uuid
from sqlmodel import Field, SQLModel

from jobspy_web.models.base import UTCDateTime, created_at_field, enum_field, utcnow, uuid_pk


class TrackerStage(str, Enum):
    SAVED = "saved"
    APPLIED = "applied"
    INTERVIEWING = "interviewing"
    OFFER = "offer"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class TrackedJob(SQLModel, table=True):
    """One job a person tracks. Rows are never deleted by the person (`deleted_at` marks
    them), so a desktop copy learns of a delete when it syncs."""

    __tablename__ = "tracked_jobs"
    # changes?since= reads one owner's rows by the time the server last wrote them.
    __table_args__ = (Index("ix_tracked_jobs_owner_id_changed_at", "owner_id", "changed_at"),)

    id: uuid.UUID = uuid_pk()
    owner_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    # The stored search result it was saved from, when there was one.
    job_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, ForeignKey("jobs.id", ondelete="SET NULL"), index=True))
    url: str = Field(sa_type=Text)  # the posting it was saved from, as given
    site: str = Field(max_length=32)
    title: str = Field(sa_type=Text)
    company: str | None = Field(default=None, sa_type=Text)
    location: str | None = Field(default=None, sa_type=Text)
    salary_text: str | None = Field(default=None, sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    notes: str = Field(default="", sa_type=Text)

    stage: TrackerStage = enum_field(TrackerStage.SAVED)
    # When the job (last) reached each stage; later stages are cleared when it moves back.
    saved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    interviewing_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    offer_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    follow_up_on: date | None = Field(default=None, index=True)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the follow-up's reminder went out

    created_at: datetime = created_at_field()
    # When the person last changed it, on whichever device: last-writer-wins compares this.
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # When this server last wrote the row (a pushed change keeps its older updated_at).
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TrackedJobLink(SQLModel, table=True):
    """A posting of a tracked job: the URL it was saved from and the boards' other URLs for it.
    Keyed by its normalised URL per owner, so one URL is one tracked job."""

    __tablename__ = "tracked_job_links"

    owner_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True)
    url_key: str = Field(max_length=64, primary_key=True)  # tracker.urls.url_key
    item_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("tracked_jobs.id", ondelete="CASCADE"), nullable=False, index=True))
    site: str = Field(max_length=32)
    url: str = Field(sa_type=Text)
    created_at: datetime = created_at_field()
