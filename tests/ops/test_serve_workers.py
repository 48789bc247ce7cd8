"""Several web workers, one truth at /metrics: the API under granian with two worker processes
sharing PROMETHEUS_MULTIPROC_DIR answers every scrape with all workers' counts added up; and
what `serve --web-workers N` sets up for that."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from types import SimpleNamespace

import httpx
import pytest
from pg_cluster import free_port
from prometheus_client.parser import text_string_to_metric_families

from jobspy_web.cli import serve_environment

REQUESTS = 60


def test_serve_shares_one_metrics_folder_and_sets_the_web_workers(tmp_path):
    settings = SimpleNamespace(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/7")
    stale = tmp_path / "prometheus" / "counter_123.db"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    environment = serve_environment(settings, 3)
    assert environment == {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path.resolve() / "prometheus"), "GRANIAN_WORKERS": "3"}
    assert not stale.exists()  # a dead process's counts never add up again
    assert "GRANIAN_WORKERS" not in serve_environment(settings, None)


def test_several_web_workers_need_redis():
    with pytest.raises(SystemExit, match="needs REDIS_URL"):
        serve_environment(SimpleNamespace(data_dir=".", redis_url=""), 2)
    with pytest.raises(SystemExit, match="1 or more"):
        serve_environment(SimpleNamespace(data_dir=".", redis_url="redis://x"), 0)


def scraped(text: str, name: str, **labels: str) -> list[float]:
    return [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    ]


def test_two_granian_workers_answer_each_scrape_with_the_sum_of_both(tmp_path):
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--workers", "2", "--host", "127.0.0.1",
         "--port", str(port), "jobspy_web.api.app:build_api"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/metrics", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "granian did not start"
                time.sleep(0.2)
        before = sum(scraped(httpx.get(f"{base}/metrics").text, "jobspy_http_request_duration_seconds_count", route="/pricing-plans"))
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them over both workers
            assert httpx.get(f"{base}/pricing-plans", headers={"Connection": "close"}).status_code == 200
        pids: set[str] = set()
        for _ in range(6):  # whichever worker answers the scrape, it counts all of them
            text = httpx.get(f"{base}/metrics", headers={"Connection": "close"}).text
            counted = sum(scraped(text, "jobspy_http_request_duration_seconds_count", route="/pricing-plans"))
            assert counted - before == REQUESTS
            pids |= {
                sample.labels["pid"]
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == "jobspy_worker_resident_memory_bytes"
            }
        assert len(pids) == 2
    finally:
        server.terminate()
        server.wait(timeout=30)
