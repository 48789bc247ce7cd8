"""Security events, for the admin page and investigations. Nothing secret goes in here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from jobspy_web.models.base import UTCDateTime, metadata_field, utcnow, uuid_pk


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: uuid.UUID = uuid_pk()
    # e.g. "login.success", "license.revoke": noun.verb, stable for filtering.
    action: str = Field(max_length=64, index=True)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    subject_type: str | None = Field(default=None, max_length=32)
    subject_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=300)
    extra_metadata: dict[str, Any] = metadata_field()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
