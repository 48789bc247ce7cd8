"""The app's search pipeline against raw `jobspy.scrape_jobs`, on the same replayed traffic.

    .venv/bin/python bench/search.py [--rounds 3] [--results 100] [--database sqlite|postgresql]

Four sites, 100 results each, served by the replay proxy in its own process with a fixed
latency per request. Each round runs raw scrape_jobs (threads, the library's own way) and
the app pipeline (a process per site, dedupe, database writes, progress events), alternating.
Prints medians, the ratio app/raw (target <= 1.05), the time to the first stored row
against the fastest site's own scrape time (target: <= fastest + 300 ms), and per site the
time from start to that site's first stored row against the time raw JobSpy takes for that
site's first page alone (target: <= first page + 300 ms on every site).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.fixed_delays  # noqa: E402,F401  (same pauses for the raw run in this process)
from tests.replay import CROSS_POSTINGS  # noqa: E402

SITES = ["indeed", "linkedin", "zip_recruiter", "glassdoor"]
PAGE_SIZES = {"indeed": 100, "linkedin": 10, "zip_recruiter": 20, "glassdoor": 100}  # JobSpy's jobs_per_page
LATENCY = {"indeed": 0.15, "linkedin": 0.25, "zip_recruiter": 0.2, "glassdoor": 0.2}


def start_proxy() -> tuple[subprocess.Popen[str], str, str]:
    delays = [arg for site, seconds in LATENCY.items() for arg in ("--delay", f"{site}={seconds}")]
    proxy = subprocess.Popen(
        [sys.executable, "-m", "tests.replay", "--port", "0", *delays],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proxy.stdout is not None
    url = proxy.stdout.readline().split(": ", 1)[1].strip()
    ca_cert = proxy.stdout.readline().split(": ", 1)[1].strip()
    return proxy, url, ca_cert


def raw_run(url: str, ca_cert: str, results: int) -> float:
    import jobspy

    started = time.perf_counter()
    frame = jobspy.scrape_jobs(
        site_name=SITES,
        search_term="python developer",
        location="Austin, TX",
        results_wanted=results,
        proxies=[url],
        ca_cert=ca_cert,
        verbose=0,
    )
    elapsed = time.perf_counter() - started
    assert len(frame) == results * len(SITES), f"raw run got {len(frame)} rows"
    return elapsed


def raw_first_page(url: str, ca_cert: str, site: str, results: int) -> float:
    """Raw JobSpy asked for one page of one site: what the site's first page costs by itself."""
    import jobspy

    started = time.perf_counter()
    frame = jobspy.scrape_jobs(
        site_name=[site],
        search_term="python developer",
        location="Austin, TX",
        results_wanted=min(PAGE_SIZES[site], results),
        proxies=[url],
        ca_cert=ca_cert,
        verbose=0,
    )
    assert len(frame), f"raw first page of {site} is empty"
    return time.perf_counter() - started


