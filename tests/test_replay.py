"""JobSpy's real scrapers against the offline replay proxy (tests/replay/).

Searches ask for few enough jobs to need one page where a scraper sleeps
between pages (LinkedIn, ZipRecruiter, Bayt: 2-7 s), except test_paging,
which turns LinkedIn's and ZipRecruiter's sleeps off.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from jobspy import scrape_jobs
from jobspy.linkedin import LinkedIn
from jobspy.ziprecruiter import ZipRecruiter

from tests.replay import CROSS_POSTINGS, UNKNOWN_SITE, ReplayProxy, SiteBehaviour

SITES = ("indeed", "linkedin", "zip_recruiter", "glassdoor", "google", "bayt")
SEARCH_TERM = "python developer"
WANTED = 10
PAID = 8
"""Of the first 10 postings, all but every fifth show pay."""


@pytest.fixture(scope="module")
def proxy() -> Iterator[ReplayProxy]:
    with ReplayProxy() as proxy:
        yield proxy


@pytest.fixture(autouse=True)
def all_sites_ok(proxy: ReplayProxy) -> Iterator[None]:
    proxy.scenario.clear()
    yield
    proxy.scenario.clear()


@pytest.fixture(scope="module")
def every_site(proxy: ReplayProxy) -> pd.DataFrame:
    """One search of all sites at once, as the app runs it."""
    return search(proxy, SITES)


def search(proxy: ReplayProxy, sites: tuple[str, ...], results_wanted: int = WANTED, **options: object) -> pd.DataFrame:
    return scrape_jobs(
        site_name=list(sites),
        search_term=SEARCH_TERM,
        location="Austin, TX",
        results_wanted=results_wanted,
        proxies=[proxy.url],
        ca_cert=proxy.ca_cert_path,
        verbose=0,
        **options,
    )


def via_proxy(proxy: ReplayProxy) -> dict[str, Any]:
    """requests' options for one raw request through the proxy."""
    return {"proxies": {"http": proxy.url, "https": proxy.url}, "verify": proxy.ca_cert_path}


@pytest.mark.parametrize("site", SITES)
def test_each_site_returns_the_jobs_asked_for(proxy: ReplayProxy, every_site: pd.DataFrame, site: str) -> None:
    jobs = every_site[every_site["site"] == site]

    assert site not in every_site.attrs["errors"]
    assert len(jobs) == WANTED
    assert jobs["title"].str.contains("Python Developer").all()
    assert jobs["company"].notna().all()
    assert jobs["location"].str.contains(", ").all()
    assert jobs["date_posted"].notna().all()
    assert jobs["job_url"].is_unique
    assert any(seen.site == site for seen in proxy.requests_seen)


@pytest.mark.parametrize("site", ["indeed", "zip_recruiter", "glassdoor"])
def test_sites_with_pay_in_results_fill_in_salaries(every_site: pd.DataFrame, site: str) -> None:
    jobs = every_site[every_site["site"] == site]
    paid = jobs[jobs["min_amount"].notna()]

    assert len(paid) == PAID
    assert (paid["max_amount"] >= paid["min_amount"]).all()
    assert set(paid["interval"]) <= {"hourly", "monthly", "yearly"}
    assert set(paid["currency"]) <= {"USD", "CAD"}
    assert jobs["job_type"].notna().all()


def test_bayt_shows_only_monthly_pay(every_site: pd.DataFrame) -> None:
    paid = every_site[(every_site["site"] == "bayt") & every_site["min_amount"].notna()]

    assert len(paid) > 0
    assert set(paid["interval"]) == {"monthly"}


def test_google_has_descriptions_but_no_pay(every_site: pd.DataFrame) -> None:
    jobs = every_site[every_site["site"] == "google"]

    assert jobs["description"].str.contains("Build and run services").all()
    assert jobs["min_amount"].isna().all()


def test_job_pages_add_descriptions_and_linkedin_pay(proxy: ReplayProxy) -> None:
    jobs = search(proxy, ("linkedin", "zip_recruiter", "glassdoor"), fetch_description=True)

    assert jobs.attrs["errors"] == {}
    assert len(jobs) == 3 * WANTED
    assert jobs["description"].str.contains("Build and run services").all()
    assert jobs["emails"].str.endswith(".example").all()
    linkedin = jobs[jobs["site"] == "linkedin"]
    assert linkedin["min_amount"].notna().sum() == PAID
    assert linkedin["job_type"].notna().all()
    assert linkedin["job_level"].notna().all()


def test_cross_posted_jobs_share_title_company_and_city(every_site: pd.DataFrame) -> None:
    for posting in CROSS_POSTINGS:
        copies = every_site[every_site["company"] == posting.company]

        assert set(copies["site"]) == set(posting.sites)
        assert len(copies) == 2
        assert copies["title"].nunique() == 1
        assert copies["location"].str.startswith(f"{posting.city}, TX").all()
        assert copies["job_url"].is_unique


def test_searches_are_deterministic(proxy: ReplayProxy) -> None:
    first, second = (search(proxy, ("indeed", "glassdoor")) for _ in range(2))

    pd.testing.assert_frame_equal(first, second)


@pytest.fixture
def no_sleep_between_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """LinkedIn and ZipRecruiter wait 3-7 s before each further page, as JobSpy
    should with the real sites; a paging test needn't."""
    monkeypatch.setattr(LinkedIn, "delay", (0, 0))
    monkeypatch.setattr(ZipRecruiter, "delay", (0, 0))


