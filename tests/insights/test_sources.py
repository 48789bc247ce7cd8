"""The sources of an answer: in parallel, each with its timeout and status; our corpus on
the primary database and on ClickHouse (chdb) giving the same figures."""

import asyncio
import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from jobspy_web.db import primary_engine
from jobspy_web.infra.clickhouse import close_clickhouse, get_clickhouse
from jobspy_web.insights import benchmark, corpus, service
from jobspy_web.insights.query import InsightsQuery
from jobspy_web.settings import reset_process_state
from tests.insights.factories import add_jobs, software_jobs

TODAY = date.today()


class FakeProvider(BaseHTTPRequestHandler):
    """A salary API: /fast answers at once, /slow after 2 s, /broken with a 500."""

    seen: list[dict] = []

    def do_GET(self):
        parts = urlsplit(self.path)
        FakeProvider.seen.append({"path": parts.path, "query": parse_qs(parts.query), "auth": self.headers.get("Authorization")})
        if parts.path == "/slow":
            time.sleep(2)
        if parts.path == "/broken":
            self.send_response(500)
            self.end_headers()
            return
        body = json.dumps({"currency": "USD", "p10": 90000, "p25": 110000, "p50": 130000, "p75": 150000, "p90": 170000, "sample_size": 321})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_args):
        pass


@pytest.fixture
def provider_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeProvider.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _fresh_sync():
    corpus._last_sync = 0.0
    benchmark.reset_metro_index()
    yield
    corpus._last_sync = 0.0


def _answer(**query):
    return asyncio.run(service.salary_insights(service.normalised(InsightsQuery(**query)), today=TODAY))


def test_configured_providers_are_asked_in_parallel_and_a_slow_or_broken_one_only_marks_its_status(db, provider_server, monkeypatch):
    providers = [
        {"name": "glassdoor", "url": f"{provider_server}/fast", "api_key": "gd-key"},
        {"name": "payscale", "url": f"{provider_server}/slow", "api_key": "ps-key"},
        {"name": "salarycom", "url": f"{provider_server}/broken", "api_key": ""},
    ]
    monkeypatch.setenv("SALARY_PROVIDERS", json.dumps(providers))
    monkeypatch.setenv("INSIGHTS_SOURCE_TIMEOUT_SECONDS", "0.5")
    reset_process_state()
    add_jobs(software_jobs(5))
    started = time.perf_counter()
    answer = _answer(title="Software Engineer", location="Austin, TX")
    assert time.perf_counter() - started < 1.5  # the 2 s provider was not waited for
    statuses = {source["name"]: (source["status"], source["detail"]) for source in answer["sources"]}
    assert statuses["corpus"] == ("ok", None) and statuses["bls_oews"][0] == "not_loaded"
    assert statuses["glassdoor"] == ("ok", None)
    assert statuses["payscale"] == ("timeout", "no answer within 0.5 s")
    assert statuses["salarycom"] == ("error", "answered HTTP 500")
    assert answer["providers"] == [
        {"name": "glassdoor", "currency": "USD", "sample_size": 321,
         "yearly": {"p10": 90000, "p25": 110000, "p50": 130000, "p75": 150000, "p90": 170000, "mean": None}},
    ]  # fmt: skip
    fast = next(call for call in FakeProvider.seen if call["path"] == "/fast")
    assert fast["auth"] == "Bearer gd-key" and fast["query"]["soc_code"] == ["15-1252"] and fast["query"]["title"] == ["software engineer"]


def test_no_provider_is_called_when_none_is_configured(db, provider_server):
    add_jobs(software_jobs(5))
    answer = _answer(title="Software Engineer")
    assert [source["name"] for source in answer["sources"]] == ["corpus", "bls_oews"] and FakeProvider.seen == []


def test_a_query_nothing_matches_answers_with_no_data_instead_of_failing(db):
    answer = _answer(title="Chief Happiness Officer")
    assert answer["sample_size"] == 0 and answer["yearly"]["p50"] is None and answer["confidence"] == "low"
    assert {source["name"]: source["status"] for source in answer["sources"]} == {"corpus": "no_data", "bls_oews": "no_match"}


def test_the_window_leaves_out_postings_older_than_its_months(db):
    old = TODAY.replace(year=TODAY.year - 2, day=1)
    add_jobs(software_jobs(5, date_posted=old) + software_jobs(6))
    assert _answer(title="Software Engineer", months=12)["sample_size"] == 6
    corpus._last_sync = 0.0
    assert _answer(title="Software Engineer", months=36)["sample_size"] == 11


