"""/metrics: the named series after real requests, route templates (not ids), validations by
code and cache, 429s, business figures from the database, multiprocess sums, and who may scrape."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest
import redis
from db_helpers import close_loop_connections
from prometheus_client.parser import text_string_to_metric_families
from redis_helpers import redis_test_url

from jobspy_web.api.app import build_api
from jobspy_web.db import write_session
from jobspy_web.infra import metrics
from jobspy_web.licensing import licenses
from jobspy_web.models import Subscription, User
from jobspy_web.settings import reset_process_state

REDIS_TEST_URL = redis_test_url(7)  # operations' DB
HERE = "c" * 64


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, series: str, /, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there is none)."""
    wanted = set(labels.items())
    return sum(v for (sample_name, sample_labels), v in samples(text).items() if sample_name == series and wanted <= sample_labels)


def api_client(ip: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api(), client=(ip, 40000)), base_url="http://testserver")


@pytest.fixture
async def api(db, monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    monkeypatch.setenv("LICENSE_LIMIT_PER_KEY", "3/minute")
    reset_process_state()
    async with api_client() as client:
        yield client
    await close_loop_connections()


async def scrape(client: httpx.AsyncClient) -> str:
    answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


def issue_key() -> str:
    with write_session() as session:
        issued = licenses.issue_license(session=session, license_type="pro", pending_email="buyer@example.com")
    assert issued.key is not None
    return issued.key


async def test_requests_are_timed_by_route_template_and_status(api):
    before = await scrape(api)
    search_id = uuid.uuid4()
    await api.get(f"/api/searches/{search_id}")  # 401: no token
    after = await scrape(api)
    template = "/api/searches/{search_id}"
    counted = value(after, "jobspy_http_request_duration_seconds_count", route=template, method="GET", status="401")
    assert counted - value(before, "jobspy_http_request_duration_seconds_count", route=template, method="GET", status="401") == 1
    assert str(search_id) not in after  # one series per route, never per id


async def test_validations_are_counted_by_code_and_cache_hit_or_miss_and_429s_by_route(api):
    key = issue_key()
    before = await scrape(api)
    body = {"license_key": key, "hardware_fp": HERE, "app_version": "1.0.0"}
    statuses = [(await api.post("/licenses/validate", json=body)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # LICENSE_LIMIT_PER_KEY=3/minute
    unknown = {"license_key": licenses.keys.generate_key(), "hardware_fp": HERE, "app_version": "1.0.0"}
    assert (await api.post("/licenses/validate", json=unknown)).status_code == 200
    after = await scrape(api)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("jobspy_license_validations_total", code="VALID", cache="miss") == 1
    assert grew("jobspy_license_validations_total", code="VALID", cache="hit") == 2
    assert grew("jobspy_license_validations_total", code="NOT_FOUND", cache="miss") == 1
    assert grew("jobspy_rate_limit_refusals_total", route="/licenses/validate") == 1


async def test_business_figures_are_read_from_the_database_at_scrape_time(api):
    with write_session() as session:
        people = [User(email=f"p{n}@example.com", password_hash="x") for n in range(3)]
        session.add_all(people)
        session.flush()
        for n, plan_id in enumerate(["pro_monthly", "pro_monthly", "pro_yearly"]):
            session.add(Subscription(user_id=people[n].id, stripe_subscription_id=f"sub_{n}", plan_id=plan_id, status="active"))
        session.add(Subscription(user_id=people[0].id, stripe_subscription_id="sub_old", plan_id="team_monthly", status="canceled"))
    issue_key()
    text = await scrape(api)
    assert value(text, "jobspy_users") == 3
    assert value(text, "jobspy_active_subscriptions", plan="pro_monthly") == 2
    assert value(text, "jobspy_active_subscriptions", plan="team_monthly") == 0
    assert value(text, "jobspy_licenses", status="active") == 1
    # 2 x $12 a month + $120 a year / 12
    assert value(text, "jobspy_mrr_dollars", currency="usd") == pytest.approx(34.0)
    assert value(text, "jobspy_dependency_up", name="database") == 1
    assert value(text, "jobspy_dependency_up", name="redis") == 1
    assert value(text, "jobspy_queue_depth", queue="jobspy") == 0
    assert value(text, "jobspy_scrape_source_up", source="business") == 1
    assert value(text, "jobspy_host_memory_used_ratio") > 0


async def test_a_scrape_from_elsewhere_needs_the_metrics_token(api, monkeypatch):
    async with api_client("203.0.113.9") as outside:
        refused = await outside.get("/metrics")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "FORBIDDEN"
        monkeypatch.setenv("METRICS_TOKEN", "scrape-secret-1")
        reset_process_state()
        assert (await outside.get("/metrics")).status_code == 403
        assert (await outside.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 403
        allowed = await outside.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"})
        assert allowed.status_code == 200
        assert "jobspy_http_request_duration_seconds" in allowed.text
    # With a token set, the loopback needs it too.
    assert (await api.get("/metrics")).status_code == 403


async def test_every_response_carries_its_request_id(api):
    answer = await api.get("/pricing-plans", headers={"X-Request-ID": "abc-123"})
    assert answer.headers["x-request-id"] == "abc-123"
    made = (await api.get("/pricing-plans", headers={"X-Request-ID": "no spaces\nor newlines"})).headers["x-request-id"]
    assert len(made) == 32 and made.isalnum()


def test_all_workers_counts_add_up_in_multiprocess_mode(tmp_path):
    # Two processes count into PROMETHEUS_MULTIPROC_DIR; a third renders the sum.
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from jobspy_web.infra import metrics; metrics.count_mail('sent'); metrics.observe_request('/x', 'GET', 200, 0.01)"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=environment, check=True)
    rendered = subprocess.run(
        [sys.executable, "-c", "import sys; from jobspy_web.infra import metrics; sys.stdout.write(metrics.render().decode())"],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert value(rendered, "jobspy_mails_total", outcome="sent") == 2
    assert value(rendered, "jobspy_http_request_duration_seconds_count", route="/x") == 2
    assert len({labels for (name, labels) in samples(rendered) if name == "jobspy_worker_resident_memory_bytes"}) == 3  # one per pid
    assert value(rendered, "jobspy_host_memory_used_ratio") > 0


def test_every_name_in_names_is_exported():
    metrics.count_mail("sent")
    exported = {name for name, _labels in samples(metrics.render().decode())}
    # Counters and histograms appear once touched; scrape-time series when their source has rows.
    touched_or_scraped = metrics.NAMES - set(metrics.SCRAPED) - {"jobspy_scrape_source_up"}
    declared = {family.name for family in text_string_to_metric_families(metrics.render().decode())}
    for name in touched_or_scraped:
        base = name.removesuffix("_total").removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
        assert base in declared or name in exported, name