@pytest.mark.usefixtures("no_sleep_between_pages")
@pytest.mark.parametrize(
    ("site", "results_wanted", "search_requests"),
    [
        ("indeed", 100, 1),
        ("glassdoor", 100, 1),
        ("linkedin", 100, 10),
        ("zip_recruiter", 100, 5),
        ("indeed", 250, 3),
        ("glassdoor", 250, 3),
        ("google", 25, 3),
    ],
)
def test_paging(proxy: ReplayProxy, site: str, results_wanted: int, search_requests: int) -> None:
    seen_before = len(proxy.requests_seen)
    jobs = search(proxy, (site,), results_wanted)
    seen = proxy.requests_seen[seen_before:]

    assert len(jobs) == results_wanted
    assert jobs["job_url"].is_unique
    # all but Glassdoor's location lookup are search pages
    searches = [s for s in seen if s.site == site and s.path != "/autocomplete/location"]
    assert len(searches) == search_requests


def test_paging_stops_at_the_sites_last_job(proxy: ReplayProxy) -> None:
    proxy.scenario.update(indeed=SiteBehaviour(jobs=15), glassdoor=SiteBehaviour(jobs=15))

    jobs = search(proxy, ("indeed", "glassdoor"), results_wanted=50)

    assert jobs.attrs["errors"] == {}
    assert jobs.groupby("site").size().to_dict() == {"glassdoor": 15, "indeed": 15}


@pytest.mark.parametrize("site", SITES[:5])
def test_an_error_status_fails_only_that_site(proxy: ReplayProxy, site: str) -> None:
    other = "glassdoor" if site == "indeed" else "indeed"
    proxy.scenario[site] = SiteBehaviour("status", status=429)

    jobs = search(proxy, (site, other))

    assert "429" in jobs.attrs["errors"][site]
    assert other not in jobs.attrs["errors"]
    assert set(jobs["site"]) == {other}
    assert len(jobs) == WANTED


def test_the_scenario_can_change_between_searches(proxy: ReplayProxy) -> None:
    proxy.scenario["linkedin"] = SiteBehaviour("status", status=403)
    blocked = search(proxy, ("linkedin",))
    proxy.scenario["linkedin"].mode = "ok"
    unblocked = search(proxy, ("linkedin",))

    assert "403" in blocked.attrs["errors"]["linkedin"]
    assert len(blocked) == 0
    assert unblocked.attrs["errors"] == {}
    assert len(unblocked) == WANTED


# Bayt left out: JobSpy reads a Bayt page without job cards as the end of the results
@pytest.mark.parametrize("site", SITES[:5])
def test_a_malformed_answer_is_an_error_entry(proxy: ReplayProxy, site: str) -> None:
    proxy.scenario[site] = SiteBehaviour("malformed")

    jobs = search(proxy, (site,))

    assert jobs.attrs["errors"][site]
    assert len(jobs) == 0


@pytest.mark.parametrize("site", SITES)
def test_an_empty_site_returns_no_jobs(proxy: ReplayProxy, site: str) -> None:
    proxy.scenario[site] = SiteBehaviour("empty")

    jobs = search(proxy, (site,))

    assert len(jobs) == 0
    # JobSpy can't tell Google's page without jobs from a page it can't read
    expected = {"google": "no job data returned"} if site == "google" else {}
    assert jobs.attrs["errors"] == expected


def test_a_hung_site_never_answers_while_others_do(proxy: ReplayProxy) -> None:
    proxy.scenario["indeed"] = SiteBehaviour("hang")
    query = {"query": 'jobSearch(what: "python developer", limit: 1)'}

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post("https://apis.indeed.com/graphql", json=query, timeout=1, **via_proxy(proxy))
    answer = requests.get("https://www.google.com/search?q=python+jobs", timeout=5, **via_proxy(proxy))

    assert answer.status_code == 200
    assert ("indeed", "POST", "/graphql") in proxy.requests_seen


def test_a_delay_slows_only_that_site(proxy: ReplayProxy) -> None:
    proxy.scenario["indeed"] = SiteBehaviour(delay=1.0)

    started = time.monotonic()
    indeed = search(proxy, ("indeed",))
    indeed_seconds = time.monotonic() - started
    started = time.monotonic()
    search(proxy, ("glassdoor",))
    glassdoor_seconds = time.monotonic() - started

    assert len(indeed) == WANTED
    assert indeed_seconds >= 1.0
    assert glassdoor_seconds < 0.8


def test_unknown_hosts_get_502_and_nothing_leaves(proxy: ReplayProxy) -> None:
    with pytest.raises(requests.exceptions.ProxyError, match="502"):
        requests.get("https://example.org/", timeout=5, **via_proxy(proxy))
    plain_http = requests.get("http://example.org/", timeout=5, **via_proxy(proxy))

    assert plain_http.status_code == 502
    assert (UNKNOWN_SITE, "CONNECT", "example.org:443") in proxy.requests_seen
    assert (UNKNOWN_SITE, "GET", "http://example.org/") in proxy.requests_seen


def test_command_line_runs_the_proxy_in_the_foreground() -> None:
    command = [
        sys.executable,
        "-m",
        "tests.replay",
        "--port",
        "0",
        "--mode",
        "indeed=status",
        "--status",
        "indeed=503",
    ]
    project = Path(__file__).resolve().parents[1]
    with subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            proxy_url = process.stdout.readline().removeprefix("proxy: ").strip()
            ca_cert = process.stdout.readline().removeprefix("ca_cert: ").strip()
            answer = requests.post(
                "https://apis.indeed.com/graphql",
                json={"query": ""},
                proxies={"https": proxy_url},
                verify=ca_cert,
                timeout=5,
            )
        finally:
            process.terminate()

    assert answer.status_code == 503
    assert process.returncode == 0
