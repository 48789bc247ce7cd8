"""The OpenAPI 3.1 document, the docs page, and schemathesis over the live app
(granian, PostgreSQL, Redis DB 4): no 5xx, every answer as documented."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import schemathesis
from db_helpers import temporary_postgres_database, upgrade_to_head
from hypothesis import HealthCheck, settings
from redis_helpers import redis_test_url
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Mount, Route

from jobspy_web.api.app import all_routes, build_api
from jobspy_web.api.openapi import openapi_document
from tests.api.test_premium_api import KEY_PEM

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = redis_test_url(4)
# The list of public JSON routes, each with its method.
PUBLIC = {
    ("post", "/licenses/validate"), ("post", "/licenses/activate"), ("post", "/licenses/deactivate"),
    ("get", "/licenses/public-key"), ("post", "/auth/token"), ("get", "/.well-known/jwks.json"), ("get", "/auth/me"),
    ("post", "/api/searches"), ("get", "/api/searches"), ("get", "/api/searches/{search_id}"),
    ("get", "/api/searches/{search_id}/jobs"), ("post", "/api/searches/{search_id}/cancel"),
    ("get", "/premium/salary-insights"), ("get", "/pricing-plans"), ("get", "/api/boards/health"), ("post", "/webhooks/stripe"),
}  # fmt: skip
# Every route all_routes() serves that is not a public JSON route, and why. A new route
# must land in the document or here: test_every_served_route_is_documented_or_named_here.
NOT_PUBLIC_JSON = {
    ("post", "/auth/signup"): "browser form: redirects (303)", ("post", "/auth/login"): "browser form: redirects (303)",
    ("post", "/auth/logout"): "browser form: redirects (303)", ("post", "/auth/forgot"): "browser form: redirects (303)",
    ("post", "/auth/reset"): "browser form: redirects (303)", ("get", "/auth/verify"): "the email's link: redirects",
    ("get", "/auth/oauth/{provider}/start"): "redirect to the provider",
    ("get", "/auth/oauth/{provider}/callback"): "the provider's redirect back",
    ("get", "/api/alerts/unsubscribe/{token}"): "the digest's link: an HTML page",
    ("get", "/openapi.json"): "this document", ("get", "/docs"): "the docs page (HTML)", ("get", "/docs/init.js"): "the docs page's script",
    ("mount", "/docs/assets"): "the docs page's static files",
    ("get", "/desktop/start"): "the desktop launcher's redirect (desktop mode only)",
    ("get", "/metrics"): "Prometheus text format",
}  # fmt: skip


def _served() -> set[tuple[str, str]]:
    served = set()
    for route in all_routes():
        if isinstance(route, Mount):
            served.add(("mount", route.path))
        else:
            assert isinstance(route, Route), route
            served |= {(method.lower(), route.path) for method in route.methods or () if method != "HEAD"}
    return served


def test_every_served_route_is_documented_or_named_here():
    documented = {(method, path) for path, operations in openapi_document()["paths"].items() for method in operations}
    served = _served()
    missing = served - documented - NOT_PUBLIC_JSON.keys()
    assert not missing, f"document these in api/openapi.py (or say in NOT_PUBLIC_JSON why not): {sorted(missing)}"
    assert not documented & NOT_PUBLIC_JSON.keys()
    assert NOT_PUBLIC_JSON.keys() <= served, NOT_PUBLIC_JSON.keys() - served  # no stale names


def test_the_document_covers_every_public_json_route_and_each_exists():
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert documented >= PUBLIC
    served = {(method.lower(), route.path) for route in all_routes() for method in (getattr(route, "methods", None) or ())}
    assert documented <= served, documented - served


def test_the_premium_parameters_are_the_ones_the_route_reads():
    operation = openapi_document()["paths"]["/premium/salary-insights"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert set(parameters) == {"title", "location", "country", "job_type", "remote", "currency", "months"}
    assert parameters["title"]["required"] and parameters["months"]["schema"]["maximum"] == 36
    assert operation["security"] == [{"bearer": []}]


async def test_docs_are_served_from_our_own_assets(data_dir):
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/docs")
        assert page.status_code == 200 and "swagger-ui" in page.text
        assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # nothing from a CDN
        for asset in re.findall(r"(?:src|href)=\"(/[^\"]+)\"", page.text):
            found = await client.get(asset)
            assert found.status_code == 200 and found.content, asset
        document = await client.get("/openapi.json")
        assert document.json()["paths"].keys() == openapi_document()["paths"].keys()


# --- schemathesis over the live app -----------------------------------------------------

# Every operation, POST /api/searches included: the live app's searches stop at the queue
# (tests/api/live_api.py), so a valid one starts no scrape.
schema = schemathesis.openapi.from_dict(openapi_document())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """granian serving build_api() on a database of its own (PostgreSQL) and Redis DB 4;
    yields (base URL, a Team user's bearer header)."""
    import redis

    data_dir = tmp_path_factory.mktemp("live")
    with temporary_postgres_database("jobspy_schemathesis") as url:
        upgrade_to_head(url)
        redis.Redis.from_url(REDIS_URL).flushdb()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "DATA_DIR": str(data_dir), "JWT_PRIVATE_KEY": KEY_PEM,
               "STRIPE_WEBHOOK_SECRET": "whsec_" + "s" * 32, "PYTHONPATH": str(REPO)}  # fmt: skip
        token = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", _MAKE_TOKEN], env=env, cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        port = _free_port()
        command = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "tests.api.live_api:build_api_without_scrapes",
                   "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning"]  # fmt: skip
        server = subprocess.Popen(command, env=env, cwd=REPO)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, "the live app did not start"
                time.sleep(0.2)
            yield base, {"Authorization": f"Bearer {token}"}
        finally:
            server.terminate()
            server.wait(timeout=30)
            redis.Redis.from_url(REDIS_URL).flushdb()


_MAKE_TOKEN = """
from jobspy_web.accounts import jwt_tokens
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.models import User
from jobspy_web.models.user import Role
with write_session() as session:
    user = User(email="schemathesis@example.com", role=Role.TEAM)
    session.add(user)
print(jwt_tokens.issue_access_token(user=user, tier=Tier.TEAM).token)
"""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_documented_answer_matches_its_schema_and_none_is_a_5xx(case, live_app):
    base, auth = live_app
    headers = {**auth, **(case.headers or {})} if case.operation.definition.raw.get("security") else case.headers
    case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)


def test_a_valid_search_on_the_live_app_is_queued_and_never_scraped(live_app):
    # What lets schemathesis fuzz POST /api/searches: a valid one is answered 202 and stays queued.
    base, auth = live_app
    started = httpx.post(f"{base}/api/searches", json={"search_term": "nurse", "site_name": ["indeed"]}, headers=auth, timeout=30)
    assert started.status_code == 202, started.text
    time.sleep(1)
    shown = httpx.get(f"{base}/api/searches/{started.json()['id']}", headers=auth, timeout=30)
    assert shown.status_code == 200 and shown.json()["status"] == "queued"
