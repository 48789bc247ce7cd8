"""License keys for desktop apps and browser extensions, and the machines they run on."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from jobspy_web.models.base import (
    JSONType,
    UTCDateTime,
    created_at_field,
    enum_field,
    metadata_field,
    updated_at_field,
    utcnow,
    uuid_pk,
)


class LicenseStatus(str, Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # reversible (reinstate)
    REVOKED = "revoked"  # final


class License(SQLModel, table=True):
    __tablename__ = "licenses"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    # The key itself is shown once and never stored: only its SHA-256 and a display prefix.
    license_key_hash: str = Field(max_length=64, unique=True, index=True)
    key_prefix: str = Field(max_length=16)
    license_type: str = Field(default="pro", max_length=32)
    status: LicenseStatus = enum_field(LicenseStatus.ACTIVE)
    features: list[str] = Field(default_factory=list, sa_type=JSONType)
    max_machines: int = 1
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    validation_count: int = 0
    last_validated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Another system's id for this license (e.g. "stripe:sub_123"): issuing twice with the
    # same reference returns the first license, so webhook retries are harmless.
    external_ref: str | None = Field(default=None, max_length=128, unique=True)
    # Issued to an address with no account yet (see accounts.users.license_owner): None
    # once the license has an owner.
    pending_email: str | None = Field(default=None, max_length=320)
    # A key issued while its owner wasn't looking (by a webhook), encrypted until they
    # see it once (billing.checkout.reveal_new_keys); None once shown.
    sealed_key: str | None = Field(default=None, max_length=512)
    extra_metadata: dict[str, Any] = metadata_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class LicenseMachine(SQLModel, table=True):
    """A device a license is activated on, known by the hardware fingerprint its client sends."""

    __tablename__ = "license_machines"
    __table_args__ = (UniqueConstraint("license_id", "fingerprint"),)

    id: uuid.UUID = uuid_pk()
    license_id: uuid.UUID = Field(foreign_key="licenses.id", ondelete="CASCADE")
    fingerprint: str = Field(max_length=128)
    name: str | None = Field(default=None, max_length=100)  # e.g. the hostname
    app_version: str | None = Field(default=None, max_length=32)
    first_seen_at: datetime = created_at_field()
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class LicenseMachinePublic(SQLModel):
    id: uuid.UUID
    fingerprint: str
    name: str | None
    app_version: str | None
    first_seen_at: datetime
    last_seen_at: datetime


class LicensePublic(SQLModel):
    """What the owner and operators see: never the key or its hash, only the prefix."""

    id: uuid.UUID
    user_id: uuid.UUID | None
    key_prefix: str
    license_type: str
    status: LicenseStatus
    features: list[str]
    max_machines: int
    expires_at: datetime | None
    validation_count: int
    last_validated_at: datetime | None
    external_ref: str | None
    created_at: datetime
    machines: list[LicenseMachinePublic] = []