async def app_run(results: int) -> tuple[float, float, float, dict[str, tuple[float, float]]]:
    """(total seconds, seconds to the first stored row, the fastest site's own seconds, and per
    site (seconds to its first stored row, seconds to the moment its child read its first page))."""
    from jobspy_web.db import read_session, write_session
    from jobspy_web.search import jobs, runner, scraping
    from jobspy_web.search.outcomes import SiteState
    from jobspy_web.search.params import parse_search_params

    params = parse_search_params(
        {"search_term": "python developer", "location": "Austin, TX", "site_name": SITES, "results_wanted": results}
    )
    started, started_wall = time.perf_counter(), time.time()
    with write_session() as session:
        search_id = runner.create_search(session=session, params=params).id
    first_row = None
    fastest = float("inf")
    site_first_rows: dict[str, float] = {}
    first_reads: dict[str, float] = {}
    real_scrape_site = scraping.scrape_site

    async def scrape_site_noting_first_read(kwargs, **options):  # the child's own clock of its first page
        scrape = await real_scrape_site(kwargs, **options)
        first_reads[scrape.site] = (scrape.seen.first_page_read_at or time.time()) - started_wall
        return scrape

    scraping.scrape_site = scrape_site_noting_first_read
    async for event in runner.run_search(search_id):
        if event.jobs_added and event.site is not None:
            first_row = first_row or time.perf_counter() - started
            site_first_rows.setdefault(event.site, time.perf_counter() - started)
        if event.outcome is not None and event.outcome.state == SiteState.DONE:
            fastest = min(fastest, (event.outcome.elapsed_ms or 0) / 1000)
    total = time.perf_counter() - started
    scraping.scrape_site = real_scrape_site
    with read_session() as session:
        stored = jobs.count_search_jobs(session=session, search_id=search_id)
    # Each cross-posted job (the replay catalogue has a few) is stored once for two sites.
    assert results * len(SITES) - len(CROSS_POSTINGS) <= stored <= results * len(SITES), f"app run stored {stored} jobs"
    assert first_row is not None
    return total, first_row, fastest, {site: (site_first_rows[site], first_reads[site]) for site in SITES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results", type=int, default=100)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="bench-search-")
    os.environ["DATA_DIR"] = data_dir
    if args.database == "postgresql":
        os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    proxy, url, ca_cert = start_proxy()
    os.environ.update(JOBSPY_PROXIES=url, JOBSPY_CA_CERT=ca_cert, JOBSPY_SITE_TIMEOUT_SECONDS="600")
    try:
        from jobspy_web.cli import migrate
        from jobspy_web.search import scraping

        migrate()
        scraping._context.set_forkserver_preload(["jobspy", "pandas", "jobspy_web.search.scraping", "bench.fixed_delays"])
        scraping.warm_up()
        raw_times, app_times, first_rows, fastest_sites = [], [], [], []
        first_pages: dict[str, list[float]] = {site: [] for site in SITES}
        site_rows: dict[str, list[float]] = {site: [] for site in SITES}
        site_reads: dict[str, list[float]] = {site: [] for site in SITES}
        for round_number in range(1, args.rounds + 1):
            raw_times.append(raw_run(url, ca_cert, args.results))
            for site in SITES:
                first_pages[site].append(raw_first_page(url, ca_cert, site, args.results))
            total, first_row, fastest, site_first_rows = asyncio.run(app_run(args.results))
            for site in SITES:
                site_rows[site].append(site_first_rows[site][0])
                site_reads[site].append(site_first_rows[site][1])
            app_times.append(total)
            first_rows.append(first_row)
            fastest_sites.append(fastest)
            print(
                f"round {round_number}: raw {raw_times[-1]:.2f} s, app {total:.2f} s, "
                f"first row {first_row:.2f} s (fastest site {fastest:.2f} s)"
            )
    finally:
        proxy.terminate()
        proxy.wait(10)

    raw, app = statistics.median(raw_times), statistics.median(app_times)
    overhead_ms = statistics.median(f - s for f, s in zip(first_rows, fastest_sites, strict=False)) * 1000
    print(f"\n{len(SITES)} sites x {args.results} results, {args.database}, medians of {args.rounds} rounds")
    print(f"raw scrape_jobs      {raw:8.2f} s")
    print(f"app pipeline         {app:8.2f} s")
    print(f"ratio app/raw        {app / raw:8.3f}   (target <= 1.05)")
    print(f"first stored row     {statistics.median(first_rows):8.2f} s")
    print(f"fastest site alone   {statistics.median(fastest_sites):8.2f} s")
    print(f"first row - fastest  {overhead_ms:8.0f} ms  (target <= 300 ms)")
    print("\nper site, from the search's start: first stored row vs the moment its first page was read")
    print("(in the same run, by the site's child; target: row <= page + 300 ms), and raw JobSpy's first page alone")
    for site in SITES:
        row, read = statistics.median(site_rows[site]), statistics.median(site_reads[site])
        alone = statistics.median(first_pages[site])
        print(
            f"  {site:14} first row {row:6.2f} s   first page read {read:6.2f} s   "
            f"row - page {(row - read) * 1000:6.0f} ms   (raw first page alone {alone:5.2f} s)"
        )


if __name__ == "__main__":
    main()
