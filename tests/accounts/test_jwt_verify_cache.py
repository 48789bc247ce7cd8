"""verify_access_token remembers what it may (a token's signature, an account's state for a
few seconds) and nothing that would let a revoked token, a deactivated or deleted account or
an old password through: each of those still counts at once."""

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col

from jobspy_web.accounts import jwt_tokens, users
from jobspy_web.accounts.jwt_tokens import TokenError, TokenErrorCode
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.infra.cache import get_cache
from jobspy_web.models import User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import reset_process_state

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_caches(db):
    reset_process_state()
    jwt_tokens._verified.clear()
    yield
    reset_process_state()
    jwt_tokens._verified.clear()


def signed_up(email: str = "") -> User:
    with write_session() as session:
        return users.sign_up(session=session, email=email or f"ada-{uuid.uuid4().hex[:6]}@example.com", password=PASSWORD)


def refusal(token: str) -> TokenErrorCode:
    with pytest.raises(TokenError) as raised:
        jwt_tokens.verify_access_token(token)
    return raised.value.code


class Counting:
    def __init__(self, monkeypatch, owner, name):
        self.calls = 0
        real = getattr(owner, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


def test_a_token_is_checked_cryptographically_once_and_the_account_read_once_per_window(monkeypatch):
    user = signed_up()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    signatures = Counting(monkeypatch, jwt_tokens.jws, "validate_compact")
    reads = Counting(monkeypatch, jwt_tokens, "read_session")
    for _ in range(5):
        assert jwt_tokens.verify_access_token(token).user_id == user.id
    assert signatures.calls == 1
    assert reads.calls == 2  # the account once, the jti's revocation once; then both cached


def test_a_remembered_token_still_expires(monkeypatch):
    user = signed_up()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO, ttl_seconds=60).token
    assert jwt_tokens.verify_access_token(token).user_id == user.id
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 60 + jwt_tokens.LEEWAY_SECONDS + 5)
    assert refusal(token) == TokenErrorCode.EXPIRED


def test_a_remembered_token_is_checked_again_under_other_settings(monkeypatch):
    user = signed_up()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    assert jwt_tokens.verify_access_token(token)
    monkeypatch.setenv("JWT_AUDIENCE", "someone-else")
    reset_process_state()
    assert refusal(token) == TokenErrorCode.WRONG_AUDIENCE


def test_a_revoked_jti_is_refused_at_once_after_being_remembered():
    user = signed_up()
    issued = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO)
    claims = jwt_tokens.verify_access_token(issued.token)
    with write_session() as session:
        jwt_tokens.revoke_jti(session=session, jti=claims.jti, expires_at=claims.expires_at)
    assert refusal(issued.token) == TokenErrorCode.REVOKED


def test_deactivating_an_account_counts_at_once_though_its_state_was_cached():
    user = signed_up()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    assert jwt_tokens.verify_access_token(token)
    with write_session() as session:
        session.get(User, user.id).is_active = False
    assert refusal(token) == TokenErrorCode.ACCOUNT_INACTIVE
    with write_session() as session:
        session.get(User, user.id).is_active = True
    assert jwt_tokens.verify_access_token(token).user_id == user.id  # and so does reactivating


def test_deleting_an_account_counts_at_once():
    user = User(email=f"ada-{uuid.uuid4().hex[:6]}@example.com")  # no sign-up rows to cascade
    with write_session() as session:
        session.add(user)
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    assert jwt_tokens.verify_access_token(token)
    with write_session() as session:
        session.delete(session.get(User, user.id))
    assert refusal(token) == TokenErrorCode.ACCOUNT_INACTIVE


def test_a_password_change_refuses_older_tokens_at_once():
    user = signed_up()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    assert jwt_tokens.verify_access_token(token)
    with write_session() as session:
        users.change_password(
            session=session, user=session.get(User, user.id), current_password=PASSWORD, new_password="another horse battery staple"
        )
    assert refusal(token) == TokenErrorCode.REVOKED


def test_a_change_rolled_back_leaves_the_cached_state_alone(monkeypatch):
    user = signed_up()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    assert jwt_tokens.verify_access_token(token)
    with pytest.raises(RuntimeError), write_session() as session:
        session.get(User, user.id).is_active = False
        session.flush()
        raise RuntimeError("changed my mind")
    reads = Counting(monkeypatch, jwt_tokens, "read_session")
    assert jwt_tokens.verify_access_token(token).user_id == user.id
    assert reads.calls == 0  # nothing committed: nothing forgotten


