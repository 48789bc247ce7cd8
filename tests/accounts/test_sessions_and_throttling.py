"""Sessions and throttling to ASVS L2: password guesses slowed (never the owner locked
out), every password check throttled (the websocket's too), a password change ending the
other sessions and older access tokens, an idle timeout, deactivated accounts refused on
every route, and per-tier limits on the search API."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import httpx
import pytest
from db_helpers import close_loop_connections
from reflex.state import State

import jobspy_web.jobspy_web  # noqa: F401  (registers the states)
from jobspy_web.accounts import jwt_tokens, login_sessions, login_throttle, users
from jobspy_web.accounts.passwords import hash_password
from jobspy_web.api.app import build_api
from jobspy_web.core import tiers
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.infra import mail
from jobspy_web.models import LoginSession, User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import reset_process_state
from jobspy_web.ui.state.account import AccountState
from jobspy_web.usage import stop_recorder

PASSWORD = "correct horse battery"
WRONG = {"email": "ada@example.com", "password": "not the password"}


@pytest.fixture
async def web(db):
    reset_process_state()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
        yield client
    stop_recorder()  # the API usage log writes off the request path: finish before the database goes
    await close_loop_connections()


def make_user(email: str = "ada@example.com") -> User:
    with write_session() as session:
        user = User(email=email, password_hash=hash_password(PASSWORD), email_verified_at=utcnow())
        session.add(user)
    return user


def test_per_account_throttling_allows_at_most_100_failed_guesses_an_hour(db):
    """An attacker who always waits exactly as long as told, for an hour."""
    now, failed = utcnow(), 0
    end = now + timedelta(hours=1)
    while now < end:
        with write_session() as session:
            wait_s = login_throttle.begin_attempt(session=session, bucket="account:ada@example.com", now=now)
        if wait_s:
            now += timedelta(seconds=wait_s)
        else:
            failed += 1  # the guess was wrong
    assert 60 <= failed <= 100
    assert [login_throttle.delay_after(n) for n in range(4, 12)] == [0, 2, 4, 8, 16, 32, 60, 60]  # exponential, capped


async def test_the_owners_known_browser_still_signs_in_while_the_account_is_attacked(web):
    make_user()
    owner = await web.post("/auth/login", data={"email": "ada@example.com", "password": PASSWORD})
    device = owner.cookies[login_throttle.DEVICE_COOKIE]
    assert "HttpOnly" in owner.headers["set-cookie"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as attacker:
        answers = [(await attacker.post("/auth/login", data=WRONG)).headers["location"] for _ in range(8)]
        token_guess = await attacker.post("/auth/token", json=WRONG)
    assert "error=THROTTLED" in answers[-1] and token_guess.status_code == 429
    # The owner, from the browser that signed in before (web kept its cookie): straight in.
    assert web.cookies[login_throttle.DEVICE_COOKIE] == device
    again = await web.post("/auth/login", data={"email": "ada@example.com", "password": PASSWORD})
    assert again.headers["location"] == "/" and login_sessions.COOKIE_NAME in again.cookies
    # A forged cookie earns nothing.
    forged = device.rsplit(".", 1)[0] + ".0000000000000000"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver", cookies={login_throttle.DEVICE_COOKIE: forged}
    ) as impostor:
        blocked = await impostor.post("/auth/login", data={"email": "ada@example.com", "password": PASSWORD})
    assert "error=THROTTLED" in blocked.headers["location"]


async def test_the_websocket_change_password_is_throttled(db):
    user = make_user()
    with write_session() as session:
        cookie = login_sessions.start_session(session=session, user=session.get(User, user.id))
    root = State(_reflex_internal_init=True)
    root.router_data = root._update_router_vars({"headers": {"cookie": f"jobspy_session={cookie}"}, "pathname": "/account"}, {})
    account = root.get_substate(AccountState.get_full_name().split(".")[1:])
    errors = []
    for _ in range(7):
        AccountState.change_password.fn(account, {"current_password": "wrong guess", "new_password": "another long passphrase"})
        errors.append(account.account_error)
    assert errors[:5] == ["Your current password is not right."] * 5
    assert all(error.startswith("Too many wrong passwords") for error in errors[5:])
    # Even the right password waits now: the check itself is refused, not just failures.
    AccountState.change_password.fn(account, {"current_password": PASSWORD, "new_password": "another long passphrase"})
    assert account.account_error.startswith("Too many wrong passwords")


async def test_a_password_change_ends_every_other_session_and_revokes_older_access_tokens(web):
    user = make_user()
    with write_session() as session:
        here = login_sessions.start_session(session=session, user=session.get(User, user.id))
        elsewhere = login_sessions.start_session(session=session, user=session.get(User, user.id))
    old_token = jwt_tokens.issue_access_token(user=user, tier=Tier.FREE).token
    assert (await web.get("/auth/me", headers={"Authorization": f"Bearer {old_token}"})).status_code == 200
    with write_session() as session:
        users.change_password(
            session=session,
            user=session.get(User, user.id),
            current_password=PASSWORD,
            new_password="a brand new passphrase",
            keep_session_secret=here,
        )
    with write_session() as session:
        assert login_sessions.user_for_secret(session=session, secret=here) is not None  # this browser stays
        assert login_sessions.user_for_secret(session=session, secret=elsewhere) is None
    refused = await web.get("/auth/me", headers={"Authorization": f"Bearer {old_token}"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "REVOKED"


async def test_idle_sessions_end(db, monkeypatch):
    user = make_user()
    with write_session() as session:
        secret = login_sessions.start_session(session=session, user=session.get(User, user.id))
    with write_session() as session:
        found = session.exec(login_sessions.select(LoginSession)).one()
        found.last_seen_at = utcnow() - timedelta(minutes=721)  # past the default 12 h idle limit
    with write_session() as session:
        assert login_sessions.user_for_secret(session=session, secret=secret) is None
    with write_session() as session:
        assert session.exec(login_sessions.select(LoginSession)).one().ended_at is not None


async def test_a_deactivated_account_is_refused_by_the_search_api(web):
    user = make_user()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token  # its claims still say pro
    assert (await web.get("/api/searches", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    with write_session() as session:
        session.get(User, user.id).is_active = False
    refused = await web.get("/api/searches", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "ACCOUNT_INACTIVE"


async def test_the_search_api_has_per_tier_rate_limits(web):
    user = make_user()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.FREE).token
    budget = tiers.SEARCH_API_CALLS_PER_MINUTE[Tier.FREE]
    statuses = [(await web.get("/api/searches", headers={"Authorization": f"Bearer {token}"})).status_code for _ in range(budget + 2)]
    assert statuses[: budget - 1] == [200] * (budget - 1) and statuses[-1] == 429  # a sliding window: give or take one
    assert tiers.SEARCH_API_CALLS_PER_MINUTE[Tier.PRO] > budget  # a higher tier gets more


def _answer_bytes(answer: httpx.Response) -> bytes:
    """The whole answer as it goes on the wire, each random value (request id, date) replaced
    by its shape, so two answers compare byte for byte."""
    shape = lambda value: re.sub(r"[0-9a-f]", "h", re.sub(r"[0-9]", "9", value))  # noqa: E731
    lines = [f"HTTP/1.1 {answer.status_code}"]
    for name, value in answer.headers.multi_items():
        lines.append(f"{name}: {shape(value) if name in {'x-request-id', 'date'} else value}")
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + answer.content


async def test_uniform_sign_up_answers_are_byte_identical_for_an_existing_and_a_new_email(db):
    """Same status, headers (no Set-Cookie for either: sign-up never signs in), body and
    similar time for an address that has an account; its owner gets a mail instead."""
    make_user()
    reset_process_state()
    web = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")

    async def timed(email: str) -> tuple[bytes, float]:
        started = time.perf_counter()
        answer = await web.post("/auth/signup", data={"email": email, "password": "a fresh long passphrase"})
        return _answer_bytes(answer), time.perf_counter() - started

    taken = [await timed("ada@example.com") for _ in range(3)]
    fresh = [await timed(f"new-{number}@example.com") for number in range(3)]
    assert len({answer for answer, _ in taken + fresh}) == 1, taken[0][0].decode() + "\n---\n" + fresh[0][0].decode()
    assert b"set-cookie" not in taken[0][0].lower() and b"location: /login?notice=check_email" in taken[0][0]
    assert not web.cookies  # nothing was set on the client either
    median = lambda runs: sorted(seconds for _, seconds in runs)[1]  # noqa: E731
    assert 0.4 * median(fresh) < median(taken) < 2.5 * median(fresh)  # both hash a password and write a mail
    with write_session() as session:
        notices = mail.outbox(session=session, to="ada@example.com")
        confirmations = mail.outbox(session=session, to="new-0@example.com")
    assert len(notices) == 3 and "already has one" in notices[0].body
    assert "/auth/verify?token=" in confirmations[0].body  # the new person's way in
