"""OAuth sign-in through authlib against faked GitHub endpoints (respx): never silently linked."""

import httpx
import pytest
import respx
from sqlmodel import select

from jobspy_web.accounts import login_sessions, users
from jobspy_web.api.app import build_api
from jobspy_web.db import read_session, write_session
from jobspy_web.models import OAuthIdentity, User
from jobspy_web.settings import reset_process_state


@pytest.fixture
def github(db, monkeypatch):
    monkeypatch.setenv("GITHUB_CLIENT_ID", "gh-client")
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "gh-secret")
    monkeypatch.setenv("PUBLIC_URL", "http://testserver")
    reset_process_state()
    with respx.mock(assert_all_called=False) as mock:
        mock.post("https://github.com/login/oauth/access_token").respond(
            json={"access_token": "gho_x", "token_type": "bearer", "scope": "read:user"}
        )
        mock.get("https://api.github.com/user").respond(json={"id": 4242, "login": "ada"})
        mock.get("https://api.github.com/user/emails").respond(json=[{"email": "ada@example.com", "primary": True, "verified": True}])
        yield mock
    reset_process_state()


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")


async def sign_in_with_github(http: httpx.AsyncClient, *, connect: bool = False) -> httpx.Response:
    start = await http.get("/auth/oauth/github/start" + ("?connect=1" if connect else ""))
    assert start.status_code == 302
    location = httpx.URL(start.headers["location"])
    assert location.host == "github.com" and location.params["client_id"] == "gh-client"
    return await http.get("/auth/oauth/github/callback", params={"code": "abc", "state": location.params["state"]})


async def test_new_github_user_gets_an_account_and_a_session(github):
    async with client() as http:
        done = await sign_in_with_github(http)
    assert done.status_code == 303 and done.headers["location"].startswith("/")
    secret = done.cookies.get(login_sessions.COOKIE_NAME)
    with write_session() as session:
        user = login_sessions.user_for_secret(session=session, secret=secret)
        assert user.email == "ada@example.com" and user.email_verified_at is not None
        assert user.password_hash is None
    # Beside the session, the signed-in hint "/" reads before the websocket (not HttpOnly).
    hint = next(h for h in done.headers.get_list("set-cookie") if h.startswith(f"{login_sessions.HINT_COOKIE_NAME}=1;"))
    assert "HttpOnly" not in hint and "Path=/" in hint


async def test_existing_email_is_not_linked_silently(github):
    with write_session() as session:
        users.sign_up(session=session, email="ada@example.com", password="correct horse battery")
    async with client() as http:
        done = await sign_in_with_github(http)
    assert "error=OAUTH_NEEDS_LINK" in done.headers["location"]
    assert login_sessions.COOKIE_NAME not in done.cookies
    assert login_sessions.HINT_COOKIE_NAME not in done.cookies
    with read_session() as session:
        assert session.exec(select(OAuthIdentity)).all() == []


async def test_signed_in_user_connects_github_explicitly_then_signs_in_with_it(github):
    with write_session() as session:
        user = users.sign_up(session=session, email="ada@example.com", password="correct horse battery")
        secret = login_sessions.start_session(session=session, user=user)
    async with client() as http:
        http.cookies.set(login_sessions.COOKIE_NAME, secret)
        linked = await sign_in_with_github(http, connect=True)
        assert linked.headers["location"] == "/account"
    async with client() as http:
        again = await sign_in_with_github(http)
    with write_session() as session:
        assert login_sessions.user_for_secret(session=session, secret=again.cookies.get(login_sessions.COOKIE_NAME)).id == user.id


async def test_forged_state_is_refused(github):
    async with client() as http:
        await http.get("/auth/oauth/github/start")
        done = await http.get("/auth/oauth/github/callback", params={"code": "abc", "state": "forged"})
    assert "error=OAUTH_STATE" in done.headers["location"]
    with read_session() as session:
        assert session.exec(select(User)).all() == []


async def test_unconfigured_provider_is_unavailable(db):
    async with client() as http:
        response = await http.get("/auth/oauth/google/start")
    assert "error=OAUTH_UNAVAILABLE" in response.headers["location"]
