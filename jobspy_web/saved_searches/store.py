"""Saving a search: what may be saved (checked against the owner's tier), listing, changing, pausing.
Deleting one leaves a tombstone (saved_searches.sync tells the person's other copies).

The tier is an argument: the caller computes it (accounts.entitlements.tier_for_user).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import apprise
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func
from sqlmodel import Session, col, select

from jobspy_web.core import tiers
from jobspy_web.core.errors import DomainError
from jobspy_web.models import SavedSearch, SavedSearchTombstone, ScheduleKind
from jobspy_web.models.base import utcnow
from jobspy_web.saved_searches.schedules import Schedule, known_timezone, next_slot
from jobspy_web.search.params import SearchParams, SearchParamsError, parse_search_params

MAX_TERMS = 10
MAX_LOCATIONS = 10
MAX_CHANNELS = 5
SCHEDULED_FEATURE = "scheduled_searches"


class SavedSearchError(DomainError):
    """A saved search that can't be saved or changed as asked."""

    status = 422
    messages = {
        "NOT_FOUND": "That saved search no longer exists.",
        "SCHEDULE_NEEDS_PRO": "Scheduled runs are a Pro feature: save it without a schedule and run it when you like, or upgrade.",
    }
    statuses = {"NOT_FOUND": 404, "SAVED_SEARCH_LIMIT": 403, "SCHEDULE_NEEDS_PRO": 403, "TIER_LIMIT": 403}


class SavedSearchInput(BaseModel):
    """A saved search as a form or the API sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    search_terms: list[str] = Field(min_length=1, max_length=MAX_TERMS)
    locations: list[str] = Field(default_factory=list, max_length=MAX_LOCATIONS)
    # Every other option of the search form (SearchParams' names); checked below.
    params: dict[str, Any] = Field(default_factory=dict)
    schedule: ScheduleKind = ScheduleKind.NONE
    hour: int = Field(8, ge=0, le=23)
    minute: int = Field(0, ge=0, le=59)
    weekday: int = Field(0, ge=0, le=6)
    timezone: str = "UTC"
    email_digest: bool = True
    apprise_urls: list[str] = Field(default_factory=list, max_length=MAX_CHANNELS)
    push: bool = False

    @field_validator("search_terms", "locations")
    @classmethod
    def _distinct_text(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(value.strip() for value in values if value.strip()))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        if not known_timezone(name):
            raise ValueError(f"unknown time zone '{name}'; use a name such as Europe/Berlin or America/New_York")
        return name

    @field_validator("apprise_urls")
    @classmethod
    def _channels(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if apprise.Apprise.instantiate(url) is None:
                raise ValueError("a notification URL was not understood; see the Apprise docs for its form (e.g. ntfy://topic)")
        return urls

    def search_params(self, term: str, location: str) -> SearchParams:
        raw = {key: value for key, value in self.params.items() if key not in ("search_term", "location")}
        return parse_search_params({**raw, "search_term": term, "location": location})

    @property
    def schedule_rule(self) -> Schedule:
        return Schedule(self.schedule, self.hour, self.minute, self.weekday, self.timezone)


def parse_saved_search(raw: dict[str, Any]) -> SavedSearchInput:
    """Validate a saved search, naming each field that is wrong (a 422 with sentences)."""
    try:
        data = SavedSearchInput.model_validate(raw)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "saved_search"
            problems.setdefault(field, str(problem["msg"]).removeprefix("Value error, "))
        raise SearchParamsError(problems) from None
    if not data.search_terms:
        raise SearchParamsError({"search_terms": "Enter at least one search term."})
    data.search_params(data.search_terms[0], (data.locations or [""])[0])  # every other option checked once
    return data


def schedule_of(saved: SavedSearch) -> Schedule:
    return Schedule(saved.schedule, saved.hour, saved.minute, saved.weekday, saved.timezone)


def check_tier(data: SavedSearchInput, tier: tiers.Tier | str) -> None:
    """SavedSearchError 403 if `tier` can't run `data` (its sites or size, or a schedule)."""
    params = data.search_params(data.search_terms[0], (data.locations or [""])[0])
    if denial := tiers.search_denial(tier, sites=params.site_name, results_wanted=params.results_wanted):
        raise SavedSearchError("TIER_LIMIT", denial)
    if data.schedule is not ScheduleKind.NONE and SCHEDULED_FEATURE not in tiers.rules_for(tier).features:
        raise SavedSearchError("SCHEDULE_NEEDS_PRO")


