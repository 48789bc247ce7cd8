"""Browser sign-in routes: HttpOnly cookie, clear error codes, rate limits, CSRF, safe redirects."""

import re

import httpx
import pytest
from sqlmodel import select

from jobspy_web.accounts import login_sessions
from jobspy_web.api.app import build_api
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import mail, rate_limits
from jobspy_web.models import AuditEvent, User
from jobspy_web.settings import get_settings, reset_process_state

PASSWORD = "correct horse battery"


@pytest.fixture
def web(db):
    reset_process_state()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")


async def sign_up(web, email="ada@example.com", password=PASSWORD):
    return await web.post("/auth/signup", data={"email": email, "password": password, "full_name": "Ada"})


def _confirmation_path(email: str) -> str:
    with read_session() as session:
        body = mail.outbox(session=session, to=email)[0].body
    return re.search(r"/auth/verify\?token=\S+", body).group(0)


async def test_sign_up_signs_in_only_through_the_confirmation_link(web):
    response = await sign_up(web)
    assert response.status_code == 303 and response.headers["location"] == "/login?notice=check_email"
    assert "set-cookie" not in response.headers  # a taken address gets no cookie either
    confirmed = await web.get(_confirmation_path("ada@example.com"))
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/?notice=verified"
    cookie = confirmed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    with write_session() as session:
        user = login_sessions.user_for_secret(session=session, secret=confirmed.cookies[login_sessions.COOKIE_NAME])
        assert user.email == "ada@example.com" and user.email_verified_at is not None
    web.cookies.clear()
    again = await web.get(_confirmation_path("ada@example.com"))  # single-use: no second session
    assert "error=USED_LINK" in again.headers["location"] and login_sessions.COOKIE_NAME not in again.cookies


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [("bad", PASSWORD, "INVALID_EMAIL"), ("a@example.com", "short", "WEAK_PASSWORD"), ("", "", "INVALID_EMAIL")],
)
async def test_bad_sign_up_redirects_with_a_code_and_stores_nothing(web, email, password, code):
    response = await sign_up(web, email, password)
    assert f"error={code}" in response.headers["location"]
    assert PASSWORD not in response.headers["location"]
    with read_session() as session:
        assert session.exec(select(User)).all() == []


async def test_wrong_password_is_one_message_for_every_cause(web):
    await sign_up(web)
    wrong = await web.post("/auth/login", data={"email": "ada@example.com", "password": "not it at all"})
    unknown = await web.post("/auth/login", data={"email": "ghost@example.com", "password": "not it at all"})
    for response in (wrong, unknown):
        assert "error=INVALID_CREDENTIALS" in response.headers["location"]
        assert login_sessions.COOKIE_NAME not in response.cookies
    with read_session() as session:
        assert [e.action for e in session.exec(select(AuditEvent)).all()].count("login.failure") == 2


async def test_login_goes_to_next_but_never_off_site(web):
    await sign_up(web)
    ok = await web.post("/auth/login", data={"email": "ADA@example.com", "password": PASSWORD, "next": "/history"})
    assert ok.headers["location"] == "/history"
    evil = await web.post("/auth/login", data={"email": "ada@example.com", "password": PASSWORD, "next": "//evil.example/x"})
    assert evil.headers["location"] == "/"


async def test_repeated_failures_are_slowed_down(web):
    await sign_up(web)
    codes = []
    for _ in range(7):
        response = await web.post("/auth/login", data={"email": "ada@example.com", "password": "guess guess guess"})
        codes.append(response.headers["location"])
    # Five free guesses, then the account's throttle makes the next one wait (login_throttle).
    assert all("INVALID_CREDENTIALS" in code for code in codes[:5]), codes
    assert all("error=THROTTLED" in code for code in codes[5:]), codes


