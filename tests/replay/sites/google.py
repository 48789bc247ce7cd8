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
"""

from __future__ import annotations

import base64
import json
import re
from html import escape, unescape

from ..catalog import Board, Posting
from ..fixtures import fill_html, fill_json
from ..http11 import Request, Response, html_response, status_response

SITE = "google"
PAGE_SIZE = 10
JOB_KEY = "520084652"
# JobSpy builds q as "<search term> jobs near <location> ..."
SEARCH_TERM = re.compile(r"^(.*?) jobs(?: |$)")


def respond(request: Request, job_count: int) -> Response:
    if request.method != "GET":
        return status_response(405)
    if request.path == "/search":
        return _search_page(request.query.get("q", ""), job_count)
    if request.path == "/async/callback:550" and "fc" in request.query:
        return _next_page(request.query["fc"], job_count)
    return status_response(404)


def _search_page(query: str, job_count: int) -> Response:
    board = _board(query, job_count)
    postings = board.page(0, PAGE_SIZE)
    scripts = "\n".join(f'<script type="application/json">{_compact([[[[[{JOB_KEY: _job_info(p)}]]]]])}</script>' for p in postings)
    html = fill_html(
        "google_search_page.html",
        query=escape(query),
        async_cursor=_cursor_attribute(board, len(postings), query),
        job_scripts=scripts,
    )
    return html_response(html)


def _next_page(cursor: str, job_count: int) -> Response:
    start, query = json.loads(base64.urlsafe_b64decode(cursor))
    board = _board(query, job_count)
    postings = board.page(start, PAGE_SIZE)
    pairs = [[str(p.number), _compact([[[None, {JOB_KEY: _job_info(p)}]]])] for p in postings]
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


def _job_info(posting: Posting) -> object:
    text = unescape(re.sub(r"<[^>]+>", " ", posting.description_html))
    return fill_json(
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
