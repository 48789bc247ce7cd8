"""Indeed: the mobile app's GraphQL API, POST https://apis.indeed.com/graphql.

JobSpy posts {"query": "query GetJobData { jobSearch(what: \"...\", limit: 100,
cursor: \"...\", ...) { pageInfo { nextCursor } results { job { ... } } } }"};
the search term, page size and cursor are read back out of that query text.
A cursor is the next page's start, base64-encoded. Jobs follow the template
indeed_job.json; pay is the employer's baseSalary (the estimate stays null).

Drift (modes drifted, partial): a drifted job has neither `employer` nor
`compensation`, as if Indeed had moved them out of the job type; JobSpy's Job
model requires both (nullable but not optional), so its validation fails
("2 validation errors for Job") and JobSpy logs `skipping job: ...` for it.
The job keeps its `key`, which JobSpy reads before validating.
"""

from __future__ import annotations

import base64
import json
import re

from ..behaviour import SiteBehaviour
from ..catalog import Board, Posting
from ..fixtures import fill_json
from ..http11 import Request, Response, json_response, status_response

SITE = "indeed"
SEARCH_TERM = re.compile(r'what: ("(?:[^"\\]|\\.)*")')
LIMIT = re.compile(r"limit: (\d+)")
CURSOR = re.compile(r'cursor: "([^"]*)"')
DEFAULT_LIMIT = 25

JOB_TYPE_KEYS = {"fulltime": "CF3CP", "parttime": "75GKK", "contract": "NJXCK", "internship": "VDTG7"}
REMOTE_KEY = "DSQF7"
UNITS_OF_WORK = {"hourly": "HOUR", "monthly": "MONTH", "yearly": "YEAR"}
DRIFTED_AWAY = ("employer", "compensation")


def respond(request: Request, behaviour: SiteBehaviour) -> Response:
    if (request.method, request.path) != ("POST", "/graphql"):
        return status_response(404)
    query = str(request.json()["query"])
    term = SEARCH_TERM.search(query)
    limit = LIMIT.search(query)
    cursor = CURSOR.search(query)
    board = Board(SITE, json.loads(term[1]) if term else None, behaviour.job_count)
    start = int(base64.urlsafe_b64decode(cursor[1])) if cursor else 0
    postings = board.page(start, int(limit[1]) if limit else DEFAULT_LIMIT)
    end = start + len(postings)
    next_cursor = base64.urlsafe_b64encode(str(end).encode()).decode() if board.has_more_after(end) else None
    return json_response(
        {
            "data": {
                "jobSearch": {
                    "pageInfo": {"nextCursor": next_cursor},
                    "results": [{"job": _job(posting, behaviour.unreadable(posting.index))} for posting in postings],
                }
            }
        }
    )


def _job(posting: Posting, drifted: bool) -> dict[str, object]:
    company, place, pay = posting.company, posting.place, posting.pay
    attributes = [JOB_TYPE_KEYS[posting.job_type]] + ([REMOTE_KEY] if posting.remote else [])
    base_salary = pay and {
        "unitOfWork": UNITS_OF_WORK[pay.interval],
        "range": {"min": pay.low, "max": pay.high},
    }
    job: dict[str, object] = fill_json(
        "indeed_job.json",
        key=f"{posting.number:016x}",
        title=posting.title,
        company=company.name,
        posted_ms=int(posting.posted_at.timestamp() * 1000),
        description_html=posting.description_html,
        country_code=place.country_code,
        state=place.state,
        city=place.city,
        base_salary=base_salary,
        currency=pay and pay.currency,
        attributes=[{"key": key} for key in attributes],
        company_page=f"/cmp/{company.slug}",
        rating=company.rating,
        rating_count=company.reviews,
        headquarters=company.headquarters,
        industry=company.industry.upper().replace(" ", "_"),
        employees=company.employees,
        revenue=company.revenue,
        company_description=company.about,
        logo_url=company.logo_url,
        website=company.website,
        apply_url=posting.employer_apply_url,
    )
    if drifted:
        for name in DRIFTED_AWAY:
            del job[name]
    return job
