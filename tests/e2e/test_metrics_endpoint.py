"""/metrics on the production app the e2e suite drives (several Reflex workers on Redis): after
the suite's traffic it exposes the named series, all workers' counts added up, each request's
route by its template; a page and an API answer carry their request id."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import AppServer


def samples(text: str) -> list:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def test_metrics_expose_the_named_series_for_every_worker(app_server: AppServer):
    page = httpx.get(f"{app_server.url}/pricing", headers={"X-Request-ID": "e2e-page-1"}, follow_redirects=True)
    assert page.headers["x-request-id"] == "e2e-page-1"
    refused = httpx.post(f"{app_server.url}/licenses/validate", json={"license_key": "nope"})
    assert refused.status_code == 422 and len(refused.headers["x-request-id"]) == 32
    answer = httpx.get(f"{app_server.url}/metrics")
    assert answer.status_code == 200
    found = samples(answer.text)
    names = {sample.name for sample in found}
    for name in (
        "jobspy_http_request_duration_seconds_count",
        "jobspy_users",
        "jobspy_scrape_source_up",
        "jobspy_dependency_up",
        "jobspy_queue_depth",
        "jobspy_host_memory_used_ratio",
        "jobspy_worker_resident_memory_bytes",
    ):
        assert name in names, name
    routes = {sample.labels["route"] for sample in found if sample.name == "jobspy_http_request_duration_seconds_count"}
    assert "/licenses/validate" in routes and "/health" in routes
    assert not any(route.count("-") >= 4 for route in routes)  # templates, never a search's id
    up = {sample.labels["name"]: sample.value for sample in found if sample.name == "jobspy_dependency_up"}
    assert up["database"] == 1 and up["redis"] == 1
    assert next(sample.value for sample in found if sample.name == "jobspy_users") >= 1  # the operator made by the CLI
    sources = {sample.labels["source"]: sample.value for sample in found if sample.name == "jobspy_scrape_source_up"}
    assert sources == {"host": 1, "business": 1, "boards": 1, "dependencies": 1, "queue": 1}
    # One memory series per web worker that has answered: the scrape reads them all.
    assert len({sample.labels["pid"] for sample in found if sample.name == "jobspy_worker_resident_memory_bytes"}) >= 1
