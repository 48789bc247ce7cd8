"""Glassdoor: the location autocomplete and the GraphQL endpoint, www.glassdoor.com.

GET /autocomplete/location?...&term=<location> answers the places matching the
location (one city, or none for an empty term). POST /graph takes a one-item
list [{"operationName", "variables", "query"}] and answers a one-item list:
- JobSearchResultsQuery: variables keyword, numJobsToShow and pageNumber; it
  answers {"jobListings": [...], "paginationCursors": [...]}, a listing per
  glassdoor_job_listing.json, cursors for the next three pages.
- JobDetails (fetch_description): the query aliases `j<id>: jobView(listingId:
  <id>, ...)` per job; it answers {"j<id>": {"job": {"description": html}}}.

Drift (modes drifted, partial): a drifted listing's header has no
`adOrderSponsorshipLevel` and an `employer` without `id`, and its jobview no
`map` (so no `map.country`), as if Glassdoor had dropped them from the search
query's answer; JobSpy's Header and JobView models require all three
(`id` and `country` nullable but not optional), so JobView's validation fails
("3 validation errors for JobView") and JobSpy logs `skipping job: ...`. The
listing keeps its `jobview.job.listingId`, which JobSpy reads first.
"""

from __future__ import annotations

import base64
import math
import re
import zlib
from typing import Any

from ..behaviour import SiteBehaviour
from ..catalog import Board, Posting
from ..fixtures import fill_json
from ..http11 import Request, Response, json_response, status_response

SITE = "glassdoor"
ID_BASE = 1_009_000_000_000
DEFAULT_PAGE_SIZE = 30
JOB_VIEW_ALIAS = re.compile(r"j(\d+): jobView\(listingId: (\d+)")
PAY_PERIODS = {"hourly": "HOURLY", "monthly": "MONTHLY", "yearly": "ANNUAL"}


def respond(request: Request, behaviour: SiteBehaviour) -> Response:
    if (request.method, request.path) == ("GET", "/autocomplete/location"):
        return _places(request.query.get("term", ""))
    if (request.method, request.path) == ("POST", "/graph"):
        [operation] = request.json()
        if operation["operationName"] == "JobSearchResultsQuery":
            return _search(operation["variables"], behaviour)
        if operation["operationName"] == "JobDetails":
            return _details(operation["query"], behaviour.job_count)
    return status_response(404)


def _places(term: str) -> Response:
    if not term.strip():
        return json_response([])
    place = {
        "locationId": zlib.crc32(term.lower().encode()) % 10_000_000,
        "locationType": "C",
        "locationName": f"{term} (US)",
        "countryName": "United States",
    }
    return json_response([place])


def _search(variables: dict[str, Any], behaviour: SiteBehaviour) -> Response:
    job_count = behaviour.job_count
    board = Board(SITE, variables.get("keyword"), job_count)
    page_size = int(variables.get("numJobsToShow") or DEFAULT_PAGE_SIZE)
    page = int(variables.get("pageNumber") or 1)
    postings = board.page((page - 1) * page_size, page_size)
    last_page = math.ceil(job_count / page_size)
    cursors = [
        {"cursor": base64.b64encode(f"page={number}".encode()).decode(), "pageNumber": number}
        for number in range(page + 1, min(page + 3, last_page) + 1)
    ]
    listings = {
        "jobListings": [_listing(posting, behaviour.unreadable(posting.index)) for posting in postings],
        "paginationCursors": cursors,
        "totalJobsCount": job_count,
    }
    return json_response([{"data": {"jobListings": listings}}])


def _listing(posting: Posting, drifted: bool) -> dict[str, Any]:
    company, place, pay = posting.company, posting.place, posting.pay
    listing: dict[str, Any] = fill_json(
        "glassdoor_job_listing.json",
        sponsorship="SPONSORED" if posting.index % 7 == 0 else "STANDARD",
        age_in_days=posting.days_ago,
        employer_id=company.number,
        company=company.name,
        job_type_keys=[f"jobType.{posting.job_type}"],
        location=f"{place.city}, {place.state}",
        pay_currency=pay and pay.currency,
        pay_period=pay and PAY_PERIODS[pay.interval],
        adjusted_pay=pay and {"p10": pay.low, "p90": pay.high},
        rating=company.rating,
        remote_work_types=["WORK_FROM_HOME"] if posting.remote else None,
        title=posting.title,
        listing_id=ID_BASE + posting.number,
        country=place.country,
        headquarters=company.headquarters,
        company_about=company.about,
        industry=company.industry,
        revenue=company.revenue,
        employees=f"{company.employees} Employees",
        logo_url=company.logo_url,
        website=company.website.removeprefix("https://"),
    )
    if drifted:
        job_view = listing["jobview"]
        del job_view["header"]["adOrderSponsorshipLevel"]
        del job_view["header"]["employer"]["id"]
        del job_view["map"]
    return listing


def _details(query: str, job_count: int) -> Response:
    board = Board(SITE, None, job_count)
    views = {}
    for alias_id, listing_id in JOB_VIEW_ALIAS.findall(query):
        posting = board.find(int(listing_id) - ID_BASE)
        views[f"j{alias_id}"] = posting and {"job": {"description": posting.description_html}}
    return json_response([{"data": views}])
