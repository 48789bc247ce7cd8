"""Bayt: server-rendered search pages, www.bayt.com.

GET /en/<country>/jobs/<term>-jobs-in-<city>/?page=<n> (or .../<term>-jobs/,
or .../jobs/ for all jobs) answers a page (bayt_search_page.html) of 30 job
cards (bayt_card.html) from the term in the path. Bayt only lists monthly pay,
so postings paid by the hour or year show none. Job pages are not faked: with
fetch_description JobSpy logs a 404 per job and keeps the card's fields. JobSpy
reads a page without cards, so mode "malformed" too, and a challenge page
with status 200, as the end of the results.

Drift (modes drifted, partial): a drifted card's title link sits in an <h3>
instead of the <h2>, as after a redesign. JobSpy still finds the card
(li[data-js-job]) but not its "h2 a[href]", so it raises "no title link" and
logs `skipping job: no title link`.
"""

from __future__ import annotations

import re
from html import escape

from ..behaviour import SiteBehaviour
from ..catalog import Board, Posting, slugify
from ..fixtures import fill_html
from ..http11 import Request, Response, html_response, status_response

SITE = "bayt"
SEARCH_PATH = re.compile(r"/en/(?P<country>[^/]+)/jobs/(?:(?P<term>.+?)-jobs(?:-in-[^/]+)?/)?")
PAGE_SIZE = 30
EXPERIENCE = {"Entry level": "0-2", "Associate": "2-5", "Mid-Senior level": "5-10", "Director": "10+"}
TITLE_HEADING = re.compile(r"<(/?)h2\b")


def respond(request: Request, behaviour: SiteBehaviour) -> Response:
    search = SEARCH_PATH.fullmatch(request.path)
    if request.method != "GET" or not search:
        return status_response(404)
    term = search["term"].replace("-", " ") if search["term"] else None
    page = int(request.query.get("page", 1))
    postings = Board(SITE, term, behaviour.job_count).page((page - 1) * PAGE_SIZE, PAGE_SIZE)
    cards = "".join(_card(posting, search["country"], behaviour.unreadable(posting.index)) for posting in postings)
    heading = f"{term.title() if term else 'All'} Jobs"
    return html_response(fill_html("bayt_search_page.html", heading=escape(heading), cards=cards))


def _card(posting: Posting, country_slug: str, drifted: bool) -> str:
    company, place, pay = posting.company, posting.place, posting.pay
    parts = (place.city, place.state, "USA") if place.country_code == "US" else (place.city, place.country)
    salary = (
        f'<dt class="jb-label-salary">{pay.currency} {pay.low:,.0f} - {pay.currency} {pay.high:,.0f}</dt>'
        if pay and pay.interval == "monthly"
        else ""
    )
    seniority = posting.level.seniority
    card = fill_html(
        "bayt_card.html",
        job_id=posting.number,
        country_slug=country_slug,
        title_slug=slugify(posting.title),
        title=escape(posting.title),
        company_slug=company.slug,
        employer_id=company.number,
        company=escape(company.name),
        logo_url=company.logo_url,
        location_spans="".join(f"<span>{escape(part)}</span>" for part in parts),
        salary=salary,
        remote='<dt class="jb-label-remote">Remote</dt>' if posting.remote else "",
        career_level=f"{seniority} · {EXPERIENCE[seniority]} Years of Experience",
        timestamp=int(posting.posted_at.timestamp()),
        age=posting.age,
    )
    return TITLE_HEADING.sub(r"<\1h3", card) if drifted else card
