"""The tracker's refusals, in the one DomainError family (mapped to JSON by api/errors.py)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar

from jobspy_web.core.errors import DomainError

__all__ = ["TrackerError", "TrackerErrorCode"]


class TrackerErrorCode(str, Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_REQUEST = "INVALID_REQUEST"


class TrackerError(DomainError):
    """No such tracked job of yours (404: another person's looks exactly like a missing one),
    or a field the tracker can't accept (422, naming it in `fields`)."""

    status = 422
    statuses: ClassVar[Mapping[Any, int]] = {TrackerErrorCode.NOT_FOUND: 404, TrackerErrorCode.INVALID_REQUEST: 422}
    messages: ClassVar[Mapping[Any, str]] = {
        TrackerErrorCode.NOT_FOUND: "No such job in your tracker.",
        TrackerErrorCode.INVALID_REQUEST: "Some fields are missing or invalid.",
    }


def invalid(field: str, sentence: str) -> TrackerError:
    return TrackerError(TrackerErrorCode.INVALID_REQUEST, fields={field: sentence})
