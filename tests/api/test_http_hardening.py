"""Security headers on every answer, CORS closed but for the extension's routes (Bearer,
no credentials), no Host header in redirects, the Origin check comparing schemes, and
client addresses behind trusted proxies only."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobspy_web.api.auth_web import client_ip, same_origin
from jobspy_web.api.errors import EXCEPTION_HANDLERS
from jobspy_web.api.http_hardening import HttpHardening, content_security_policy
from jobspy_web.infra.origins import client_address, origin_of, page_origins
from jobspy_web.settings import get_settings, reset_process_state


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"ip": client_ip(request), "same_origin": same_origin(request)})


def _client(monkeypatch: pytest.MonkeyPatch, **env: str) -> httpx.AsyncClient:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_process_state()
    app = Starlette(
        routes=[
            Route("/api/tracker/jobs", _echo, methods=["GET", "POST"]),
            Route("/pages/", _echo),
            Route("/api/searches", _echo, methods=["GET", "POST"]),
        ]
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=HttpHardening(app)), base_url="http://testserver")


async def test_security_headers_on_every_answer_and_hsts_only_for_https(monkeypatch):
    plain = await _client(monkeypatch).get("/api/searches")
    assert plain.headers["x-frame-options"] == "DENY"
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["referrer-policy"] == "same-origin"
    assert "camera=()" in plain.headers["permissions-policy"]
    assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
    assert "strict-transport-security" not in plain.headers
    secure = await _client(monkeypatch, PUBLIC_URL="https://jobs.example.com").get("/nowhere")  # a 404 too
    assert secure.status_code == 404 and secure.headers["strict-transport-security"].startswith("max-age=31536000")


def test_content_security_policy_allows_only_our_own_and_stripe(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "development")
    policy = content_security_policy(get_settings())
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "https://js.stripe.com" in policy
    assert "*" not in policy.replace("localhost:*", "").replace("127.0.0.1:*", "")


async def test_cors_is_closed_by_default(monkeypatch):
    client = _client(monkeypatch)
    answer = await client.get("/api/searches", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in answer.headers and "access-control-allow-credentials" not in answer.headers
    preflight = await client.options("/api/searches", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(
    "origin", ["chrome-extension://abcdefghijklmnopabcdefghijklmnop", "moz-extension://4b1c2d3e-0000-4a4a-8b8b-123456789abc"]
)
async def test_cors_opens_the_extension_routes_to_extensions_with_bearer_only(monkeypatch, origin: str):
    client = _client(monkeypatch)
    preflight = await client.options("/api/tracker/jobs", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in preflight.headers  # cookies never ride along
    answer = await client.post("/api/tracker/jobs", headers={"Origin": origin, "Authorization": "Bearer x"})
    assert answer.headers["access-control-allow-origin"] == origin and "access-control-allow-credentials" not in answer.headers
    # The same origin gets nothing on other routes.
    other = await client.get("/api/searches", headers={"Origin": origin})
    assert "access-control-allow-origin" not in other.headers


async def test_no_host_header_in_redirects(monkeypatch):
    client = _client(monkeypatch)
    answer = await client.get("/pages", headers={"Host": "evil.example"}, follow_redirects=False)
    assert answer.status_code in (301, 307, 308)
    assert answer.headers["location"] == "/pages/"


async def test_the_origin_check_compares_the_scheme_too(monkeypatch):
    client = _client(monkeypatch, ENVIRONMENT="production", PUBLIC_URL="https://jobs.example.com")
    ours = await client.post("/api/searches", headers={"Origin": "https://jobs.example.com", "Host": "jobs.example.com"})
    assert ours.json()["same_origin"] is True
    downgraded = await client.post("/api/searches", headers={"Origin": "http://jobs.example.com", "Host": "jobs.example.com"})
    assert downgraded.json()["same_origin"] is False
    elsewhere = await client.post("/api/searches", headers={"Origin": "https://jobs.example.com.evil.example"})
    assert elsewhere.json()["same_origin"] is False


async def test_trusted_proxies_setting_decides_whose_forwarded_for_counts(monkeypatch):
    assert client_address("10.0.0.5", "198.51.100.7", []) == "10.0.0.5"  # no proxies trusted: the header is ignored
    assert client_address("10.0.0.5", "198.51.100.7", ["10.0.0.0/8"]) == "198.51.100.7"
    assert client_address("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.9", ["10.0.0.0/8"]) == "198.51.100.7"  # spoofed first hop ignored
    assert client_address("203.0.113.1", "198.51.100.7", ["10.0.0.0/8"]) == "203.0.113.1"  # not from our proxy
    client = _client(monkeypatch, FORWARDED_ALLOW_IPS="127.0.0.1")  # the transport's peer address
    assert (await client.get("/api/searches", headers={"X-Forwarded-For": "198.51.100.7"})).json()["ip"] == "198.51.100.7"
    untrusted = _client(monkeypatch, FORWARDED_ALLOW_IPS="10.0.0.0/8")
    assert (await untrusted.get("/api/searches", headers={"X-Forwarded-For": "198.51.100.7"})).json()["ip"] == "127.0.0.1"


def test_page_origins_are_public_url_and_dev_aliases(monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://Jobs.Example.com:443/")
    monkeypatch.setenv("ENVIRONMENT", "production")
    assert page_origins(get_settings()) == ["https://jobs.example.com"]
    reset_process_state()
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv("PUBLIC_URL", "http://localhost:3000")
    assert {"http://localhost:3000", "http://127.0.0.1:3000"} <= set(page_origins(get_settings()))
    assert origin_of("not a url") == "" and origin_of("http://[::1]:8000/x") == "http://[::1]:8000"


def test_invalid_forwarded_allow_ips_stops_the_app_naming_the_variable(monkeypatch):
    from jobspy_web.settings import SettingsError, load_settings

    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8,not-an-ip")
    with pytest.raises(SettingsError, match="FORWARDED_ALLOW_IPS"):
        load_settings()


async def test_a_body_that_stalls_is_cut_off_by_the_read_timeout(monkeypatch):
    from jobspy_web.api import http_hardening
    from jobspy_web.api.errors import read_body

    monkeypatch.setattr(http_hardening, "BODY_CHUNK_TIMEOUT_S", 0.2)

    async def echo_body(request: Request) -> JSONResponse:
        return JSONResponse({"size": len(await read_body(request))})

    app = HttpHardening(Starlette(routes=[Route("/upload", echo_body, methods=["POST"])], exception_handlers=EXCEPTION_HANDLERS))
    sent: list[dict] = []

    async def receive() -> dict:
        if not sent:
            sent.append({})
            return {"type": "http.request", "body": b'{"half": ', "more_body": True}
        await asyncio.sleep(30)  # the client never sends the rest
        return {"type": "http.disconnect"}

    answers: list[dict] = []

    async def send(message: dict) -> None:
        answers.append(message)

    scope = {"type": "http", "method": "POST", "path": "/upload", "headers": [], "query_string": b"", "root_path": ""}
    started = time.monotonic()
    await app(scope, receive, send)
    assert time.monotonic() - started < 5
    assert answers[0]["status"] == 400
    assert b"INCOMPLETE_BODY" in answers[1]["body"]
