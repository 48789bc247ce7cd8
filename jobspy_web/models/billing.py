"""Stripe subscriptions and payments, mirrored from Stripe (the source of truth)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from jobspy_web.models.base import (
    UTCDateTime,
    created_at_field,
    metadata_field,
    updated_at_field,
    uuid_pk,
)


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    stripe_subscription_id: str = Field(max_length=64, unique=True)
    stripe_customer_id: str | None = Field(default=None, max_length=64)
    plan_id: str = Field(max_length=64)
    status: str = Field(max_length=32)
    current_period_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    current_period_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_at_period_end: bool = False
    extra_metadata: dict[str, Any] = metadata_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Payment(SQLModel, table=True):
    __tablename__ = "payments"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    subscription_id: uuid.UUID | None = Field(default=None, foreign_key="subscriptions.id")
    stripe_payment_intent_id: str = Field(max_length=64, unique=True)
    amount_cents: int = Field(ge=0)
    currency: str = Field(max_length=3)
    status: str = Field(max_length=32)
    description: str | None = Field(default=None, max_length=500)
    extra_metadata: dict[str, Any] = metadata_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
