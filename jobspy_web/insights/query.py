"""A salary-insights query: its parameters checked, then normalised into what the answer
and its cache key are computed from."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from enum import Enum
from typing import Any, ClassVar, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jobspy_web.core.errors import DomainError
from jobspy_web.insights.places import Place, resolve_place
from jobspy_web.insights.titles import NormalisedTitle, OccupationMatch, match_occupation, normalise_title

__all__ = ["InsightsError", "InsightsQuery", "NormalisedQuery", "normalise_query", "parse_query", "window_months"]

MAX_MONTHS = 36
JOB_TYPES = ("fulltime", "parttime", "contract", "internship", "temporary")


class InsightsErrorCode(str, Enum):
    INVALID_QUERY = "INVALID_QUERY"
    UNKNOWN_PARAMETERS = "UNKNOWN_PARAMETERS"


class InsightsError(DomainError):
    status = 422
    messages: ClassVar[Mapping[Any, str]] = {
        InsightsErrorCode.INVALID_QUERY: "Some parameters are missing or invalid.",
        InsightsErrorCode.UNKNOWN_PARAMETERS: "Some parameters are not ones this endpoint reads.",
    }


class InsightsQuery(BaseModel):
    """GET /premium/salary-insights?title=...&location=...: every parameter it reads."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    title: str = Field(min_length=1, max_length=200, description="The job title, as posted or searched")
    location: str | None = Field(None, max_length=200, description='"Austin, TX", "Texas", "Remote", "London, UK"')
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2 code")
    job_type: Literal["fulltime", "parttime", "contract", "internship", "temporary"] | None = None
    remote: bool | None = Field(None, description="Only remote (true) or only on-site (false) postings")
    currency: str = Field("USD", pattern=r"^[A-Za-z]{3}$", description="Figures in this currency only")
    months: int = Field(12, ge=1, le=MAX_MONTHS, description="How many months back the window reaches")


PARAMETERS = tuple(InsightsQuery.model_fields)


def parse_query(pairs: Sequence[tuple[str, str]]) -> InsightsQuery:
    """The query from a request's (name, value) pairs: 422 naming unknown, repeated or invalid ones."""
    unknown = sorted({name for name, _ in pairs if name not in PARAMETERS})
    if unknown:
        fields = {name[:100]: f"Unknown parameter; this endpoint reads: {', '.join(PARAMETERS)}." for name in unknown[:20]}
        raise InsightsError(InsightsErrorCode.UNKNOWN_PARAMETERS, f"Unknown parameters: {', '.join(unknown[:20])}.", fields=fields)
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise InsightsError(InsightsErrorCode.INVALID_QUERY, fields={name: "Give this parameter once."})
        values[name] = value
    try:
        return InsightsQuery.model_validate({name: value for name, value in values.items() if value != "" or name == "title"})
    except ValidationError as error:
        fields = {".".join(str(part) for part in problem["loc"]) or "query": problem["msg"] for problem in error.errors(include_url=False)}
        raise InsightsError(InsightsErrorCode.INVALID_QUERY, fields=fields) from None


@dataclass(frozen=True)
class NormalisedQuery:
    title: NormalisedTitle
    occupation: OccupationMatch | None
    place: Place
    country: str | None
    job_type: str | None
    remote: bool | None
    currency: str
    months: int
    ignored: tuple[str, ...]  # parameters given but not applied (see normalise_query)

    def cache_key(self) -> str:
        """The same key for every query that selects the same postings the same way."""
        digest = hashlib.sha256(orjson.dumps(asdict(self), option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
        return f"insights:v1:{digest}"


def normalise_query(query: InsightsQuery, *, metros: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> NormalisedQuery:
    """Title and place resolved. A location we can't place is ignored (listed in `ignored`),
    and so is a country the location already decides."""
    title = normalise_title(query.title)
    place = resolve_place(query.location, metros=metros)
    ignored = []
    if place.level == "unknown":
        ignored.append("location")
        place = resolve_place(None)
    country = query.country.upper() if query.country else None
    if country and place.country:
        if country != place.country:
            ignored.append("country")
        country = None  # the location decides
    remote = query.remote
    if place.is_remote:
        remote, place = True, resolve_place(None)
    return NormalisedQuery(
        title=title,
        occupation=match_occupation(title.key),
        place=place,
        country=country,
        job_type=query.job_type,
        remote=remote,
        currency=query.currency.upper(),
        months=query.months,
        ignored=tuple(ignored),
    )


def window_months(months: int, *, today: date) -> list[str]:
    """The window's months, oldest first, as 'YYYY-MM', ending with today's."""
    out = []
    year, month = today.year, today.month
    for _ in range(months):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]
