"""ZipRecruiter: server-rendered Next.js pages, www.ziprecruiter.com.

GET /jobs-search?search=...&location=... (page 1) and /jobs-search/<n> answer a
page whose data sits in `self.__next_f.push([1, "<rows>"])` scripts, as
React's flight rows: one row holds {"jobCards": [20 jobs], "jobCount": total}
(ziprecruiter_job_card.json). GET /c/<company>/Job/<title>/-in-<city>?jid=<key>,
the job page JobSpy fetches with fetch_description, holds {"jobDetails": ...}
(ziprecruiter_job_details.json) whose description is a "$<id>" reference to
a text row, `<id>:T<hex byte length>,<html>`, as real pages do with long text.

Drift (modes drifted, partial): a drifted card's `rawCanonicalZipJobPageUrl`
is `canonicalZipJobPageUrl` and its `employmentTypes` `employmentTypeNames`,
as if the page had been renamed; JobSpy's Job model requires both, so its
validation fails ("2 validation errors for Job") and JobSpy logs `skipping
job: ...`. The card keeps its `listingKey`, which JobSpy reads before
validating. Job pages don't drift.
"""

from __future__ import annotations

import base64
import json
import re
from html import escape

from ..behaviour import SiteBehaviour
from ..catalog import Board, Posting, slugify
from ..fixtures import fill_html, fill_json
from ..http11 import Request, Response, html_response, status_response

SITE = "zip_recruiter"
SEARCH_PATH = re.compile(r"/jobs-search(?:/(\d+))?")
PAGE_SIZE = 20

EMPLOYMENT_TYPES = {
    "fulltime": "EMPLOYMENT_TYPE_NAME_FULL_TIME",
    "parttime": "EMPLOYMENT_TYPE_NAME_PART_TIME",
    "contract": "EMPLOYMENT_TYPE_NAME_CONTRACTOR",
    "internship": "EMPLOYMENT_TYPE_NAME_INTERNSHIP",
}
PAY_INTERVALS = {
    "hourly": "PAY_INTERVAL_HOUR",
    "monthly": "PAY_INTERVAL_MONTH",
    "yearly": "PAY_INTERVAL_YEAR",
}
DRIFT = {"rawCanonicalZipJobPageUrl": "canonicalZipJobPageUrl", "employmentTypes": "employmentTypeNames"}


def respond(request: Request, behaviour: SiteBehaviour) -> Response:
    if request.method != "GET":
        return status_response(405)
    if search := SEARCH_PATH.fullmatch(request.path):
        return _search_page(request, int(search[1] or 1), behaviour)
    if request.path.startswith("/c/") and "jid" in request.query:
        return _job_page(request.query["jid"], behaviour.job_count)
    return status_response(404)


def _search_page(request: Request, page: int, behaviour: SiteBehaviour) -> Response:
    term, job_count = request.query.get("search"), behaviour.job_count
    board = Board(SITE, term, job_count)
    postings = board.page((page - 1) * PAGE_SIZE, PAGE_SIZE)
    cards = [_card(posting, behaviour.unreadable(posting.index)) for posting in postings]
    rows = [
        '0:["$","html",null,{"lang":"en"}]\n',
        f'1:["$","div",null,{_compact({"jobCards": cards, "jobCount": job_count, "page": page})}]\n',
    ]
    return _page(f"{term or 'All'} Jobs", rows)


def _card(posting: Posting, drifted: bool) -> dict[str, object]:
    place, pay, company = posting.place, posting.pay, posting.company
    card: dict[str, object] = fill_json(
        "ziprecruiter_job_card.json",
        listing_key=_listing_key(posting.number),
        title=posting.title,
        posted_at=posting.posted_at.isoformat().replace("+00:00", "Z"),
        employment_type=EMPLOYMENT_TYPES[posting.job_type],
        country_code=place.country_code,
        city=place.city,
        state=place.state,
        location=f"{place.city}, {place.state}",
        external_apply_url=_redirect_url(posting.employer_apply_url),
        company=company.name,
        company_url=f"/co/{company.slug}/Jobs",
        logo_url=company.logo_url,
        job_page_path=(
            f"/c/{company.slug}/Job/{slugify(posting.title)}/-in-{place.city.replace(' ', '-')},{place.state}"
            f"?jid={_listing_key(posting.number)}"
        ),
        location_type="LOCATION_TYPE_NAME_REMOTE" if posting.remote else "LOCATION_TYPE_NAME_IN_PERSON",
        pay_visible=pay is not None,
        pay_interval=pay and PAY_INTERVALS[pay.interval],
        pay_min=pay and pay.low,
        pay_max=pay and pay.high,
        pay_currency=pay and f"PAY_CURRENCY_{pay.currency}",
    )
    if drifted:
        card = {DRIFT.get(name, name): value for name, value in card.items()}
    return card


def _job_page(listing_key: str, job_count: int) -> Response:
    posting = Board(SITE, None, job_count).find(int(listing_key, 16))
    if posting is None:
        return status_response(404)
    company = posting.company
    details = fill_json(
        "ziprecruiter_job_details.json",
        listing_key=listing_key,
        description_ref="$2",
        company_about=company.about,
        industry=company.industry,
        website=company.website.removeprefix("https://"),
        employees=f"{company.employees} employees",
        headquarters=company.headquarters,
        rating=company.rating * 2,
    )
    description = posting.description_html.encode()
    rows = [
        '0:["$","html",null,{"lang":"en"}]\n',
        f"2:T{len(description):x},{posting.description_html}",
        f'3:["$","div",null,{_compact({"jobDetails": details})}]\n',
    ]
    return _page(company.name, rows)


def _page(title: str, rows: list[str]) -> Response:
    scripts = []
    for row in rows:
        # "<" escaped, as Next.js does, so that no row can end its script early
        chunk = json.dumps(row).replace("<", "\\u003c")
        scripts.append(f"<script>self.__next_f.push([1,{chunk}])</script>\n")
    return html_response(fill_html("ziprecruiter_page.html", title=escape(title), flight_scripts="".join(scripts)))


def _compact(data: object) -> str:
    """JSON as Next.js writes it, which JobSpy relies on: no space after a key's colon."""
    return json.dumps(data, separators=(",", ":"))


def _listing_key(number: int) -> str:
    return f"{number:010x}"


def _redirect_url(employer_url: str) -> str:
    """ZipRecruiter's redirect; its token is a protobuf-like record: tag, length
    (one byte, so the URL is under 128 bytes), URL."""
    fields = bytes([0x0A, len(employer_url)]) + employer_url.encode()
    token = base64.urlsafe_b64encode(fields).decode().rstrip("=")
    return f"https://www.ziprecruiter.com/job-redirect?match_token={token}"
