"""The hand-over between a site's child process and the runner: whole messages of any size,
under uvloop (granian's loop, which leaves a watched pipe non-blocking), with the CPU busy."""

from __future__ import annotations

import asyncio
import time

import uvloop

from jobspy_web.search import scraping
from tests.fakes import scrapes


def _run_on_uvloop(coroutine_factory):
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine_factory())


def test_several_megabytes_per_site_arrive_whole_under_uvloop_with_the_cpu_loaded(busy_cpu):
    sites = ["indeed", "linkedin", "glassdoor", "zip_recruiter"]
    pages_seen: dict[str, list[int]] = {site: [] for site in sites}

    async def scrape_all():
        async def one(site):
            async def on_page(rows):
                pages_seen[site].append(len(rows))

            kwargs = {"site_name": [site], "pages": 3, "per_page": 1500}
            return await scraping.scrape_site(kwargs, timeout_s=120, on_page=on_page, target=scrapes.big_pages)

        return await asyncio.gather(*(one(site) for site in sites))

    results = _run_on_uvloop(scrape_all)

    for site, result in zip(sites, results, strict=True):
        assert result.error is None and not result.timed_out, site
        assert len(result.rows) == 4500, site  # ~9 MB of rows in the final message
        assert result.rows[-1] == scrapes.row(site, 4499)
        assert pages_seen[site] == [1500, 1500, 1500], site


def test_pages_are_handed_over_while_the_site_is_still_running():
    arrivals: list[float] = []

    async def scrape():
        async def on_page(rows):
            arrivals.append(time.perf_counter())

        kwargs = {"site_name": ["linkedin"], "pages": 2, "per_page": 10, "pause_s": 1.0}
        started = time.perf_counter()
        result = await scraping.scrape_site(kwargs, timeout_s=30, on_page=on_page, target=scrapes.big_pages)
        return started, time.perf_counter(), result

    started, ended, result = _run_on_uvloop(scrape)

    assert len(result.rows) == 20
    assert len(arrivals) == 2
    assert arrivals[0] - started < 0.8, "page 1 must arrive before the pause, not with the last page"
    assert ended - arrivals[0] > 1.0


def test_a_timeout_keeps_the_pages_already_handed_over_and_stops_the_child():
    received: list[int] = []

    async def scrape():
        async def on_page(rows):
            received.append(len(rows))

        return await scraping.scrape_site({"site_name": ["bayt"]}, timeout_s=1.5, on_page=on_page, target=scrapes.pages_then_hang)

    began = time.perf_counter()
    result = _run_on_uvloop(scrape)

    assert result.timed_out and received == [2]
    assert time.perf_counter() - began < 8


def test_a_child_that_dies_is_reported_not_waited_for():
    async def scrape():
        return await scraping.scrape_site({"site_name": ["naukri"]}, timeout_s=30, target=scrapes.crash)

    result = _run_on_uvloop(scrape)

    assert result.error == "the scraper process exited with code 3"
