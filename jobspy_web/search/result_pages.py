"""A big search's results filtered, sorted and paged by the database.

`jobs.filter_rows` does the same in Python over rows held in memory; past a few thousand
jobs that costs the page every keystroke (and the state holds them all), so the results
table asks here for one page instead. The rules are filter_rows' own: the same filters, the
same orders (pay compared only within a currency, the currency most jobs are paid in first),
ties broken as search_rows orders them, then by id so pages never overlap.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, func, literal, or_
from sqlmodel import Session, col, select

from jobspy_web.models import Job, SearchJob
from jobspy_web.search import jobs


@dataclass(frozen=True)
class ResultPage:
    rows: list[jobs.JobRow]
    matching: int  # jobs the filter keeps
    total: int  # jobs the search found


def _contains(expression: Any, text: str) -> ColumnElement[bool]:
    """`text` anywhere in `expression`, LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return expression.like(f"%{escaped}%", escape="\\")


def _haystack() -> Any:
    """What the text filter searches: title, company and place, lower-case (as filter_rows)."""
    return func.lower(col(Job.title) + " " + func.coalesce(col(Job.company), "") + " " + func.coalesce(col(Job.location), ""))


def _conditions(search_id: uuid.UUID, job_filter: jobs.JobFilter, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(SearchJob.search_id) == search_id]
    if job_filter.sites:
        # sites is a JSON list: its text holds each site as a quoted string, on both backends.
        sites_text = cast(col(SearchJob.sites), String)
        conditions.append(or_(*[_contains(sites_text, json.dumps(site)) for site in sorted(job_filter.sites)]))
    if job_filter.remote == "remote":
        conditions.append(col(Job.is_remote).is_(True))
    elif job_filter.remote == "onsite":
        conditions.append(or_(col(Job.is_remote).is_(None), col(Job.is_remote).is_(False)))
    if job_filter.job_type:
        conditions.append(_contains(func.coalesce(col(Job.job_type), ""), job_filter.job_type))
    if job_filter.min_yearly_salary is not None:
        conditions.append(func.coalesce(col(Job.yearly_min), 0) >= job_filter.min_yearly_salary)
    if job_filter.posted_within_days:
        conditions.append(col(Job.date_posted) >= today - timedelta(days=job_filter.posted_within_days))
    haystack = _haystack()
    conditions.extend(_contains(haystack, word) for word in jobs._normal(job_filter.text).split())
    return conditions


def _pay_figure(sort: str) -> Any:
    """The yearly figure a pay sort compares (jobs.yearly_max_of / yearly_mid_of)."""
    low, high = col(Job.yearly_min), col(Job.yearly_max)
    if sort == "salary":
        return func.coalesce(high, low)
    return case((and_(low.is_not(None), high.is_not(None)), (low + high) / 2), else_=func.coalesce(high, low))


def _newest_first() -> list[Any]:
    return [col(Job.date_posted).desc().nulls_last(), col(Job.title)]


def _order(session: Session, job_filter: jobs.JobFilter, where: list[ColumnElement[bool]]) -> list[Any]:
    if job_filter.sort in jobs.SALARY_SORTS:
        figure = _pay_figure(job_filter.sort)
        currency = func.coalesce(col(Job.currency), "")
        counted = session.exec(
            select(currency, func.count())
            .select_from(SearchJob)
            .join(Job, col(Job.id) == col(SearchJob.job_id))
            .where(*where, figure.is_not(None))
            .group_by(currency)
        ).all()
        ranked = sorted(counted, key=lambda item: (-item[1], item[0]))
        rank = (
            case({name: position for position, (name, _) in enumerate(ranked)}, value=currency, else_=len(ranked)) if ranked else literal(0)
        )
        return [figure.is_(None), case((figure.is_(None), 0), else_=rank), figure.desc(), *_newest_first()]
    if job_filter.sort in ("title", "company"):
        return [func.lower(func.coalesce(getattr(Job, job_filter.sort), "")), *_newest_first()]
    return _newest_first()


def _matching_statement(session: Session, search_id: uuid.UUID, job_filter: jobs.JobFilter, today: date | None) -> tuple[Any, Any]:
    where = _conditions(search_id, job_filter, today or date.today())
    joined = select(Job, SearchJob.sites).join(SearchJob, col(SearchJob.job_id) == col(Job.id)).where(*where)
    count = select(func.count()).select_from(SearchJob).join(Job, col(Job.id) == col(SearchJob.job_id)).where(*where)
    return joined.order_by(*_order(session, job_filter, where), col(Job.id)), count


def result_page(
    *, session: Session, search_id: uuid.UUID, job_filter: jobs.JobFilter, offset: int, limit: int, today: date | None = None
) -> ResultPage:
    """One page of the jobs `job_filter` keeps, in its order, with how many it keeps in all."""
    statement, count = _matching_statement(session, search_id, job_filter, today)
    # Sort ids only (a narrow sort), then load the page's few jobs whole.
    page_ids = list(session.exec(statement.with_only_columns(col(Job.id)).offset(max(0, offset)).limit(limit)).scalars())
    found = session.exec(
        select(Job, SearchJob.sites, jobs._seen_before(session, search_id))
        .join(SearchJob, col(SearchJob.job_id) == col(Job.id))
        .where(col(SearchJob.search_id) == search_id, col(Job.id).in_(page_ids))
    ).all()
    by_id = {job.id: jobs.job_row(job, list(sites), seen=bool(was_seen)) for job, sites, was_seen in found}
    rows = [by_id[job_id] for job_id in page_ids if job_id in by_id]
    return ResultPage(rows=rows, matching=session.exec(count).one(), total=jobs.count_search_jobs(session=session, search_id=search_id))


def matching_ids(*, session: Session, search_id: uuid.UUID, job_filter: jobs.JobFilter, today: date | None = None) -> list[str]:
    """Every kept job's id in order: what an export of the filtered table holds."""
    statement, _ = _matching_statement(session, search_id, job_filter, today)
    return [str(job_id) for job_id in session.exec(statement.with_only_columns(col(Job.id))).scalars()]


def paid_currencies(*, session: Session, search_id: uuid.UUID) -> dict[str, int]:
    """How many of the search's jobs give a yearly figure, per currency ('?' when unnamed)."""
    currency = func.coalesce(col(Job.currency), "")
    counted = session.exec(
        select(currency, func.count())
        .select_from(SearchJob)
        .join(Job, col(Job.id) == col(SearchJob.job_id))
        .where(col(SearchJob.search_id) == search_id, or_(col(Job.yearly_min).is_not(None), col(Job.yearly_max).is_not(None)))
        .group_by(currency)
    ).all()
    return {name or "?": number for name, number in counted}
