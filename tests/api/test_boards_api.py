"""GET /api/boards/health: any signed-in user sees the boards; admins also see failure
messages and the proxies; nobody ever sees a proxy's credentials."""

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from jobspy_web.accounts import jwt_tokens, users
from jobspy_web.api.app import build_api
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.models import Role, SearchStatus, User
from jobspy_web.models.base import utcnow
from jobspy_web.search import proxy_pool, runner
from jobspy_web.search.outcomes import FailureReason, SiteOutcome, SiteState
from jobspy_web.search.params import SITES, parse_search_params
from jobspy_web.settings import reset_process_state

SECRET_PROXY = "http://ada:s3cret-pw@proxy.example:8080"


def bearer(email: str, role: Role = Role.FREE) -> dict[str, str]:
    with write_session() as session:
        user = users.sign_up(session=session, email=email, password="correct horse battery")
        user.role = role
        session.add(user)
        issued = jwt_tokens.issue_access_token(user=user, tier=Tier.FREE)
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def api(db, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("JOBSPY_PROXIES", f"{SECRET_PROXY}, 10.0.0.2:3128")
    reset_process_state()
    yield httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")


def add_blocked_linkedin_searches() -> None:
    """Three refusals in a row, the first quoting the proxy URL as scrapers' errors do."""
    params = parse_search_params({"search_term": "nurse", "site_name": ["linkedin", "indeed"]})
    for minutes_ago in (30, 20, 10):
        with write_session() as session:
            created = runner.create_search(session=session, params=params)
            created.site_outcomes = {
                "linkedin": SiteOutcome(
                    SiteState.FAILED, reason=FailureReason.BLOCKED, message=f"429 from {SECRET_PROXY}", elapsed_ms=900
                ).as_json(),
                "indeed": SiteOutcome(SiteState.DONE, count=5, elapsed_ms=1200).as_json(),
            }
            created.status = SearchStatus.COMPLETED
            created.created_at = created.started_at = utcnow() - timedelta(minutes=minutes_ago)
            created.finished_at = created.started_at + timedelta(seconds=2)
            session.add(created)


async def test_a_signed_in_user_gets_every_board_without_messages_or_proxies(api):
    add_blocked_linkedin_searches()
    response = await api.get("/api/boards/health", headers=bearer("ada@example.com"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["detail"] == "public" and "proxies" not in body
    assert body["window_days"] == 7
    boards = {board["site"]: board for board in body["boards"]}
    assert list(boards) == list(SITES)
    linkedin = boards["linkedin"]
    assert {key: linkedin[key] for key in ("searches", "done", "failed", "success_rate", "median_ms", "blocked_share")} == {
        "searches": 3,
        "done": 0,
        "failed": 3,
        "success_rate": 0.0,
        "median_ms": 900,
        "blocked_share": 1.0,
    }
    assert linkedin["last_failure"]["reason"] == "blocked" and "message" not in linkedin["last_failure"]
    assert linkedin["notice"]["backing_off"] is True and linkedin["notice"]["streak"] == 3
    assert linkedin["notice"]["message"].startswith("LinkedIn has been blocking this server and its proxies for 30 min")
    assert boards["indeed"]["success_rate"] == 1.0 and boards["indeed"]["notice"] is None
    assert "s3cret" not in response.text and "proxy.example" not in response.text


async def test_an_admin_also_gets_messages_and_proxies_redacted(api):
    add_blocked_linkedin_searches()
    proxy_pool.record("linkedin", {SECRET_PROXY: (0, 4), "10.0.0.2:3128": (6, 0)})

    response = await api.get("/api/boards/health", headers=bearer("root@example.com", Role.ADMIN))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["detail"] == "admin"
    linkedin = next(board for board in body["boards"] if board["site"] == "linkedin")
    assert linkedin["last_failure"]["message"] == "429 from http://***@proxy.example:8080"
    assert [proxy["proxy"] for proxy in body["proxies"]] == ["proxy.example:8080", "10.0.0.2:3128"]
    first, second = body["proxies"]
    [linkedin_via_first] = first["sites"]
    assert {key: linkedin_via_first[key] for key in ("site", "ok", "failed", "state")} == {
        "site": "linkedin",
        "ok": 0,
        "failed": 4,
        "state": "set aside",
    }
    assert linkedin_via_first["set_aside_until"] is not None
    assert second["sites"][0]["state"] == "working"
    assert "s3cret" not in response.text and "ada:" not in response.text
    assert response.headers["cache-control"] == "no-store"


async def test_without_a_valid_token_the_answer_is_401(api):
    missing = await api.get("/api/boards/health")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "MISSING_TOKEN"
    garbled = await api.get("/api/boards/health", headers={"Authorization": "Bearer not-a-jwt"})
    assert garbled.status_code == 401 and garbled.json()["error"]["code"] == "MALFORMED"


async def test_a_deactivated_account_gets_401(api):
    headers = bearer("gone@example.com")
    with write_session() as session:
        user = session.exec(select(User).where(User.email == "gone@example.com")).one()
        user.is_active = False
        session.add(user)
    response = await api.get("/api/boards/health", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "ACCOUNT_INACTIVE"
