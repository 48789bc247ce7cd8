"""Jobs: normalise what the boards return, merge duplicates, store, filter and export."""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import pandas as pd
from cleanco import basename
from jobspy.model import annual_factor
from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, String, and_, case, false, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from jobspy_web.models import Job, Search, SearchJob
from jobspy_web.models.base import utcnow

# JobSpy's row fields, stored under the same names (JobSpy's `id` becomes `external_id`).
JOB_FIELDS = [
    name
    for name in Job.model_fields
    if name not in {"id", "dedupe_key", "company_city_key", "sources", "yearly_min", "yearly_max"}
    and name not in {"first_seen_at", "last_seen_at", "external_id"}
]
EXPORT_FORMATS = ("csv", "xlsx", "json")
UNTITLED = "(untitled)"
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _normal(text: str | None) -> str:
    """What the results filter compares: lower-case letters and digits."""
    return _NOT_WORD.sub(" ", (text or "").lower()).strip()


# --- Which postings are the same job ---------------------------------------------------

# Boards spell these either way. A short kept list, not a thesaurus: every entry must be
# safe to apply to any title on any board.
TITLE_WORDS = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "jnr": "junior",
    "mgr": "manager",
    "mngr": "manager",
    "eng": "engineer",
    "engr": "engineer",
    "dev": "developer",
    "sw": "software",
    "assoc": "associate",
    "asst": "assistant",
    "ii": "2",
    "iii": "3",
}
# Symbols that carry meaning, spelt out before punctuation goes ("C++" and "C#" differ).
SYMBOL_WORDS = {"c++": " cpp ", "c#": " csharp ", "f#": " fsharp ", ".net": " dotnet ", "&": " and "}
# Two titles at one company and city this alike (rapidfuzz token_sort_ratio) are one posting.
SAME_TITLE_SCORE = 92
_NON_WORD = re.compile(r"[\W_]+")
_NUMBER = re.compile(r"\d+")


def _words(text: str | None) -> list[str]:
    """Lower-case words without accents or punctuation: 'Müller & Co.' -> muller and co."""
    folded = (text or "").casefold()
    for symbol, word in SYMBOL_WORDS.items():
        folded = folded.replace(symbol, word)
    if not folded.isascii():
        folded = "".join(char for char in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(char))
    return [word for word in _NON_WORD.split(folded) if word]


@lru_cache(maxsize=8192)  # every page compares with the titles stored at its companies
def title_identity(title: str | None) -> str:
    """'Sr. Python Dev' -> 'senior python developer'."""
    return " ".join(TITLE_WORDS.get(word, word) for word in _words(title))


@lru_cache(maxsize=4096)  # cleanco is ~0.1 ms a name, and a page repeats its companies
def company_identity(company: str | None) -> str:
    """'Initech, Inc.' -> 'initech': legal suffixes (Inc, LLC, GmbH, S.A., PLC...) dropped."""
    name = (company or "").strip()
    return " ".join(_words(basename(name) or name))  # a name that is all suffix ("Co-op") stays


def _city(location: str | None) -> str:
    return " ".join(_words((location or "").split(",")[0]))


def dedupe_key(row: dict[str, Any]) -> str:
    """Same title, company and city on two boards is one posting; else the URL decides."""
    title, company = title_identity(row.get("title")), company_identity(row.get("company"))
    if title and company:
        return _digest(f"{title}|{company}|{_city(row.get('location'))}")
    return url_key(row)


def company_city_key(row: dict[str, Any]) -> str | None:
    """The jobs a new row's title is compared with: those at the same company and city."""
    company = company_identity(row.get("company"))
    return _digest(f"{company}|{_city(row.get('location'))}") if company else None


def url_key(row: dict[str, Any]) -> str:
    """For a posting that must stay separate: one board listing two openings alike."""
    return _digest(f"url|{row.get('job_url')}")


