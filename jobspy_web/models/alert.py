"""Alerts: what a run found for a person, how each channel delivered it, and push subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import Column, ForeignKey, Text, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from jobspy_web.models.base import JSONType, UTCDateTime, created_at_field, enum_field, uuid_pk


class DeliveryStatus(str, Enum):
    PENDING = "pending"  # not tried yet, or waiting for its next attempt
    SENT = "sent"
    FAILING = "failing"  # tried and failed; retried with backoff until it gives up
    GAVE_UP = "gave_up"


class Alert(SQLModel, table=True):
    """In-app: the bell counts the unread ones."""

    __tablename__ = "alerts"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    saved_search_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, ForeignKey("saved_searches.id", ondelete="CASCADE"), nullable=True, index=True)
    )
    run_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, ForeignKey("saved_search_runs.id", ondelete="SET NULL")))
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_type=Text)
    job_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class AlertDelivery(SQLModel, table=True):
    """One alert on one outside channel (email, an Apprise URL, web push)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel"),)

    id: uuid.UUID = uuid_pk()
    alert_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False, index=True))
    # "email", "push", or "apprise:<n>" (the n-th URL of the saved search).
    channel: str = Field(max_length=40)
    status: DeliveryStatus = enum_field(DeliveryStatus.PENDING, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class PushSubscription(SQLModel, table=True):
    """A browser's Web Push subscription (the PWA asked for it when the user turned push on)."""

    __tablename__ = "push_subscriptions"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    endpoint: str = Field(sa_type=Text, unique=True)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    created_at: datetime = created_at_field()
