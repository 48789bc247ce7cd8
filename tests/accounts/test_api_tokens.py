"""Personal API tokens: shown once, stored as a hash, owned, capped, revocable at once."""

import hashlib
import secrets
import threading
import time
import uuid
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import func, select

from jobspy_web.accounts import api_tokens, jwt_tokens
from jobspy_web.accounts.api_tokens import ApiTokenError, ApiTokenErrorCode
from jobspy_web.accounts.jwt_tokens import TokenError, TokenErrorCode
from jobspy_web.accounts.passwords import hash_password
from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session, write_session
from jobspy_web.models import ApiToken, AuditEvent, User
from jobspy_web.models.user import Role
from jobspy_web.settings import reset_process_state

PASSWORD = "correct horse battery"
KEY_PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)


@pytest.fixture(autouse=True)
def fresh_state(data_dir, monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY", KEY_PEM)
    reset_process_state()
    yield


def make_user(email: str = "ada@example.com", *, role: Role = Role.PRO, password: str | None = None, **fields) -> User:
    with write_session() as session:
        user = User(email=email, role=role, password_hash=hash_password(password) if password else None, **fields)
        session.add(user)
    return user


def create(user: User, name: str = "laptop script") -> api_tokens.CreatedToken:
    with write_session() as session:
        return api_tokens.create_api_token(session=session, user=user, name=name, ip="203.0.113.9")


def revoke(user: User, token_id: uuid.UUID) -> bool:
    with write_session() as session:
        return api_tokens.revoke_api_token(session=session, user=user, token_id=token_id)


def count(model) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def audit_events() -> list[AuditEvent]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.created_at)))


def test_the_secret_is_returned_once_and_only_its_hash_is_stored(db):
    user = make_user()
    created = create(user)
    assert api_tokens.SECRET_PATTERN.fullmatch(created.secret)
    assert created.secret.startswith("jsw_") and len(created.secret) == 47
    with read_session() as session:
        row = session.get(ApiToken, created.token_row.id)
    assert row.secret_hash == hashlib.sha256(created.secret.encode()).hexdigest()
    assert row.prefix == created.secret[:12]
    assert created.secret not in repr(row.model_dump())


def test_creating_and_revoking_are_audited_without_anything_secret(db):
    user = make_user()
    created = create(user)
    assert revoke(user, created.token_row.id)
    events = audit_events()
    assert [event.action for event in events] == ["api_token.create", "api_token.revoke"]
    assert all(event.subject_id == str(created.token_row.id) and event.actor_id == user.id for event in events)
    assert events[0].ip == "203.0.113.9"
    for event in events:
        stored = repr(event.model_dump())
        assert created.secret not in stored and created.token_row.secret_hash not in stored


@pytest.mark.parametrize("name", ["", "   ", "\n\t", "x" * 101, None, 42, ["a"]])
def test_a_bad_name_is_refused_and_nothing_is_stored(db, name):
    user = make_user()
    with pytest.raises(ApiTokenError) as caught:
        create(user, name)
    assert caught.value.code == ApiTokenErrorCode.INVALID_NAME
    assert str(caught.value)  # the account page shows it as is
    assert count(ApiToken) == 0 and count(AuditEvent) == 0


def test_names_are_trimmed_and_may_be_100_characters(db):
    user = make_user()
    assert create(user, "  deploy   bot \n").token_row.name == "deploy bot"
    assert create(user, "n" * 100).token_row.name == "n" * 100


def test_twenty_live_tokens_is_the_most_and_revoked_ones_do_not_count(db):
    user = make_user()
    tokens = [create(user, f"token {number}") for number in range(api_tokens.MAX_LIVE_TOKENS)]
    with pytest.raises(ApiTokenError) as caught:
        create(user, "one too many")
    assert caught.value.code == ApiTokenErrorCode.TOO_MANY_TOKENS
    assert count(ApiToken) == api_tokens.MAX_LIVE_TOKENS
    assert revoke(user, tokens[0].token_row.id)
    assert create(user, "replacement")