def test_a_change_made_outside_the_unit_of_work_counts_when_the_short_entry_expires(monkeypatch):
    user = signed_up()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    kept = []
    real_set = get_cache().set
    monkeypatch.setattr(get_cache(), "set", lambda key, value, *, ttl_s: kept.append((key, ttl_s)) or real_set(key, value, ttl_s=ttl_s))
    assert jwt_tokens.verify_access_token(token)
    assert (jwt_tokens._holder_key(user.id), jwt_tokens.NOT_REVOKED_CACHE_SECONDS) in kept
    with write_session() as session:  # a bulk UPDATE (as SQL by hand would): no flush sees it
        session.exec(update(User).where(col(User.id) == user.id).values(is_active=False))
    assert jwt_tokens.verify_access_token(token)  # still remembered as active...
    get_cache().delete(jwt_tokens._holder_key(user.id))  # ...until its entry expires
    assert refusal(token) == TokenErrorCode.ACCOUNT_INACTIVE


# --- on the event loop: verify_access_token_async ---------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def cache_kind(request, monkeypatch):
    """The app's cache in memory or in Redis (DB 14; the keys are per test: random ids)."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/14" if request.param == "redis" else "")
    reset_process_state()
    yield request.param


@pytest.fixture
def threads(monkeypatch):
    """How many times verify_access_token_async fell back to a worker thread."""
    return Counting(monkeypatch, jwt_tokens.to_thread, "run_sync")


async def closing(work):
    try:
        return await work
    finally:
        await get_cache().aclose()


async def test_on_the_loop_a_remembered_token_needs_no_thread_and_no_read(cache_kind, threads, monkeypatch):
    user = signed_up()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token

    async def twice():
        first = await jwt_tokens.verify_access_token_async(token)  # nothing remembered yet: a thread
        reads = Counting(monkeypatch, jwt_tokens, "read_session")
        second = await jwt_tokens.verify_access_token_async(token)
        return first, second, reads.calls

    first, second, reads = await closing(twice())
    assert first == second and second.user_id == user.id
    assert threads.calls == 1 and reads == 0


async def test_on_the_loop_revocation_deactivation_and_a_new_password_count_at_once(cache_kind):
    async def refused(token) -> TokenErrorCode:
        with pytest.raises(TokenError) as raised:
            await jwt_tokens.verify_access_token_async(token)
        return raised.value.code

    async def run():
        revoked, deactivated, repassworded = signed_up(), signed_up(), signed_up()
        tokens = {user.id: jwt_tokens.issue_access_token(user=user, tier=Tier.PRO) for user in (revoked, deactivated, repassworded)}
        for issued in tokens.values():
            assert await jwt_tokens.verify_access_token_async(issued.token)  # all three remembered
        with write_session() as session:
            jwt_tokens.revoke_jti(session=session, jti=tokens[revoked.id].jti, expires_at=utcnow() + timedelta(minutes=10))
            session.get(User, deactivated.id).is_active = False
            users.change_password(
                session=session,
                user=session.get(User, repassworded.id),
                current_password=PASSWORD,
                new_password="another horse battery staple",
            )
        return [await refused(tokens[user.id].token) for user in (revoked, deactivated, repassworded)]

    assert await closing(run()) == [TokenErrorCode.REVOKED, TokenErrorCode.ACCOUNT_INACTIVE, TokenErrorCode.REVOKED]


async def test_on_the_loop_a_revoked_api_token_counts_at_once(cache_kind):
    from jobspy_web.accounts import api_tokens

    async def run():
        user = signed_up()
        with write_session() as session:
            created = api_tokens.create_api_token(session=session, user=session.get(User, user.id), name="script")
            issued = api_tokens.exchange_api_token(session=session, secret=created.secret)
        assert (await jwt_tokens.verify_access_token_async(issued.token)).api_token_id == created.token_row.id
        with write_session() as session:
            assert api_tokens.revoke_api_token(session=session, user=session.get(User, user.id), token_id=created.token_row.id)
        with pytest.raises(TokenError) as raised:
            await jwt_tokens.verify_access_token_async(issued.token)
        return raised.value

    refused = await closing(run())
    assert refused.code == TokenErrorCode.REVOKED and "API token" in str(refused)


async def test_on_the_loop_a_bad_token_is_refused_as_before(cache_kind):
    async def run():
        with pytest.raises(TokenError) as raised:
            await jwt_tokens.verify_access_token_async("not.a.token")
        return raised.value.code

    assert await closing(run()) == TokenErrorCode.MALFORMED
