"""Accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from sqlmodel import Field, SQLModel

from jobspy_web.models.base import (
    UTCDateTime,
    created_at_field,
    enum_field,
    metadata_field,
    updated_at_field,
    uuid_pk,
)


class Role(str, Enum):
    FREE = "free"
    PRO = "pro"
    TEAM = "team"
    ADMIN = "admin"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = uuid_pk()
    email: str = Field(max_length=320, unique=True, index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    full_name: str | None = Field(default=None, max_length=200)
    role: Role = enum_field(Role.FREE)
    is_active: bool = True
    email_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Access tokens issued before this are refused; set by every password change or reset.
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stripe_customer_id: str | None = Field(default=None, max_length=64, unique=True)
    extra_metadata: dict[str, Any] = metadata_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
