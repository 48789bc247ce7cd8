"""Jobs: normalise what the boards return, merge duplicates, store, filter and export."""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from jobspy.model import annual_factor
from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from jobspy_web.models import Job, SearchJob
from jobspy_web.models.base import utcnow

# JobSpy's row fields, stored under the same names (JobSpy's `id` becomes `external_id`).
JOB_FIELDS = [
    name
    for name in Job.model_fields
    if name not in {"id", "dedupe_key", "sources", "yearly_min", "yearly_max"}
    and name not in {"first_seen_at", "last_seen_at", "external_id"}
]
EXPORT_FORMATS = ("csv", "xlsx", "json")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _normal(text: str | None) -> str:
    return _NOT_WORD.sub(" ", (text or "").lower()).strip()


def dedupe_key(row: dict[str, Any]) -> str:
    """Same title, company and city on two boards is one posting; else the URL decides."""
    title, company = _normal(row.get("title")), _normal(row.get("company"))
    if title and company:
        city = _normal((row.get("location") or "").split(",")[0])
        return _digest(f"{title}|{company}|{city}")
    return url_key(row)


def url_key(row: dict[str, Any]) -> str:
    """For a posting that must stay separate: one board listing two openings alike."""
    return _digest(f"url|{row.get('job_url')}")


def _digest(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()


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
    """A JobSpy row as `jobs` column values."""
    values = {name: row.get(name) for name in JOB_FIELDS}
    values["external_id"] = row.get("id")
    values["title"] = values["title"] or "(untitled)"
    if isinstance(values["date_posted"], str):
        values["date_posted"] = date.fromisoformat(values["date_posted"][:10])
    values["yearly_min"], values["yearly_max"] = yearly_salary(row)
    values["dedupe_key"] = dedupe_key(row)
    values["sources"] = [_source(row)]
    return values


def _source(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "site": row.get("site"),
        "job_url": row.get("job_url"),
        "job_url_direct": row.get("job_url_direct"),
    }


def store_site_jobs(*, session: Session, search_id: uuid.UUID, site: str, rows: Sequence[dict[str, Any]]) -> int:
    """Upsert one site's rows, link them to the search; returns how many jobs it linked."""
    candidates = [job_values({**row, "site": site}) for row in rows]
    if not candidates:
        return 0
    # A key already holding another URL from this same board is a second opening, not a
    # cross-post: it gets a key of its own, so one board's alike listings all survive.
    taken_by_site = {
        job.dedupe_key: {source["job_url"] for source in job.sources if source["site"] == site}
        for job in session.exec(select(Job).where(col(Job.dedupe_key).in_({v["dedupe_key"] for v in candidates})))
    }
    by_key: dict[str, dict[str, Any]] = {}
    for values in candidates:
        urls = taken_by_site.setdefault(values["dedupe_key"], set())
        if urls and values["job_url"] not in urls:
            values["dedupe_key"] = url_key(values)
        urls.add(values["job_url"])
        by_key.setdefault(values["dedupe_key"], values)
    now = utcnow()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Job).values(
        [{**values, "id": uuid.uuid4(), "first_seen_at": now, "last_seen_at": now} for values in by_key.values()]
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=["dedupe_key"]))
    jobs = session.exec(select(Job).where(col(Job.dedupe_key).in_(list(by_key)))).all()
    for job in jobs:  # cross-posts: this board joins the job's sources
        source = by_key[job.dedupe_key]["sources"][0]
        if source not in job.sources:
            job.sources = [*job.sources, source]
            session.add(job)
    job_ids = [job.id for job in jobs]
    session.execute(update(Job).where(col(Job.id).in_(job_ids)).values(last_seen_at=now))
    linked = {
        link.job_id: link
        for link in session.exec(select(SearchJob).where(SearchJob.search_id == search_id, col(SearchJob.job_id).in_(job_ids)))
    }
    for link in linked.values():  # found before by another board of the same search
        if site not in link.sites:
            link.sites = [*link.sites, site]
            session.add(link)
    new_links = [{"search_id": search_id, "job_id": job_id, "sites": [site], "found_at": now} for job_id in job_ids if job_id not in linked]
    if new_links:
        session.execute(insert(SearchJob).values(new_links).on_conflict_do_nothing())
    session.flush()
    return len(jobs)


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

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def job_row(job: Job, sites: list[str]) -> JobRow:
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
    """Every job a search found, newest posting first."""
    pairs = session.exec(
        select(Job, SearchJob.sites)
        .join(SearchJob, col(SearchJob.job_id) == Job.id)
        .where(SearchJob.search_id == search_id)
        .order_by(col(Job.date_posted).desc().nulls_last(), col(Job.title))
    ).all()
    return [job_row(job, list(sites)) for job, sites in pairs]


def get_job(*, session: Session, job_id: uuid.UUID) -> Job | None:
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
    sort: str = "date"  # date | salary | title | company


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
    if job_filter.sort == "salary":
        kept.sort(key=lambda row: row.yearly_min or -1, reverse=True)
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
    if export_format == "json":
        return json.dumps(records, ensure_ascii=False, indent=1, default=str).encode()
    frame = pd.DataFrame(records, columns=list(EXPORT_COLUMNS))
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
