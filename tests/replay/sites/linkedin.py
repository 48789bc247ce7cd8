"""LinkedIn: the guest jobs API and the public job pages, www.linkedin.com.

GET /jobs-guest/jobs/api/seeMoreJobPostings/search?keywords=...&start=N answers
an HTML fragment of 10 job cards (linkedin_card.html) from N on, and past the
last job the near-empty page JobSpy knows as the end. Cards carry no pay:
GET /jobs/view/<id>, which JobSpy fetches with fetch_description, answers the
job page (linkedin_job_page.html) with the description, pay range, logo and
criteria.

Drift (modes drifted, partial): a drifted card's title and company headings
have new class names (h3 "base-search-card__job-title", h4
"base-search-card__company-name"), as after a redesign. JobSpy still finds the
card (class "base-search-card", data-entity-urn) but not its
h3.base-search-card__title, so it raises "no title" and logs `skipping job:
no title`. Job pages don't drift.
"""

from __future__ import annotations

import re
from html import escape

from ..behaviour import SiteBehaviour
from ..catalog import Board, Pay, Posting, slugify
from ..fixtures import fill_html
from ..http11 import Request, Response, html_response, status_response

SITE = "linkedin"
SEARCH_PATH = "/jobs-guest/jobs/api/seeMoreJobPostings/search"
JOB_PAGE_PATH = re.compile(r"/jobs/view/(?:[\w-]+-)?(\d+)/?")
PAGE_SIZE = 10
END_OF_RESULTS = "<!DOCTYPE html>\n\n<!---->"
ID_BASE = 4_000_000_000

CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$"}
PAY_SUFFIXES = {"hourly": "/hr", "monthly": "/mo", "yearly": "/yr"}
EMPLOYMENT_TYPES = {
    "fulltime": "Full-time",
    "parttime": "Part-time",
    "contract": "Contract",
    "internship": "Internship",
}
DRIFT = (
    ('<h3 class="base-search-card__title">', '<h3 class="base-search-card__job-title">'),
    ('<h4 class="base-search-card__subtitle">', '<h4 class="base-search-card__company-name">'),
)


def respond(request: Request, behaviour: SiteBehaviour) -> Response:
    if request.method != "GET":
        return status_response(405)
    if request.path == SEARCH_PATH:
        return _search_page(request, behaviour)
    if job_page := JOB_PAGE_PATH.fullmatch(request.path):
        return _job_page(int(job_page[1]) - ID_BASE, behaviour.job_count)
    return status_response(404)


def _search_page(request: Request, behaviour: SiteBehaviour) -> Response:
    board = Board(SITE, request.query.get("keywords"), behaviour.job_count)
    start = int(request.query.get("start", 0))
    postings = board.page(start, PAGE_SIZE)
    if not postings:
        return html_response(END_OF_RESULTS)
    cards = (_card(posting, start + i, behaviour.unreadable(posting.index)) for i, posting in enumerate(postings))
    return html_response("".join(cards))


def _card(posting: Posting, position: int, drifted: bool) -> str:
    pay = posting.pay
    salary_info = f'<span class="job-search-card__salary-info">{_pay_range(pay, 0)}</span>' if pay else ""
    card = fill_html(
        "linkedin_card.html",
        job_id=ID_BASE + posting.number,
        position=position + 1,
        title=escape(posting.title),
        title_slug=slugify(posting.title),
        company=escape(posting.company.name),
        company_slug=posting.company.slug,
        logo_url=posting.company.logo_url,
        location=escape(posting.place.label),
        salary_info=salary_info,
        date_posted=posting.posted_at.date().isoformat(),
        age=posting.age,
    )
    if drifted:
        for old, new in DRIFT:
            assert old in card, f"the card template lost {old}"
            card = card.replace(old, new)
    return card


def _job_page(number: int, job_count: int) -> Response:
    posting = Board(SITE, None, job_count).find(number)
    if posting is None:
        return status_response(404)
    pay = posting.pay
    compensation = fill_html("linkedin_compensation.html", salary=_pay_range(pay, 2, PAY_SUFFIXES[pay.interval])) if pay else ""
    return html_response(
        fill_html(
            "linkedin_job_page.html",
            job_id=ID_BASE + number,
            company=escape(posting.company.name),
            company_slug=posting.company.slug,
            logo_url=posting.company.logo_url,
            location=escape(posting.place.label),
            compensation=compensation,
            description_html=posting.description_html,
            seniority=posting.level.seniority,
            employment_type=EMPLOYMENT_TYPES[posting.job_type],
            industry=escape(posting.company.industry),
        )
    )


def _pay_range(pay: Pay, decimals: int, suffix: str = "") -> str:
    """ "$117,000.00/yr - $234,000.00/yr" on a job page, "$117,000 - $234,000" on a card"""
    symbol = CURRENCY_SYMBOLS[pay.currency]
    return f"{symbol}{pay.low:,.{decimals}f}{suffix} - {symbol}{pay.high:,.{decimals}f}{suffix}"
