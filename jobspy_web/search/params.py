"""What a person may ask of a search, checked before any site is contacted."""

from __future__ import annotations

from typing import Any, Literal

from jobspy.model import Country, JobType
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from jobspy_web.core.errors import DomainError
from jobspy_web.core.sites import DEFAULT_SITES, SITES

MAX_RESULTS_WANTED = 1000  # boards stop paging around 1000 results
COUNTRIES = sorted(country.value for country in Country)
JOB_TYPES = [job_type.value for job_type in JobType]
# Glassdoor serves these countries; the rest of JobSpy's list is Indeed-only.
GLASSDOOR_COUNTRIES = {
    "argentina", "australia", "austria", "belgium", "brazil", "canada", "france", "germany",
    "hong kong", "india", "ireland", "italy", "malaysia", "mexico", "netherlands",
    "new zealand", "singapore", "spain", "switzerland", "uk", "usa", "vietnam",
}  # fmt: skip
REGIONAL_SITES = {"bayt": "the Middle East", "naukri": "India", "bdjobs": "Bangladesh"}


class SearchParamsError(DomainError):
    """The search cannot run as asked; `fields` maps each field to a sentence for people."""

    status = 422

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("INVALID_SEARCH", " ".join(problems.values()), fields=problems)  # each is a sentence

    @property
    def problems(self) -> dict[str, str]:
        return self.fields or {}


class SearchParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site_name: list[str] = Field(default_factory=lambda: list(DEFAULT_SITES), min_length=1)
    search_term: str = Field("", max_length=200)
    google_search_term: str = Field("", max_length=300)
    location: str = Field("", max_length=200)
    distance: int = Field(50, ge=0, le=500)
    job_type: Literal["", "fulltime", "parttime", "contract", "temporary", "internship", "perdiem", "other", "volunteer"] = ""  # fmt: skip
    is_remote: bool = False
    results_wanted: int = Field(20, ge=1, le=MAX_RESULTS_WANTED)
    hours_old: int | None = Field(None, ge=1, le=24 * 365)
    easy_apply: bool = False
    country_indeed: str = "usa"
    linkedin_company_ids: list[int] = Field(default_factory=list, max_length=50)
    linkedin_fetch_description: bool = False
    description_format: Literal["markdown", "html", "plain"] = "markdown"
    enforce_annual_salary: bool = False
    offset: int = Field(0, ge=0, le=MAX_RESULTS_WANTED)

    @field_validator("site_name")
    @classmethod
    def _known_sites(cls, sites: list[str]) -> list[str]:
        unknown = [site for site in sites if site not in SITES]
        if unknown:
            raise ValueError(f"unknown site {', '.join(unknown)}; choose from {', '.join(SITES)}")
        return list(dict.fromkeys(sites))

    @field_validator("search_term", "google_search_term", "location", "country_indeed", mode="before")
    @classmethod
    def _storable_text(cls, text: Any) -> Any:
        # A NUL or a lone surrogate can't be stored (PostgreSQL refuses it) or typed on purpose.
        if isinstance(text, str) and ("\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)):
            raise ValueError("This contains characters that can't be used in a search; retype it.")
        return text

    @field_validator("country_indeed")
    @classmethod
    def _known_country(cls, country: str) -> str:
        try:
            return Country(country.lower()).value
        except ValueError:
            raise ValueError(f"unknown country '{country}' for Indeed") from None

    @model_validator(mode="after")
    def _combinations_that_work(self) -> SearchParams:
        if not (self.search_term or self.google_search_term or self.linkedin_company_ids):
            raise ValueError("enter what you are looking for (a search term)")
        # JobSpy documents these filter groups as mutually exclusive on these boards.
        if "indeed" in self.site_name and self.easy_apply and (self.hours_old or self.job_type or self.is_remote):
            raise ValueError(
                "Indeed can't combine easy apply with posted-within, job type or remote: drop one, or search Indeed separately"
            )
        if "linkedin" in self.site_name and self.easy_apply and self.hours_old:
            raise ValueError("LinkedIn can't combine easy apply with posted-within: drop one of them")
        return self

    @property
    def label(self) -> str:
        what = self.search_term or self.google_search_term or "LinkedIn companies"
        return f"{what} in {self.location}" if self.location else what

    def warnings(self) -> list[str]:
        """Options a chosen site will silently ignore, said before the search runs."""
        sites = set(self.site_name)
        found: list[str] = []
        if "indeed" in sites and self.hours_old and (self.is_remote or self.job_type):
            found.append("Indeed ignores the remote and job type filters when 'posted within' is set.")
        if "linkedin" in sites and (self.is_remote or self.job_type):
            found.append("LinkedIn ignores the remote and job type filters.")
        if "glassdoor" in sites and self.country_indeed not in GLASSDOOR_COUNTRIES:
            found.append(f"Glassdoor doesn't serve {self.country_indeed.title()}; it will be skipped.")
        if "zip_recruiter" in sites and self.country_indeed not in ("usa", "canada"):
            found.append("ZipRecruiter only lists jobs in the USA and Canada.")
        if "google" in sites and not self.google_search_term:
            found.append("Google works best with its own search term (advanced options); it will use the search term and location instead.")
        if "google" in sites and self.google_search_term and (self.location or self.is_remote):
            found.append("Google uses only its own search term; put the place in it.")
        if self.linkedin_company_ids and "linkedin" not in sites:
            found.append("LinkedIn company ids only apply when LinkedIn is searched.")
        for site, region in REGIONAL_SITES.items():
            if site in sites:
                found.append(f"{SITES[site]} only lists jobs in {region}.")
        return found

    def scrape_kwargs(self, site: str) -> dict[str, Any]:
        """Arguments for jobspy.scrape_jobs for one site (salary is normalised by us)."""
        kwargs = self.model_dump(exclude={"site_name", "enforce_annual_salary", "linkedin_fetch_description"})
        kwargs.update(site_name=[site], fetch_description=self.linkedin_fetch_description)
        kwargs["job_type"] = self.job_type or None
        kwargs["linkedin_company_ids"] = self.linkedin_company_ids or None
        kwargs["is_remote"] = self.is_remote
        kwargs["easy_apply"] = self.easy_apply or None
        return kwargs


def parse_search_params(raw: dict[str, Any]) -> SearchParams:
    """Build SearchParams, turning pydantic's errors into sentences keyed by field."""
    try:
        return SearchParams.model_validate(raw)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "search"
            problems.setdefault(field, _sentence(field, problem))
        raise SearchParamsError(problems) from None


def _sentence(field: str, problem: Any) -> str:
    """One sentence that starts with the form's own label for the field (FIELD_NAMES)."""
    named = FIELD_NAMES.get(field, field.replace("_", " "))
    name = named[:1].upper() + named[1:]
    limits = problem.get("ctx") or {}
    if problem["type"] == "value_error":
        return str(problem["msg"]).removeprefix("Value error, ")
    if field == "site_name" and problem["type"] == "too_short":
        return "Choose at least one site."
    if problem["type"] == "string_too_long":
        return f"{name} must be at most {limits['max_length']} characters."
    if problem["type"] in ("less_than_equal", "too_long"):
        return f"{name} must be at most {limits.get('le', limits.get('max_length'))}."
    if problem["type"] in ("greater_than_equal", "too_short"):
        return f"{name} must be at least {limits.get('ge', limits.get('min_length'))}."
    if problem["type"] == "extra_forbidden":
        return f"Unknown option '{field}'."
    if problem["type"] in ("int_parsing", "int_from_float", "int_type"):
        return f"{name}: enter a whole number."
    if problem["type"] in ("float_parsing", "float_type"):
        return f"{name}: enter a number."
    if problem["type"] in ("bool_parsing", "bool_type"):
        return f"{name}: choose yes or no."
    message = str(problem["msg"])
    return f"{name}: {message[:1].lower()}{message[1:].rstrip('.')}."


# The search form's labels (ui/components/search_form.py), so a sentence names what people see.
FIELD_NAMES = {
    "site_name": "sites",
    "search_term": "what",
    "location": "where",
    "results_wanted": "results per site",
    "google_search_term": "Google search term",
    "distance": "distance (miles)",
    "job_type": "job type",
    "hours_old": "posted within (hours)",
    "country_indeed": "country (Indeed, Glassdoor)",
    "linkedin_company_ids": "LinkedIn company ids",
    "description_format": "description format",
    "offset": "skip first results",
}