def plan_next(saved: SavedSearch, now: datetime) -> None:
    saved.next_run_at = None if saved.paused else next_slot(schedule_of(saved), now)


def count_saved(*, session: Session, owner_id: uuid.UUID) -> int:
    return session.exec(select(func.count()).select_from(SavedSearch).where(SavedSearch.owner_id == owner_id)).one()


def create_saved_search(
    *, session: Session, owner_id: uuid.UUID, tier: tiers.Tier | str, data: SavedSearchInput, now: datetime | None = None
) -> SavedSearch:
    """Save a search for `owner_id`; refused past the tier's number of saved searches."""
    check_room(session=session, owner_id=owner_id, tier=tier)
    check_tier(data, tier)
    saved = SavedSearch(owner_id=owner_id, **data.model_dump())
    plan_next(saved, now or utcnow())
    session.add(saved)
    session.flush()
    return saved


def check_room(*, session: Session, owner_id: uuid.UUID, tier: tiers.Tier | str) -> None:
    """SavedSearchError 403 SAVED_SEARCH_LIMIT if the owner has all the saved searches `tier` allows."""
    allowed = tiers.rules_for(tier).saved_searches
    if count_saved(session=session, owner_id=owner_id) >= allowed:
        upgrade = " Pro allows 50." if tiers.Tier(tier) is tiers.Tier.FREE else ""
        raise SavedSearchError("SAVED_SEARCH_LIMIT", f"Your plan allows {allowed} saved searches; delete one to save another.{upgrade}")


def update_saved_search(
    *, session: Session, owner_id: uuid.UUID, saved_search_id: uuid.UUID, tier: tiers.Tier | str, data: SavedSearchInput
) -> SavedSearch:
    saved = get_saved_search(session=session, owner_id=owner_id, saved_search_id=saved_search_id)
    check_tier(data, tier)
    for name, value in data.model_dump().items():
        setattr(saved, name, value)
    plan_next(saved, utcnow())
    session.add(saved)
    return saved


def set_paused(
    *, session: Session, owner_id: uuid.UUID, saved_search_id: uuid.UUID, paused: bool, now: datetime | None = None
) -> SavedSearch:
    """Pause (no slot is claimed) or resume (from the next slot on: paused ones are not caught up)."""
    saved = get_saved_search(session=session, owner_id=owner_id, saved_search_id=saved_search_id)
    saved.paused = paused
    plan_next(saved, now or utcnow())
    session.add(saved)
    return saved


def delete_saved_search(*, session: Session, owner_id: uuid.UUID, saved_search_id: uuid.UUID, now: datetime | None = None) -> None:
    session.delete(get_saved_search(session=session, owner_id=owner_id, saved_search_id=saved_search_id))
    moment = now or utcnow()
    bury(session, owner_id, saved_search_id, deleted_at=moment, now=moment)


def bury(session: Session, owner_id: uuid.UUID, saved_search_id: uuid.UUID, *, deleted_at: datetime, now: datetime) -> SavedSearchTombstone:
    """Record that saved search `saved_search_id` was deleted at `deleted_at` (written `now`)."""
    tombstone = session.get(SavedSearchTombstone, saved_search_id)
    if tombstone is None:
        tombstone = SavedSearchTombstone(id=saved_search_id, owner_id=owner_id, deleted_at=deleted_at)
    tombstone.deleted_at, tombstone.changed_at = deleted_at, now
    session.add(tombstone)
    session.flush()
    return tombstone


def get_saved_search(*, session: Session, owner_id: uuid.UUID, saved_search_id: uuid.UUID) -> SavedSearch:
    saved = session.get(SavedSearch, saved_search_id)
    if saved is None or saved.owner_id != owner_id:  # someone else's looks like a missing one
        raise SavedSearchError("NOT_FOUND")
    return saved


def list_saved_searches(*, session: Session, owner_id: uuid.UUID) -> list[SavedSearch]:
    return list(session.exec(select(SavedSearch).where(SavedSearch.owner_id == owner_id).order_by(col(SavedSearch.created_at))))


def masked_channel(url: str) -> str:
    """An Apprise URL as it may be shown back: its scheme only (the rest can be a token)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://…" if rest else url
