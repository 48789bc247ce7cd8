"""One row per Premium API call."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from jobspy_web.models.base import UTCDateTime, metadata_field, utcnow, uuid_pk


class ApiUsage(SQLModel, table=True):
    __tablename__ = "api_usage"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    license_id: uuid.UUID | None = Field(default=None, foreign_key="licenses.id")
    endpoint: str = Field(max_length=200)
    method: str = Field(max_length=8)
    status_code: int
    response_time_ms: float
    request_size_bytes: int = 0
    response_size_bytes: int = 0
    client_ip: str | None = Field(default=None, max_length=45)
    extra_metadata: dict[str, Any] = metadata_field()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
