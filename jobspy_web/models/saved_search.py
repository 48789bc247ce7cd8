"""Saved searches, their scheduled runs, which jobs each user has been shown, and the
tombstones of deleted saved searches (so a synced copy elsewhere learns of the deletion)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from jobspy_web.models.base import JSONType, UTCDateTime, created_at_field, enum_field, updated_at_field, uuid_pk


class ScheduleKind(str, Enum):
    NONE = "none"  # runs only when asked ("run now")
    HOURLY = "hourly"  # at `minute` past every hour
    DAILY = "daily"  # at `hour`:`minute`, in `timezone`
    WEEKLY = "weekly"  # on `weekday` (0 = Monday) at `hour`:`minute`, in `timezone`


class RunStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class SavedSearch(SQLModel, table=True):
    __tablename__ = "saved_searches"

    id: uuid.UUID = uuid_pk()
    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    name: str = Field(max_length=120)
    # Several of each: a run searches every term in every location.
    search_terms: list[str] = Field(default_factory=list, sa_type=JSONType)
    locations: list[str] = Field(default_factory=list, sa_type=JSONType)
    # Every other option of the search form (SearchParams without term and location).
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    schedule: ScheduleKind = enum_field(ScheduleKind.NONE)
    hour: int = 8
    minute: int = 0
    weekday: int = 0
    timezone: str = Field(default="UTC", max_length=64)
    paused: bool = False
    # The slot the dispatcher claims next (UTC); None when not scheduled or paused.
    next_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    email_digest: bool = True
    # Apprise URLs, one per channel (they may carry tokens: never shown back in full).
    apprise_urls: list[str] = Field(default_factory=list, sa_type=JSONType)
    push: bool = False
    created_at: datetime = created_at_field()
    # When the person last changed it (a synced copy's time when sync wrote it): sync's
    # last-writer-wins compares these.
    updated_at: datetime = updated_at_field()
    # When this server last wrote the row: what "changed since" means for a sync's pull.
    changed_at: datetime = updated_at_field()


class SavedSearchTombstone(SQLModel, table=True):
    """A deleted saved search, kept by id so sync can tell the person's other copies."""

    __tablename__ = "saved_search_tombstones"
    __table_args__ = (Index("ix_saved_search_tombstones_owner_id_changed_at", "owner_id", "changed_at"),)

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))  # the saved search's id
    owner_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    deleted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # the deletion, on the deleting device's clock
    changed_at: datetime = created_at_field()  # when this server wrote it


class SavedSearchRun(SQLModel, table=True):
    """One run of a saved search; (saved_search_id, slot_at) is unique, so a slot runs once."""

    __tablename__ = "saved_search_runs"
    __table_args__ = (UniqueConstraint("saved_search_id", "slot_at"),)

    id: uuid.UUID = uuid_pk()
    saved_search_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("saved_searches.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    # The schedule slot this run stands for; a "run now" takes the moment it was asked.
    slot_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    manual: bool = False
    status: RunStatus = enum_field(RunStatus.QUEUED)
    search_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    job_count: int = 0
    new_job_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    error: str | None = Field(default=None, max_length=600)
    created_at: datetime = created_at_field()
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SeenJob(SQLModel, table=True):
    """A job (by dedupe identity) this user has been shown: a repost is not new."""

    __tablename__ = "seen_jobs"

    user_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True))
    dedupe_key: str = Field(max_length=64, primary_key=True)
    first_seen_at: datetime = created_at_field()