def test_the_cap_holds_under_concurrent_creates(pg_db, monkeypatch):
    user = make_user()
    for number in range(api_tokens.MAX_LIVE_TOKENS - 1):
        create(user, f"token {number}")

    def slow_secret(length: int) -> str:
        time.sleep(0.3)  # between counting and inserting: where an unlocked create races
        return secrets.token_urlsafe(length)

    monkeypatch.setattr(api_tokens, "secrets", SimpleNamespace(token_urlsafe=slow_secret))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def create_at_once() -> None:
        start.wait()
        try:
            create(user, "racer")
            outcomes.append("created")
        except ApiTokenError as error:
            outcomes.append(error.code.value)

    threads = [threading.Thread(target=create_at_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["TOO_MANY_TOKENS", "created"]
    assert count(ApiToken) == api_tokens.MAX_LIVE_TOKENS


def test_listing_shows_own_live_tokens_newest_first_and_never_the_hash(db):
    ada, bob = make_user(), make_user("bob@example.com")
    first, second, gone = create(ada, "first"), create(ada, "second"), create(ada, "gone")
    create(bob, "not yours")
    revoke(ada, gone.token_row.id)
    with read_session() as session:
        live = api_tokens.list_api_tokens(session=session, user=ada)
        everything = api_tokens.list_api_tokens(session=session, user=ada, include_revoked=True)
    assert [token.name for token in live] == ["second", "first"]
    assert {token.id for token in everything} == {first.token_row.id, second.token_row.id, gone.token_row.id}
    assert not hasattr(live[0], "secret_hash")
    assert live[0].prefix == second.secret[:12] and live[0].last_used_at is None


def test_only_the_owner_can_revoke_and_only_once(db):
    ada, bob = make_user(), make_user("bob@example.com")
    created = create(ada)
    assert revoke(bob, created.token_row.id) is False
    assert revoke(ada, uuid.uuid4()) is False
    with write_session() as session:
        assert api_tokens.authenticate_api_token(session=session, secret=created.secret) is not None
    assert revoke(ada, created.token_row.id) is True
    assert revoke(ada, created.token_row.id) is False
    assert [event.action for event in audit_events()] == ["api_token.create", "api_token.revoke"]


def test_a_live_secret_authenticates_and_notes_its_use(db):
    user = make_user()
    created = create(user)
    with write_session() as session:
        found_user, found_token = api_tokens.authenticate_api_token(session=session, secret=created.secret)
    assert (found_user.id, found_token.id) == (user.id, created.token_row.id)
    with read_session() as session:
        assert session.get(ApiToken, created.token_row.id).last_used_at is not None


@pytest.mark.parametrize(
    "secret",
    ["", "jsw_", "jsw_" + "A" * 43, "JSW_" + "A" * 43, "jsw_" + "A" * 44, "jsw_" + "+" * 43, None, 7],
)
def test_unknown_or_malformed_secrets_do_not_authenticate(db, secret):
    create(make_user())
    with write_session() as session:
        assert api_tokens.authenticate_api_token(session=session, secret=secret) is None


def test_revoked_tokens_and_deactivated_users_do_not_authenticate(db):
    ada, bob = make_user(), make_user("bob@example.com")
    revoked, of_inactive = create(ada), create(bob)
    revoke(ada, revoked.token_row.id)
    with write_session() as session:
        session.get(User, bob.id).is_active = False
    with write_session() as session:
        assert api_tokens.authenticate_api_token(session=session, secret=revoked.secret) is None
        assert api_tokens.authenticate_api_token(session=session, secret=of_inactive.secret) is None
    with read_session() as session:
        assert session.get(ApiToken, of_inactive.token_row.id).last_used_at is None


def test_access_tokens_minted_from_a_revoked_api_token_stop_working_at_once(db):
    user = make_user()
    created = create(user)
    with write_session() as session:
        issued = api_tokens.exchange_api_token(session=session, secret=created.secret)
    claims = jwt_tokens.verify_access_token(issued.token)  # remembered as "not revoked" now
    assert claims.api_token_id == created.token_row.id and claims.tier is Tier.PRO
    revoke(user, created.token_row.id)
    for _ in range(2):  # from the cache, then from the database once the cache forgets
        with pytest.raises(TokenError) as caught:
            jwt_tokens.verify_access_token(issued.token)
        assert caught.value.code == TokenErrorCode.REVOKED
        reset_process_state()


def test_password_exchange_gives_a_token_at_the_users_tier(db):
    make_user(role=Role.TEAM, password=PASSWORD)
    with write_session() as session:
        issued = api_tokens.exchange_password(session=session, email=" ADA@example.com", password=PASSWORD)
        assert api_tokens.exchange_password(session=session, email="ada@example.com", password="wrong one!") is None
        assert api_tokens.exchange_password(session=session, email="ghost@example.com", password=PASSWORD) is None
    assert issued.tier is Tier.TEAM
    claims = jwt_tokens.verify_access_token(issued.token)
    assert claims.tier is Tier.TEAM and claims.api_token_id is None
