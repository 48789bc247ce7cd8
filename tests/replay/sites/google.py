"""Google Jobs: the search page and its async callback, www.google.com.

A job is a positional array, google_job_info.json: [0] title, [1] company,
[2] location, [3][0][0] the listing's URL, [12] age ("3 days ago"), [19]
description (plain text on Google), [28] id; JobSpy finds it under the key
"520084652". GET /search?q=...&udm=8 answers a page with the first 10 jobs,
each in a script as `[[[[[{"520084652": <job>}]]]]]` (JobSpy's regex wants
`}]]]]]` after the job, on one line), and a data-async-fc cursor when more
follow. GET /async/callback:550?fc=<cursor> answers `)]}'`, the next cursor
and a JSON list of [id, "<json of [[[null, {"520084652": <job>}]]]>"] pairs.
A cursor is the next page's start and the query, base64-encoded JSON.

Drift (modes drifted, partial): a drifted job array is reshuffled, as Google
does to these unnamed arrays: its first 12 slots stay, the age, description
and id ([12], [19], [28]) move into one list in slot [12], and the array ends
there. JobSpy still finds the job (the key, and `]]` before `}]]]]]` on the
first page) and its URL, then reads [19]: IndexError, logged as `skipping job:
list index out of range`. JobSpy stops at the first further page on which
it reads no job, so in mode drifted it reads two pages (20 jobs) at most,
and a site with one page only (10 jobs or fewer) is its error "no job data
returned" too.
"""

from __future__ import annotations

import base64
import json
import re
from html import escape, unescape

from ..behaviour import SiteBehaviour
from ..catalog import Board, Posting
from ..fixtures import fill_html, fill_json
from ..http11 import Request, Response, html_response, status_response

SITE = "google"
PAGE_SIZE = 10
JOB_KEY = "520084652"
# JobSpy builds q as "<search term> jobs near <location> ..."
SEARCH_TERM = re.compile(r"^(.*?) jobs(?: |$)")
KEPT_SLOTS = 12
MOVED_SLOTS = (12, 19, 28)


def respond(request: Request, behaviour: SiteBehaviour) -> Response:
    if request.method != "GET":
        return status_response(405)
    if request.path == "/search":
        return _search_page(request.query.get("q", ""), behaviour)
    if request.path == "/async/callback:550" and "fc" in request.query:
        return _next_page(request.query["fc"], behaviour)
    return status_response(404)


def _search_page(query: str, behaviour: SiteBehaviour) -> Response:
    board = _board(query, behaviour.job_count)
    postings = board.page(0, PAGE_SIZE)
    scripts = "\n".join(
        f'<script type="application/json">{_compact([[[[[{JOB_KEY: _job_info(p, behaviour)}]]]]])}</script>' for p in postings
    )
    html = fill_html(
        "google_search_page.html",
        query=escape(query),
        async_cursor=_cursor_attribute(board, len(postings), query),
        job_scripts=scripts,
    )
    return html_response(html)


def _next_page(cursor: str, behaviour: SiteBehaviour) -> Response:
    start, query = json.loads(base64.urlsafe_b64decode(cursor))
    board = _board(query, behaviour.job_count)
    postings = board.page(start, PAGE_SIZE)
    pairs = [[str(p.number), _compact([[[None, {JOB_KEY: _job_info(p, behaviour)}]]])] for p in postings]
    cursor_div = f"<div{_cursor_attribute(board, start + len(postings), query)}></div>"
    body = f")]}}'\n{cursor_div}{_compact([pairs])}"
    return Response(body=body.encode(), content_type="application/json; charset=UTF-8")


def _board(query: str, job_count: int) -> Board:
    term = SEARCH_TERM.match(query)
    return Board(SITE, term[1] if term else query, job_count)


def _cursor_attribute(board: Board, end: int, query: str) -> str:
    """The next page's cursor, which carries its start and the query."""
    if not board.has_more_after(end):
        return ""
    cursor = base64.urlsafe_b64encode(_compact([end, query]).encode()).decode()
    return f' data-async-fc="{cursor}"'


def _compact(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))


def _job_info(posting: Posting, behaviour: SiteBehaviour) -> list[object]:
    text = unescape(re.sub(r"<[^>]+>", " ", posting.description_html))
    info: list[object] = fill_json(
        "google_job_info.json",
        title=posting.title,
        company=posting.company.name,
        location=posting.place.label,
        job_url=f"{posting.employer_apply_url}?utm_source=google_jobs_apply",
        source_domain=posting.company.website.removeprefix("https://"),
        source_label=f"{posting.company.name} Careers",
        age=posting.age,
        description=" ".join(text.split()),
        job_id=base64.b64encode(f"google:{posting.number}".encode()).decode(),
    )
    if behaviour.unreadable(posting.index):
        info = [*info[:KEPT_SLOTS], [info[slot] for slot in MOVED_SLOTS]]
    return info
