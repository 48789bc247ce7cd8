"""The search API: a user's searches are theirs alone; runs happen on the server."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from api_helpers import bearer
from sqlmodel import select

from jobspy_web.api.app import build_api
from jobspy_web.settings import reset_process_state


@pytest.fixture
def api(db):
    reset_process_state()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")


async def wait_until_settled(api, search_id, headers) -> dict:
    for _ in range(200):
        body = (await api.get(f"/api/searches/{search_id}", headers=headers)).json()
        if body["status"] not in ("queued", "running"):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError("the search never finished")


async def test_a_search_started_by_api_runs_and_its_jobs_are_readable(api, replay):
    ada = bearer("ada@example.com")
    started = await api.post(
        "/api/searches", json={"search_term": "python developer", "site_name": ["indeed", "linkedin"], "results_wanted": 5}, headers=ada
    )
    assert started.status_code == 202, started.text
    search_id = started.json()["id"]
    finished = await wait_until_settled(api, search_id, ada)
    assert finished["status"] == "completed"
    assert finished["sites"]["indeed"]["count"] == 5
    listed = (await api.get(f"/api/searches/{search_id}/jobs", headers=ada)).json()
    assert len(listed["jobs"]) >= 9 and all(job["title"] for job in listed["jobs"])


async def test_another_user_cannot_read_or_cancel_my_search(api, replay):
    ada, bob = bearer("ada@example.com"), bearer("bob@example.com")
    search_id = (
        await api.post("/api/searches", json={"search_term": "nurse", "site_name": ["indeed"], "results_wanted": 3}, headers=ada)
    ).json()["id"]
    for method, path in [("GET", ""), ("GET", "/jobs"), ("POST", "/cancel")]:
        response = await api.request(method, f"/api/searches/{search_id}{path}", headers=bob)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert (await api.get("/api/searches", headers=bob)).json()["searches"] == []
    assert len((await api.get("/api/searches", headers=ada)).json()["searches"]) == 1
    await wait_until_settled(api, search_id, ada)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"search_term": ""}, 422, "INVALID_SEARCH"),
        ({"search_term": "x", "site_name": ["monster"]}, 422, "INVALID_SEARCH"),
        ({"search_term": "x", "results_wanted": "lots"}, 422, "INVALID_SEARCH"),
        ({"search_term": "x", "site_name": ["google"]}, 403, "TIER_LIMIT"),
        ({"search_term": "x", "results_wanted": 900}, 403, "TIER_LIMIT"),
    ],
)
async def test_bad_or_too_big_searches_are_refused_and_nothing_is_stored(api, body, status, code):
    ada = bearer("ada@example.com")
    response = await api.post("/api/searches", json=body, headers=ada)
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert (await api.get("/api/searches", headers=ada)).json()["searches"] == []


async def test_malformed_bodies_and_missing_tokens(api):
    ada = bearer("ada@example.com")
    assert (await api.post("/api/searches", content=b"{nope", headers=ada)).status_code == 400
    assert (await api.post("/api/searches", json=["a list"], headers=ada)).status_code == 422
    assert (await api.get("/api/searches")).status_code == 401
    assert (await api.get("/api/searches/not-a-uuid", headers=ada)).status_code == 404


def _seed_search(owner_email: str, **changes) -> str:
    """A search of the user with `owner_email`, its row then given `changes` (status, times)."""
    from jobspy_web.db import write_session
    from jobspy_web.models import Search, User
    from jobspy_web.search import runner
    from jobspy_web.search.params import SearchParams

    with write_session() as session:
        owner = session.exec(select(User).where(User.email == owner_email)).one()
        created = runner.create_search(session=session, params=SearchParams(search_term="seeded", site_name=["indeed"]), owner_id=owner.id)
        row = session.get(Search, created.id)
        for name, value in changes.items():
            setattr(row, name, value)
        session.add(row)
        return str(created.id)


async def test_listing_settles_a_search_whose_runner_went_silent(api):
    from jobspy_web.models import SearchStatus
    from jobspy_web.models.base import utcnow

    ada = bearer("ada@example.com")
    silent = _seed_search("ada@example.com", status=SearchStatus.RUNNING, heartbeat_at=utcnow() - timedelta(hours=1))
    alive = _seed_search("ada@example.com", status=SearchStatus.RUNNING, heartbeat_at=utcnow())
    listed = {item["id"]: item for item in (await api.get("/api/searches", headers=ada)).json()["searches"]}
    assert listed[silent]["status"] == "interrupted" and listed[silent]["sites"]["indeed"]["state"] == "interrupted"
    assert listed[alive]["status"] == "running"
    assert (await api.get(f"/api/searches/{silent}", headers=ada)).json()["status"] == "interrupted"  # stored, not only shown


async def test_listing_writes_nothing_when_no_search_went_silent(api, monkeypatch):
    from jobspy_web.models import SearchStatus
    from jobspy_web.models.base import utcnow
    from jobspy_web.search import runner

    ada = bearer("ada@example.com")
    _seed_search("ada@example.com", status=SearchStatus.RUNNING, heartbeat_at=utcnow())
    _seed_search("ada@example.com", status=SearchStatus.COMPLETED, heartbeat_at=utcnow() - timedelta(hours=1))
    marked = []
    monkeypatch.setattr(runner, "mark_interrupted", lambda **kwargs: marked.append(kwargs) or 0)
    listed = (await api.get("/api/searches", headers=ada)).json()["searches"]
    assert sorted(item["status"] for item in listed) == ["completed", "running"]
    assert marked == []  # nothing to settle: no write on the primary
    _seed_search("ada@example.com", status=SearchStatus.QUEUED, created_at=utcnow() - timedelta(hours=1))
    await api.get("/api/searches", headers=ada)
    assert len(marked) == 1  # a search queued for an hour with no runner: marked


@pytest.mark.postgresql
async def test_polls_while_the_database_is_unreachable_get_503_with_retry_after(pg_db, monkeypatch):
    ada = bearer("ada@example.com")
    search_id = "00000000-0000-4000-8000-000000000000"
    # The JWT's signing key stays (DATA_DIR); the database moves to a port nothing listens on.
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/test")
    reset_process_state()
    transport = httpx.ASGITransport(app=build_api(), raise_app_exceptions=False)  # Starlette re-raises for the server log
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path in (f"/api/searches/{search_id}", "/api/searches"):
            response = await client.get(path, headers=ada)
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "2" and response.json()["error"]["code"] == "UNAVAILABLE"