async def test_cross_site_form_posts_are_ignored(web):
    await sign_up(web)
    response = await web.post(
        "/auth/login", data={"email": "ada@example.com", "password": PASSWORD}, headers={"origin": "https://evil.example"}
    )
    assert "error=CSRF" in response.headers["location"]
    assert login_sessions.COOKIE_NAME not in response.cookies


async def test_logout_ends_the_session_on_the_server(web):
    await sign_up(web)
    secret = (await web.get(_confirmation_path("ada@example.com"))).cookies[login_sessions.COOKIE_NAME]
    web.cookies.set(login_sessions.COOKIE_NAME, secret)
    response = await web.post("/auth/logout")
    assert response.headers["location"] == "/login?notice=signed_out"
    with write_session() as session:
        assert login_sessions.user_for_secret(session=session, secret=secret) is None


async def test_verify_link_with_garbage_token_is_a_clear_error(web):
    response = await web.get("/auth/verify", params={"token": "garbage"})
    assert "error=INVALID_LINK" in response.headers["location"]


async def test_a_form_sent_before_the_page_loaded_still_goes_to_next(web):
    await sign_up(web)
    response = await web.post(
        "/auth/login",
        data={"email": "ada@example.com", "password": PASSWORD, "next": ""},
        headers={"referer": "http://testserver/login?next=/admin"},
    )
    assert response.headers["location"] == "/admin"


async def test_sign_up_limit_says_its_own_window_of_an_hour(web):
    from jobspy_web.ui.state.auth import error_sentence

    locations = [(await sign_up(web, email=f"n{number}@example.com")).headers["location"] for number in range(11)]
    assert "error=SIGNUP_RATE_LIMITED" in locations[-1]
    assert rate_limits.SIGNUP_PER_IP.endswith("/hour") and "hour" in error_sentence("SIGNUP_RATE_LIMITED")


async def test_a_common_password_of_ten_digits_is_refused_at_sign_up(web):
    response = await sign_up(web, password="1234567890")
    assert "error=WEAK_PASSWORD" in response.headers["location"]


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header of the response, by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def _assert_hint_set_beside_the_session(response: httpx.Response) -> None:
    cookies = _set_cookies(response)
    session_cookie, hint = cookies[login_sessions.COOKIE_NAME], cookies[login_sessions.HINT_COOKIE_NAME]
    # The page's head script must read it: not HttpOnly, and it holds no secret, only "1".
    assert hint.startswith(f"{login_sessions.HINT_COOKIE_NAME}=1;") and "HttpOnly" not in hint
    assert "HttpOnly" in session_cookie
    for attribute in ("Path=/", "SameSite=lax", f"Max-Age={get_settings().session_days * 86400}"):
        assert attribute in hint and attribute in session_cookie


async def test_every_sign_in_sets_the_signed_in_hint_beside_the_session_cookie(web):
    await sign_up(web)
    confirmed = await web.get(_confirmation_path("ada@example.com"))  # the mailed link signs in
    _assert_hint_set_beside_the_session(confirmed)
    web.cookies.clear()
    password = await web.post("/auth/login", data={"email": "ada@example.com", "password": PASSWORD})
    _assert_hint_set_beside_the_session(password)
    web.cookies.clear()
    wrong = await web.post("/auth/login", data={"email": "ada@example.com", "password": "not it at all"})
    assert login_sessions.HINT_COOKIE_NAME not in _set_cookies(wrong)


async def test_sign_out_clears_the_signed_in_hint_with_the_session_cookie(web):
    await sign_up(web)
    await web.get(_confirmation_path("ada@example.com"))
    assert web.cookies.get(login_sessions.HINT_COOKIE_NAME) == "1"
    response = await web.post("/auth/logout")
    cookies = _set_cookies(response)
    for name in (login_sessions.COOKIE_NAME, login_sessions.HINT_COOKIE_NAME):
        assert "Max-Age=0" in cookies[name] and "Path=/" in cookies[name]
    assert login_sessions.HINT_COOKIE_NAME not in web.cookies and login_sessions.COOKIE_NAME not in web.cookies