@pytest.fixture
def chdb_url(tmp_path, monkeypatch):
    monkeypatch.setenv("CLICKHOUSE_URL", f"chdb://{tmp_path / 'clickhouse'}")
    reset_process_state()
    close_clickhouse()
    yield
    close_clickhouse()


def test_clickhouse_answers_with_the_same_figures_as_the_primary_database(db, chdb_url):
    add_jobs(software_jobs(30, start=90_000, step=2_500, location="Austin, TX", site="linkedin"))
    add_jobs(software_jobs(12, start=150_000, location="Remote", is_remote=True, company="Globex"))
    add_jobs(software_jobs(5, start=60_000, currency="EUR", location="Berlin, Germany"))
    add_jobs([{"title": "Software Engineer", "location": "Austin, TX"}] * 4)  # no pay posted
    clickhouse = get_clickhouse()
    corpus.ensure_clickhouse_tables(clickhouse)
    assert corpus.sync_facts(engine=primary_engine(), metros={}, clickhouse=clickhouse) == 51
    corpus._last_sync = time.monotonic()  # synced: neither answer syncs again
    queries = [{"title": "Software Engineer"}, {"title": "software developer", "location": "Texas"}, {"title": "swe", "remote": True},
               {"title": "Software Engineer", "currency": "EUR", "country": "DE"}]  # fmt: skip
    on_clickhouse = [_answer(**query) for query in queries]
    assert all(answer["sources"][0]["status"] == "ok" for answer in on_clickhouse), [answer["sources"] for answer in on_clickhouse]
    monkeypatch_env = pytest.MonkeyPatch()
    monkeypatch_env.setenv("CLICKHOUSE_URL", "")
    reset_process_state()
    close_clickhouse()
    try:
        on_primary = [_answer(**query) for query in queries]
    finally:
        monkeypatch_env.undo()
    compared = (
        "yearly", "sample_size", "postings", "companies", "share_with_pay", "pay_source", "confidence",
        "breakdowns", "trend", "histogram", "other_currencies",
    )  # fmt: skip
    for clickhouse_answer, primary_answer in zip(on_clickhouse, on_primary, strict=True):
        assert {name: clickhouse_answer[name] for name in compared} == {name: primary_answer[name] for name in compared}
    assert on_primary[0]["sample_size"] == 42 and on_primary[0]["postings"] == 51 - 5 + 5  # EUR ones counted apart
    assert on_primary[1]["sample_size"] == 30 and on_primary[2]["sample_size"] == 12 and on_primary[3]["sample_size"] == 5


def test_a_job_seen_again_refreshes_its_fact_on_clickhouse_too(db, chdb_url):
    from jobspy_web.db import write_session
    from jobspy_web.models import Job
    from jobspy_web.models.base import utcnow

    (job,) = add_jobs(software_jobs(1))
    clickhouse = get_clickhouse()
    corpus.ensure_clickhouse_tables(clickhouse)
    corpus.sync_facts(engine=primary_engine(), metros={}, clickhouse=clickhouse)
    with write_session() as session:
        stored = session.get(Job, job.id)
        stored.yearly_min = stored.yearly_max = 222_000.0
        stored.last_seen_at = utcnow()
    assert corpus.sync_facts(engine=primary_engine(), metros={}, clickhouse=clickhouse) >= 1
    rows = clickhouse.query("SELECT yearly FROM job_salary_facts FINAL WHERE job_id = {id:UUID}", {"id": str(job.id)})
    assert rows == [(222_000.0,)]


def test_a_partial_answer_is_not_cached_and_a_whole_one_is(db, provider_server, monkeypatch):

    monkeypatch.setenv("INSIGHTS_SOURCE_TIMEOUT_SECONDS", "0.5")
    add_jobs(software_jobs(5))
    for path, asked in (("/slow", 2), ("/fast", 1)):
        monkeypatch.setenv("SALARY_PROVIDERS", json.dumps([{"name": "payscale", "url": f"{provider_server}{path}"}]))
        reset_process_state()
        FakeProvider.seen = []
        query = service.normalised(InsightsQuery(title="Software Engineer"))
        first = asyncio.run(service.cached_answer(query))
        second = asyncio.run(service.cached_answer(query))
        assert len(FakeProvider.seen) == asked, path  # the late provider is asked again
        if path == "/fast":
            assert first.etag == second.etag  # the cached answer, byte for byte
