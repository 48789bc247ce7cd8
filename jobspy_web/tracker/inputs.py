"""What clients send the tracker, checked field by field: a job to save (`TrackedJobCreate`), a
change to one (`TrackedJobUpdate`) and a whole item from a syncing desktop app (`TrackedJobSync`).

Each refusal names its field (pydantic's error locations), so the API answers 422 with
`fields` and the UI can say what to fix.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from jobspy_web.core.sites import SITES
from jobspy_web.models.tracker import TrackerStage

__all__ = ["TRACKER_SITES", "PostingLink", "TrackedJobCreate", "TrackedJobSync", "TrackedJobUpdate"]

MAX_URL_CHARS = 2048
MAX_DESCRIPTION_CHARS = 100_000
MAX_NOTES_CHARS = 20_000
MAX_POSTINGS = 20
# The boards we search, plus "other" for a posting found anywhere else.
TRACKER_SITES = (*SITES, "other")
_SITE_ALIASES = {"ziprecruiter": "zip_recruiter", "zip-recruiter": "zip_recruiter", "google_jobs": "google"}


def _web_address(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("web_address", "Give the posting's full web address, starting with https:// or http://.")
    return value


def _known_site(value: str) -> str:
    site = _SITE_ALIASES.get(value.strip().lower(), value.strip().lower())
    if site not in TRACKER_SITES:
        raise PydanticCustomError("site", "Use one of: {sites}.", {"sites": ", ".join(TRACKER_SITES)})
    return site


def _blank_is_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


WebAddress = Annotated[str, StringConstraints(max_length=MAX_URL_CHARS), AfterValidator(_web_address)]
SiteKey = Annotated[str, StringConstraints(max_length=32), AfterValidator(_known_site)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ShortText = Annotated[Annotated[str, StringConstraints(max_length=500)] | None, BeforeValidator(_blank_is_none)]
Description = Annotated[Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)] | None, BeforeValidator(_blank_is_none)]
Notes = Annotated[str, StringConstraints(max_length=MAX_NOTES_CHARS)]


class PostingLink(BaseModel):
    """Another board's address for the same job."""

    model_config = ConfigDict(extra="forbid")

    site: SiteKey = "other"
    url: WebAddress


class TrackedJobCreate(BaseModel):
    """A job to start tracking: from the results, or a posting the browser extension read."""

    model_config = ConfigDict(extra="forbid")

    url: WebAddress
    title: Title
    company: ShortText = None
    location: ShortText = None
    salary_text: ShortText = None
    description: Description = None
    site: SiteKey
    stage: TrackerStage = TrackerStage.SAVED
    job_id: uuid.UUID | None = None  # a stored search result: its other boards' postings are linked too


class TrackedJobUpdate(BaseModel):
    """A change the person makes; fields left out stay as they are (null clears follow_up_on)."""

    model_config = ConfigDict(extra="forbid")

    stage: TrackerStage | None = None
    notes: Notes | None = None
    follow_up_on: date | None = None


class TrackedJobSync(BaseModel):
    """A whole tracked job as a syncing client (the desktop app) holds it."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    url: WebAddress
    title: Title
    company: ShortText = None
    location: ShortText = None
    salary_text: ShortText = None
    description: Description = None
    site: SiteKey
    stage: TrackerStage = TrackerStage.SAVED
    # When the job reached each stage; left out, the server dates the stage by updated_at.
    stage_dates: dict[TrackerStage, AwareDatetime | None] | None = None
    notes: Notes = ""
    follow_up_on: date | None = None
    postings: list[PostingLink] = PydanticField(default_factory=list, max_length=MAX_POSTINGS)
    updated_at: AwareDatetime
    deleted: bool = False
    # Accepted and ignored, so a client may send back what it got: read-only on the server.
    job_id: uuid.UUID | None = None
    created_at: AwareDatetime | None = None
