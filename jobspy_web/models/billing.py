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
    # When the Stripe snapshot these columns hold was fetched: an older snapshot (a slow,
    # concurrent webhook) is never written over a newer one.
    stripe_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The Checkout session that started it: the page Stripe sends people back to asks
    # by it whether the webhook has landed. cs_ ids run past 64 characters.
    checkout_session_id: str | None = Field(default=None, max_length=255, index=True)
    extra_metadata: dict[str, Any] = metadata_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Payment(SQLModel, table=True):
    __tablename__ = "payments"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    subscription_id: uuid.UUID | None = Field(default=None, foreign_key="subscriptions.id")
    # A subscription's payments are known by their invoice, one-off purchases by their
    # PaymentIntent: each webhook finds "its" row by one of these, so a replay updates it.
    stripe_payment_intent_id: str | None = Field(default=None, max_length=64, unique=True)
    stripe_invoice_id: str | None = Field(default=None, max_length=64, unique=True)
    amount_cents: int = Field(ge=0)
    currency: str = Field(max_length=3)
    status: str = Field(max_length=32)
    description: str | None = Field(default=None, max_length=500)
    # Stripe's hosted invoice page, or the charge's receipt for one-off purchases.
    invoice_url: str | None = Field(default=None, max_length=1000)
    billed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    extra_metadata: dict[str, Any] = metadata_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class StripeEvent(SQLModel, table=True):
    """A Stripe event we have acted on, written in the same transaction as its effects:
    its id being here is what makes a redelivery a no-op."""

    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, max_length=255)  # evt_...
    type: str = Field(max_length=100)
    object_id: str | None = Field(default=None, max_length=255, index=True)
    # When Stripe created the event, and the object it is about.
    event_created: datetime = Field(sa_type=UTCDateTime)
    object_created: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # applied | ignored (a type or object we don't act on) | stale (older than what we hold)
    outcome: str = Field(max_length=32)
    received_at: datetime = Field(sa_type=UTCDateTime)
    processed_at: datetime = created_at_field()
