"""License keys for desktop apps and browser extensions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from sqlmodel import Field, SQLModel

from jobspy_web.models.base import (
    enum_field,
    JSONType,
    UTCDateTime,
    created_at_field,
    metadata_field,
    updated_at_field,
    uuid_pk,
)


class LicenseStatus(str, Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


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
    hardware_fingerprint: str | None = Field(default=None, max_length=128)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    validation_count: int = 0
    last_validated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    extra_metadata: dict[str, Any] = metadata_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
