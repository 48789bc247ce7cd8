"""One API call, as the usage log keeps it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from jobspy_web.models.base import utcnow

__all__ = ["UsageEvent"]


@dataclass(slots=True)
class UsageEvent:
    endpoint: str  # the route's path template, e.g. /api/searches/{search_id}
    method: str
    status_code: int
    response_time_ms: float
    user_id: uuid.UUID | None = None
    license_id: uuid.UUID | None = None
    request_size_bytes: int = 0
    response_size_bytes: int = 0
    client_ip: str | None = None
    created_at: datetime = field(default_factory=utcnow)
