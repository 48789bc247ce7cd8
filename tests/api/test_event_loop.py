"""Nothing an async route does blocks the event loop: hashing, mail and database calls run
in worker threads, so a slow one never stalls another request.

httpx's ASGITransport runs every request in the test's one event loop: if a route made a
0.5 s call on the loop, a /health sent meanwhile could only finish after it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobspy_web.accounts import jwt_tokens, users
from jobspy_web.api import health
from jobspy_web.api.app import build_api
from jobspy_web.core.tiers import Tier
from jobspy_web.db import primary_engine, write_session
from jobspy_web.infra import mail
from jobspy_web.models import User
from jobspy_web.search import runner
from jobspy_web.settings import reset_process_state

SLOW_S = 0.5
PASSWORD = "correct horse battery"


def slowed(real: Callable[..., Any]) -> Callable[..., Any]:
    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(SLOW_S)  # blocking, as Argon2, SMTP and a busy database are
        return real(*args, **kwargs)

    return slow


async def finish_times(client: httpx.AsyncClient, slow_request: Awaitable[httpx.Response]) -> tuple[float, float]:
    """When the slow request and a /health sent while it works finished, in seconds."""
    started = time.perf_counter()

    async def slow() -> float:
        response = await slow_request
        assert response.status_code < 500, response.text
        return time.perf_counter() - started

    async def health_meanwhile() -> float:
        await asyncio.sleep(0.05)  # the slow request is inside its slow call by now
        assert (await client.get("/health")).status_code == 200
        return time.perf_counter() - started

    slow_done, health_done = await asyncio.gather(slow(), health_meanwhile())
    return slow_done, health_done


def assert_not_stalled(slow_done: float, health_done: float) -> None:
    assert slow_done >= SLOW_S  # the slow call did run
    assert health_done < slow_done and health_done < SLOW_S, (health_done, slow_done)


@pytest.fixture
def web(db: str) -> httpx.AsyncClient:
    reset_process_state()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")


def make_user(email: str = "ada@example.com") -> User:
    with write_session() as session:
        user = users.sign_up(session=session, email=email, password=PASSWORD)
    return user


async def test_the_measure_catches_a_route_that_blocks_the_loop():
    async def blocking(_request: Any) -> JSONResponse:
        time.sleep(SLOW_S)
        return JSONResponse({})

    async def free(_request: Any) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(routes=[Route("/blocking", blocking), Route("/health", free)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        slow_done, health_done = await finish_times(client, client.get("/blocking"))
    assert health_done >= slow_done  # /health had to wait: this is what the tests below rule out


async def test_argon2_hashing_at_sign_up_does_not_stall_other_requests(web, monkeypatch):
    monkeypatch.setattr(users, "hash_password", slowed(users.hash_password))
    request = web.post("/auth/signup", data={"email": "ada@example.com", "password": PASSWORD})
    assert_not_stalled(*await finish_times(web, request))


async def test_checking_a_password_at_sign_in_does_not_stall_other_requests(web, monkeypatch):
    make_user()
    monkeypatch.setattr(users, "verify_password", slowed(users.verify_password))
    request = web.post("/auth/login", data={"email": "ada@example.com", "password": PASSWORD})
    assert_not_stalled(*await finish_times(web, request))


async def test_a_slow_mail_server_does_not_stall_other_requests(web, monkeypatch):
    make_user()
    monkeypatch.setattr(mail, "send_mail", slowed(mail.send_mail))
    request = web.post("/auth/forgot", data={"email": "ada@example.com"})
    assert_not_stalled(*await finish_times(web, request))


@pytest.mark.parametrize(
    ("slowed_name", "method", "path"),
    [("recent_searches", "GET", "/api/searches"), ("create_search", "POST", "/api/searches")],
)
async def test_a_slow_database_behind_the_search_api_does_not_stall_other_requests(web, db, monkeypatch, slowed_name, method, path):
    user = make_user()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.FREE).token
    if slowed_name == "recent_searches" and db.startswith("postgresql"):
        # Read on the event loop over asyncpg (search.polls): the database itself is slow,
        # holding the searches table locked for SLOW_S.
        holder = primary_engine().connect()
        locked = holder.begin()
        holder.execute(text("LOCK TABLE searches IN ACCESS EXCLUSIVE MODE"))
        threading.Timer(SLOW_S + 0.05, lambda: (locked.rollback(), holder.close())).start()
    else:
        monkeypatch.setattr(runner, slowed_name, slowed(getattr(runner, slowed_name)))

    async def not_run(_search_id: Any) -> None:
        """Searches started here are stored but never scraped."""

    monkeypatch.setattr("jobspy_web.api.searches.tasks.start_search", not_run)
    body = {"search_term": "python", "site_name": ["indeed"]} if method == "POST" else None
    request = web.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert_not_stalled(*await finish_times(web, request))


async def test_ready_asks_the_database_off_the_loop(web, monkeypatch):
    monkeypatch.setattr(health, "_database_answers", slowed(health._database_answers))
    slow_done, health_done = await finish_times(web, web.get("/ready"))
    # /ready waited for the slow database; /health (liveness) meanwhile did not wait for it.
    assert slow_done >= SLOW_S and health_done < slow_done
