"""Structured logs: JSON lines with the request id (the client's or a new one) and the user id
on every line of a request, library loggers (granian's, Reflex's) through the same pipeline,
secrets redacted, a readable console in development."""

from __future__ import annotations

import io
import json
import logging
import uuid

import httpx
import pytest
import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jobspy_web.api.observability import ObservabilityMiddleware
from jobspy_web.infra import logging as app_logging


@pytest.fixture
def log_lines():
    """JSON output captured; the app's logging configured back as it was afterwards."""
    stream = io.StringIO()
    app_logging.configure(json_output=True, level="INFO", stream=stream)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    app_logging._configured_as = None
    app_logging.configure(json_output=False, level="INFO", stream=io.StringIO())
    app_logging._configured_as = None


async def noisy_route(request: Request) -> PlainTextResponse:
    app_logging.bind_user(uuid.UUID(int=7))
    structlog.get_logger("jobspy_web.test").info("handling", path=request.url.path)
    logging.getLogger("_granian").warning("a library line during the request")
    return PlainTextResponse("ok")


def tiny_app() -> Starlette:
    return Starlette(routes=[Route("/noisy", noisy_route)], middleware=[Middleware(ObservabilityMiddleware)])


async def call(headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tiny_app()), base_url="http://testserver") as client:
        return await client.get("/noisy", headers=headers or {})


async def test_every_line_of_a_request_carries_its_request_id_and_user(log_lines):
    answer = await call({"X-Request-ID": "req-42"})
    assert answer.headers["x-request-id"] == "req-42"
    during = [line for line in log_lines() if line.get("request_id") == "req-42"]
    assert {line["event"] for line in during} == {"handling", "a library line during the request"}
    assert all(line["user_id"] == str(uuid.UUID(int=7)) for line in during)
    ours = next(line for line in during if line["event"] == "handling")
    assert ours["level"] == "info" and ours["logger"] == "jobspy_web.test" and ours["path"] == "/noisy"
    assert ours["timestamp"].endswith("Z")
    granian = next(line for line in during if line["logger"] == "_granian")
    assert granian["level"] == "warning"


async def test_a_request_without_an_id_gets_a_fresh_one_and_the_next_request_another(log_lines):
    first, second = await call(), await call()
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2
    logged = {line["request_id"] for line in log_lines() if "request_id" in line}
    assert logged == ids
    # After the request the context is clean: a line outside any request has no id.
    structlog.get_logger().info("between requests")
    assert "request_id" not in log_lines()[-1] and "user_id" not in log_lines()[-1]


def test_secrets_are_redacted_in_fields_and_messages(log_lines):
    structlog.get_logger().info("login", password="hunter2", authorization="Bearer abcdefghijk12345")
    logging.getLogger("reflex").info("cookie header Cookie: jobspy_session=abcdef123456")
    text = json.dumps(log_lines())
    assert "hunter2" not in text and "abcdefghijk12345" not in text and "abcdef123456" not in text
    assert "[redacted]" in text


def test_library_handlers_are_replaced_so_their_lines_reach_ours(log_lines):
    granian = logging.getLogger("granian.access")
    stray = io.StringIO()
    granian.addHandler(logging.StreamHandler(stray))
    granian.propagate = False
    app_logging._configured_as = None
    stream = io.StringIO()
    app_logging.configure(json_output=True, level="INFO", stream=stream)
    granian.info("GET / 200")
    assert stray.getvalue() == ""
    assert json.loads(stream.getvalue().splitlines()[-1])["event"] == "GET / 200"


def test_development_console_output_is_for_people_not_json():
    stream = io.StringIO()
    app_logging.configure(json_output=False, level="INFO", stream=stream)
    try:
        structlog.get_logger("jobspy_web.dev").info("started", port=3000)
        line = stream.getvalue().splitlines()[-1]
        assert "started" in line and "port=3000" in line
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
    finally:
        app_logging._configured_as = None


def test_production_chooses_json_from_the_environment(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    stream = io.StringIO()
    app_logging._configured_as = None
    app_logging.configure(stream=stream)
    try:
        logging.getLogger("jobspy_web.prod").info("ready")
        assert json.loads(stream.getvalue().splitlines()[-1])["event"] == "ready"
    finally:
        app_logging._configured_as = None