def _digest(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()


def title_similarity(first: str, second: str) -> float:
    """0-100 for two title identities (rapidfuzz's token_sort_ratio), 0 when they name
    different numbers: "Engineer 2" is not "Engineer 3"."""
    (first_numbers, first_sorted), (second_numbers, second_sorted) = _comparable(first), _comparable(second)
    return fuzz.ratio(first_sorted, second_sorted) if first_numbers == second_numbers else 0.0


@lru_cache(maxsize=8192)
def _comparable(title: str) -> tuple[tuple[str, ...], str]:
    """A title identity's numbers, and its words sorted (token_sort_ratio's first step)."""
    return tuple(sorted(_NUMBER.findall(title))), " ".join(sorted(title.split()))


def yearly_salary(row: dict[str, Any]) -> tuple[float | None, float | None]:
    """Min and max pay per year in the posting's currency, from any interval."""
    factor = annual_factor.get(row.get("interval") or "")
    if not factor:
        return None, None
    low, high = row.get("min_amount"), row.get("max_amount")
    return (
        round(low * factor, 2) if low is not None else None,
        round(high * factor, 2) if high is not None else None,
    )


def job_values(row: dict[str, Any]) -> dict[str, Any]:
    """A JobSpy row as `jobs` column values; blank text counts as missing."""
    values = {name: _present(row.get(name)) for name in JOB_FIELDS}
    values["external_id"] = row.get("id")
    values["title"] = values["title"] or UNTITLED
    if isinstance(values["date_posted"], str):
        values["date_posted"] = date.fromisoformat(values["date_posted"][:10])
    values["yearly_min"], values["yearly_max"] = yearly_salary(row)
    values["dedupe_key"] = dedupe_key(row)
    values["company_city_key"] = company_city_key(row)
    values["sources"] = [_source(row)]
    return values


def _present(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _source(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "site": row.get("site"),
        "job_url": row.get("job_url"),
        "job_url_direct": _present(row.get("job_url_direct")),
    }


# --- Storing: a page of one site's rows at a time ----------------------------------------

# Pay is one fact: its amounts, interval and currency are taken together or not at all,
# so a stored "50-60 hourly" never gets a later board's yearly max beside it.
SALARY_FIELDS = ("salary_source", "interval", "min_amount", "max_amount", "currency", "yearly_min", "yearly_max")
# What a later sighting fills in when the stored job lacks it. Stored values are kept (the
# first board's say stands); `site`, `job_url` and `external_id` belong to that first board.
FILLED_FIELDS = [name for name in (*JOB_FIELDS, "company_city_key") if name not in {"site", "job_url", "title", *SALARY_FIELDS}]


@dataclass
class _Known:
    """A job a page's rows may turn out to be: stored already, or new earlier in the page."""

    key: str
    group: str | None  # company_city_key
    title: str  # title_identity, "" when the posting had none
    urls: dict[str, set[str]] = field(default_factory=dict)  # site -> that board's URLs

    def can_be(self, title: str, site: str) -> bool:
        """Worth comparing titles with: titled, not on this board, the same numbers."""
        return bool(self.title) and site not in self.urls and _comparable(self.title)[0] == _comparable(title)[0]


class _Matcher:
    """Tells which job each row is. In order: the board's own URL seen before; the most
    alike title at the same company and city (the exact key first); else a job of its own.
    A board never lists one job twice, so a job that already has another URL from this
    board is a second opening alike, never the same one."""

    def __init__(self, known: Iterable[_Known]) -> None:
        self.by_key: dict[str, _Known] = {}
        self.by_group: defaultdict[str, list[_Known]] = defaultdict(list)
        self.by_url: dict[tuple[str, str], _Known] = {}
        for job in known:
            self._remember(job)

    def resolve(self, values: dict[str, Any], title: str, site: str) -> str:
        """The dedupe key of the job `values` (with its `title_identity`) belongs to."""
        url = values["job_url"]
        job = self.by_url.get((site, url)) or self._alike(values, title, site)
        if job is None:
            key = values["dedupe_key"]
            if key in self.by_key:  # that title is another opening on this board
                key = url_key(values)
            job = self.by_key.get(key) or self._remember(_Known(key, values["company_city_key"], title))
        job.urls.setdefault(site, set()).add(url)
        self.by_url[(site, url)] = job
        return job.key

    def _alike(self, values: dict[str, Any], title: str, site: str) -> _Known | None:
        if not title or not values["company_city_key"]:
            return None
        exact = self.by_key.get(values["dedupe_key"])
        if exact is not None and exact.can_be(title, site):
            return exact
        pool = [job for job in self.by_group.get(values["company_city_key"], []) if job.can_be(title, site)]
        # One C loop over the company's titles (a big employer has hundreds in one city).
        best = process.extractOne(
            _comparable(title)[1],
            [_comparable(job.title)[1] for job in pool],
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=SAME_TITLE_SCORE,
        )
        return pool[best[2]] if best else None

    def _remember(self, job: _Known) -> _Known:
        self.by_key[job.key] = job
        if job.group:
            self.by_group[job.group].append(job)
        for site, urls in job.urls.items():
            self.by_url.update({(site, url): job for url in urls})
        return job


def _known_jobs(session: Session, candidates: list[dict[str, Any]]) -> list[_Known]:
    """The stored jobs a page's rows may be: by key, or at the same company and city."""
    keys = {values["dedupe_key"] for values in candidates} | {url_key(values) for values in candidates}
    groups = {values["company_city_key"] for values in candidates if values["company_city_key"]}
    found = session.exec(
        select(Job.dedupe_key, Job.company_city_key, Job.title, Job.sources).where(
            or_(col(Job.dedupe_key).in_(keys), col(Job.company_city_key).in_(groups))
        )
    )
    known = []
    for key, group, title, sources in found:
        urls: dict[str, set[str]] = {}
        for source in sources:
            urls.setdefault(source["site"], set()).add(source["job_url"])
        known.append(_Known(key, group, title_identity(title) if title != UNTITLED else "", urls))
    return known


def store_site_jobs(*, session: Session, search_id: uuid.UUID, site: str, rows: Sequence[dict[str, Any]]) -> int:
    """Store one page of a site's rows and link them to the search.

    A job stored before gets what it lacked (description, pay, company details...) and
    this board among its sources; nothing stored is blanked. Call it page by page, and
    again with the same rows: links add up, repeats change nothing. Returns how many
    distinct jobs these rows are (newly linked or linked already).
    """
    rows = [{**row, "site": site} for row in rows]
    if not rows:
        return 0
    candidates = [job_values(row) for row in rows]
    matcher = _Matcher(_known_jobs(session, candidates))
    by_key: dict[str, dict[str, Any]] = {}
    for row, values in zip(rows, candidates, strict=True):
        key = values["dedupe_key"] = matcher.resolve(values, title_identity(row.get("title")), site)
        by_key[key] = _fill_missing(by_key[key], values) if key in by_key else values
    now = utcnow()
    stored = _upsert_jobs(session, list(by_key.values()), now)
    _add_sources(session, stored, by_key)
    _link(session, search_id, site, [job_id for job_id, _ in stored.values()], now)
    return len(stored)


def _fill_missing(stored: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """`stored` with what it lacks taken from `later` (the SQL upsert's rule, in Python)."""
    merged = {**stored, **{name: later[name] for name in FILLED_FIELDS if stored[name] is None}}
    if _no_salary(stored) and not _no_salary(later):
        merged.update({name: later[name] for name in SALARY_FIELDS})
    return merged


def _no_salary(values: dict[str, Any]) -> bool:
    return values["min_amount"] is None and values["max_amount"] is None


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(dialect: str) -> Any:
    """The INSERT with ON CONFLICT of `dialect` (PostgreSQL's, or SQLite's)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _upsert_jobs(session: Session, values: list[dict[str, Any]], now: Any) -> dict[str, tuple[uuid.UUID, list[Any]]]:
    """Insert new jobs, fill the missing fields of stored ones: {dedupe_key: (id, sources)}."""
    # Key order: two searches storing overlapping pages lock their rows in the same
    # order, so they wait for each other rather than deadlock (PostgreSQL).
    ordered = sorted(values, key=lambda job: str(job["dedupe_key"]))
    rows = [{**job, "id": uuid.uuid4(), "first_seen_at": now, "last_seen_at": now} for job in ordered]
    # Rows as parameters, not .values(rows): SQLAlchemy compiles the statement once and
    # still sends one multi-row INSERT ("insertmanyvalues").
    returned = session.execute(_upsert_statement(_dialect(session)), rows)
    return {key: (job_id, sources) for job_id, key, sources in returned}


@lru_cache(maxsize=2)
def _upsert_statement(dialect: str) -> Any:
    statement = _insert(dialect)(Job)
    statement = statement.on_conflict_do_update(index_elements=["dedupe_key"], set_=_fill_missing_sql(statement.excluded))
    return statement.returning(col(Job.id), col(Job.dedupe_key), col(Job.sources))


def _fill_missing_sql(excluded: Any) -> dict[str, Any]:
    """ON CONFLICT's SET: a stored NULL (or '') takes the new value, the rest stays."""
    stored = Job.__table__.c  # type: ignore[attr-defined]
    sets: dict[str, Any] = {
        name: func.coalesce(func.nullif(stored[name], "") if isinstance(stored[name].type, String) else stored[name], excluded[name])
        for name in FILLED_FIELDS
    }
    new_salary = and_(
        stored.min_amount.is_(None),
        stored.max_amount.is_(None),
        or_(excluded.min_amount.is_not(None), excluded.max_amount.is_not(None)),
    )
    sets.update({name: case((new_salary, excluded[name]), else_=stored[name]) for name in SALARY_FIELDS})
    sets["last_seen_at"] = excluded.last_seen_at
    return sets


def _add_sources(session: Session, stored: dict[str, tuple[uuid.UUID, list[Any]]], by_key: dict[str, dict[str, Any]]) -> None:
    """Cross-posts: this board joins the job's sources (one UPDATE for the page)."""
    changed = []
    for key, (job_id, sources) in stored.items():
        merged = _with_source(sources, by_key[key]["sources"][0])
        if merged is not None:
            changed.append({"id": job_id, "sources": merged})
    if changed:
        session.execute(update(Job), changed)


def _with_source(sources: list[dict[str, Any]], source: dict[str, Any]) -> list[dict[str, Any]] | None:
    """`sources` with `source` in it (a known URL may gain its direct link); None: unchanged."""
    for index, known in enumerate(sources):
        if (known.get("site"), known.get("job_url")) == (source["site"], source["job_url"]):
            if known.get("job_url_direct") or not source["job_url_direct"]:
                return None
            return [*sources[:index], {**known, "job_url_direct": source["job_url_direct"]}, *sources[index + 1 :]]
    return [*sources, source]


def _link(session: Session, search_id: uuid.UUID, site: str, job_ids: list[uuid.UUID], now: Any) -> None:
    """Link the jobs to the search; a job another board of it found gets this site too."""
    linked = dict(
        session.exec(
            select(SearchJob.job_id, SearchJob.sites).where(SearchJob.search_id == search_id, col(SearchJob.job_id).in_(job_ids))
        ).all()
    )
    grown = [{"search_id": search_id, "job_id": job_id, "sites": [*sites, site]} for job_id, sites in linked.items() if site not in sites]
    if grown:
        session.execute(update(SearchJob), grown)
    new_links = [{"search_id": search_id, "job_id": job_id, "sites": [site], "found_at": now} for job_id in job_ids if job_id not in linked]
    if new_links:
        session.execute(_insert(_dialect(session))(SearchJob).on_conflict_do_nothing(), new_links)


# --- Reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobRow:
    """A job as a results table shows it: light, no description."""

    id: str
    title: str
    company: str
    location: str
    sites: list[str]
    job_url: str
    date_posted: str
    job_type: str
    is_remote: bool
    salary: str
    yearly_min: float | None
    currency: str
    seen: bool = False  # the owner's earlier searches found this job already
    yearly_max: float | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def job_row(job: Job, sites: list[str], *, seen: bool = False) -> JobRow:
    return JobRow(
        id=str(job.id),
        title=job.title,
        company=job.company or "",
        location=job.location or "",
        sites=sites,
        job_url=job.job_url,
        date_posted=job.date_posted.isoformat() if job.date_posted else "",
        job_type=job.job_type or "",
        is_remote=bool(job.is_remote),
        salary=salary_text(job),
        yearly_min=job.yearly_min,
        currency=job.currency or "",
        seen=seen,
        yearly_max=job.yearly_max,
    )


def salary_text(job: Job, *, annual: bool = False) -> str:
    """'USD 50–60 per hour (≈ 104,000–124,800 a year)': the posting's pay, and its yearly figure."""
    if job.min_amount is None and job.max_amount is None:
        return ""
    currency = f"{job.currency} " if job.currency else ""
    span = _span(job.min_amount, job.max_amount)
    if job.interval in (None, "yearly"):
        return f"{currency}{span} a year" if job.interval else f"{currency}{span}"
    yearly = _span(job.yearly_min, job.yearly_max)
    if annual:
        return f"{currency}{yearly} a year (from {job.interval})"
    per = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"}[job.interval]
    return f"{currency}{span} per {per} (≈ {yearly} a year)"


def _span(low: float | None, high: float | None) -> str:
    shown = [f"{amount:,.0f}" for amount in (low, high) if amount is not None]
    return "–".join(dict.fromkeys(shown))


def search_rows(*, session: Session, search_id: uuid.UUID) -> list[JobRow]:
    """Every job a search found, newest posting first; `seen` if the owner had it before."""
    triples = session.exec(
        select(Job, SearchJob.sites, _seen_before(session, search_id))
        .join(SearchJob, col(SearchJob.job_id) == Job.id)
        .where(SearchJob.search_id == search_id)
        .order_by(col(Job.date_posted).desc().nulls_last(), col(Job.title))
    ).all()
    return [job_row(job, list(sites), seen=bool(seen)) for job, sites, seen in triples]


def _seen_before(session: Session, search_id: uuid.UUID) -> ColumnElement[bool]:
    """True for a job one of the same owner's earlier searches found: a repost, a rerun.
    Anonymous searches have no history. A cross-post merged by dedupe is the same job."""
    owner_id, created_at = session.exec(select(Search.owner_id, Search.created_at).where(Search.id == search_id)).first() or (None, None)
    if owner_id is None:
        return false().label("seen")
    earlier = (
        select(SearchJob.job_id)
        .join(Search, col(Search.id) == SearchJob.search_id)
        .where(Search.owner_id == owner_id, col(Search.created_at) < created_at)
    )
    return col(Job.id).in_(earlier).label("seen")


def get_job(*, session: Session, job_id: uuid.UUID, owner_id: uuid.UUID | None) -> Job | None:
    """The job if one of `owner_id`'s searches found it; None otherwise (jobs are shared
    rows, so an id alone must not open another person's result)."""
    found_by_owner = (
        select(SearchJob.job_id)
        .join(Search, col(Search.id) == col(SearchJob.search_id))
        .where(SearchJob.job_id == job_id, Search.owner_id == owner_id)
        .limit(1)
    )
    if session.exec(found_by_owner).first() is None:
        return None
    return session.get(Job, job_id)


@dataclass(frozen=True)
class JobFilter:
    """What the results table narrows to; empty means everything."""

    sites: frozenset[str] = frozenset()
    remote: str = "any"  # any | remote | onsite
    job_type: str = ""
    min_yearly_salary: float | None = None
    posted_within_days: int | None = None
    text: str = ""
    sort: str = "date"  # date | salary (yearly max) | salary_mid | title | company


def yearly_max_of(row: JobRow) -> float | None:
    """The top of the yearly range (the minimum when only that is posted)."""
    return row.yearly_max if row.yearly_max is not None else row.yearly_min


def yearly_mid_of(row: JobRow) -> float | None:
    """The middle of the yearly range (the one figure when only one is posted)."""
    low, high = row.yearly_min, row.yearly_max
    if low is None or high is None:
        return low if high is None else high
    return (low + high) / 2


SALARY_SORTS = {"salary": yearly_max_of, "salary_mid": yearly_mid_of}


def sort_by_pay(rows: list[JobRow], figure: Any) -> list[JobRow]:
    """Highest pay first, compared only within a currency: no rate table turns CAD into USD
    here, so the currency most of the jobs are paid in comes first, then the next; jobs
    without a figure last, newest first."""
    paid = [row for row in rows if figure(row) is not None]
    currencies = Counter(row.currency for row in paid)
    order = {currency: rank for rank, (currency, _) in enumerate(sorted(currencies.items(), key=lambda item: (-item[1], item[0])))}
    paid.sort(key=lambda row: (order[row.currency], -figure(row)))
    unpaid = sorted((row for row in rows if figure(row) is None), key=lambda row: row.date_posted, reverse=True)
    return paid + unpaid


def filter_rows(rows: Iterable[JobRow], job_filter: JobFilter, *, today: date | None = None) -> list[JobRow]:
    today = today or date.today()
    words = _normal(job_filter.text).split()
    oldest = (today - timedelta(days=job_filter.posted_within_days)).isoformat() if job_filter.posted_within_days else ""

    def keep(row: JobRow) -> bool:
        haystack = _normal(f"{row.title} {row.company} {row.location}")
        return (
            (not job_filter.sites or bool(job_filter.sites.intersection(row.sites)))
            and (job_filter.remote == "any" or row.is_remote == (job_filter.remote == "remote"))
            and (not job_filter.job_type or job_filter.job_type in row.job_type)
            and (job_filter.min_yearly_salary is None or (row.yearly_min or 0) >= job_filter.min_yearly_salary)
            and (not oldest or (bool(row.date_posted) and row.date_posted >= oldest))
            and all(word in haystack for word in words)
        )

    kept = [row for row in rows if keep(row)]
    if job_filter.sort in SALARY_SORTS:
        kept = sort_by_pay(kept, SALARY_SORTS[job_filter.sort])
    elif job_filter.sort in ("title", "company"):
        kept.sort(key=lambda row: getattr(row, job_filter.sort).lower())
    else:
        kept.sort(key=lambda row: row.date_posted, reverse=True)
    return kept


def export_jobs(*, session: Session, job_ids: Sequence[str], export_format: str) -> bytes:
    """The given jobs, in the given order, as CSV, XLSX or JSON with every stored field."""
    if export_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format '{export_format}'; use csv, xlsx or json")
    ids = [uuid.UUID(job_id) for job_id in job_ids]
    jobs = {job.id: job for job in session.exec(select(Job).where(col(Job.id).in_(ids)))}
    records = [_export_record(jobs[job_id]) for job_id in ids if job_id in jobs]
    return encode_records(records, EXPORT_COLUMNS, export_format)


def encode_records(records: Sequence[dict[str, Any]], columns: Sequence[str], export_format: str) -> bytes:
    """Rows as a CSV, XLSX or JSON file, with `columns` in that order (JSON keeps each row's keys)."""
    if export_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format '{export_format}'; use csv, xlsx or json")
    if export_format == "json":
        return json.dumps(list(records), ensure_ascii=False, indent=1, default=str).encode()
    frame = pd.DataFrame(list(records), columns=list(columns))
    buffer = io.BytesIO()
    if export_format == "csv":
        frame.to_csv(buffer, index=False)
    else:
        frame.to_excel(buffer, index=False, engine="openpyxl")
    return buffer.getvalue()


EXPORT_COLUMNS = ["id", "sites", *JOB_FIELDS, "yearly_min", "yearly_max"]


def _export_record(job: Job) -> dict[str, Any]:
    record = {name: getattr(job, name) for name in EXPORT_COLUMNS if name not in ("id", "sites")}
    record["id"] = str(job.id)
    record["sites"] = ", ".join(source["site"] for source in job.sources)
    if record["date_posted"]:
        record["date_posted"] = record["date_posted"].isoformat()
    return record


def count_search_jobs(*, session: Session, search_id: uuid.UUID) -> int:
    statement = select(func.count()).select_from(SearchJob).where(SearchJob.search_id == search_id)
    return session.exec(statement).one()
