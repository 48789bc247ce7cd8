"""A 5,000-job search filtered, sorted and paged by the database (search.result_pages):
the same rows and order as jobs.filter_rows gives in memory, every row reachable a page at
a time, and each answer well inside the table's 200 ms budget, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import date

import pytest

from jobspy_web.db import read_session, write_session
from jobspy_web.search import jobs, result_pages
from tests.big_search import seed_big_search

BIG = 5000
PAGE = 100
# The table's budget is 200 ms from keystroke to repaint; the query must be a small part of it.
QUERY_BUDGET_S = 0.1
# The best of a few runs: 2 shared cores under a load of ~10 stretch single runs 3-5x, and
# what the query costs is what the fastest run shows.
REPEATS = 5

FILTERS = [
    jobs.JobFilter(),
    jobs.JobFilter(text="senior python"),
    jobs.JobFilter(text="acme", sort="title"),
    jobs.JobFilter(sites=frozenset({"zip_recruiter"}), remote="remote", sort="company"),
    jobs.JobFilter(remote="onsite", job_type="contract", sort="salary"),
    jobs.JobFilter(min_yearly_salary=120_000, sort="salary_mid"),
    jobs.JobFilter(posted_within_days=7, sort="salary"),
    jobs.JobFilter(text="zürich engineer"),
]


@pytest.fixture
def big_search(db: str):
    with write_session() as session:
        search_id = seed_big_search(session, owner_id=None, count=BIG)
    return search_id


def _page(search_id, job_filter, offset: int) -> result_pages.ResultPage:
    with read_session() as session:
        return result_pages.result_page(session=session, search_id=search_id, job_filter=job_filter, offset=offset, limit=PAGE)


@pytest.mark.parametrize("job_filter", FILTERS, ids=lambda job_filter: f"{job_filter.sort}-{job_filter.text or 'no text'}")
def test_the_database_keeps_and_orders_what_filter_rows_does(big_search, job_filter):
    with read_session() as session:
        every = jobs.search_rows(session=session, search_id=big_search)
        ids = result_pages.matching_ids(session=session, search_id=big_search, job_filter=job_filter)
    expected = [row.id for row in jobs.filter_rows(every, job_filter, today=date.today())]
    assert len(every) == BIG
    assert ids == expected
    first = _page(big_search, job_filter, 0)
    assert first.total == BIG and first.matching == len(expected)
    assert [row.id for row in first.rows] == expected[:PAGE]


def test_every_row_is_reachable_page_by_page(big_search):
    seen: list[str] = []
    offset = 0
    while True:
        page = _page(big_search, jobs.JobFilter(sort="title"), offset)
        seen.extend(row.id for row in page.rows)
        offset += PAGE
        if offset >= page.matching:
            break
    assert len(seen) == BIG == len(set(seen))
    last = _page(big_search, jobs.JobFilter(sort="title"), BIG - PAGE)
    assert last.rows[-1].id == seen[-1]


def test_pay_counts_name_each_currency(big_search):
    with read_session() as session:
        counts = result_pages.paid_currencies(session=session, search_id=big_search)
    assert set(counts) == {"USD", "CAD", "EUR"}
    assert counts["USD"] > counts["CAD"] > counts["EUR"] > 0


def test_each_filter_and_sort_answers_within_budget(big_search):
    timings = {}
    for job_filter in FILTERS:
        for offset in (0, BIG - PAGE):
            _page(big_search, job_filter, offset)  # warm: the first query plans and fills caches
            runs = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                _page(big_search, job_filter, offset)
                runs.append(time.perf_counter() - started)
            timings[(job_filter.sort, job_filter.text, offset)] = min(runs)
    slowest = max(timings, key=timings.__getitem__)
    print(f"\nslowest of {len(timings)} result pages: {timings[slowest] * 1000:.1f} ms {slowest}")
    assert timings[slowest] <= QUERY_BUDGET_S, timings
