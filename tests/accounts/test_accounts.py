import re
from datetime import timedelta

import pytest
from sqlmodel import select

from jobspy_web.accounts import erasure, login_sessions, users
from jobspy_web.accounts.users import AccountError, AccountErrorCode
from jobspy_web.db import read_session, write_session
from jobspy_web.models import ApiToken, AuditEvent, License, LoginSession, OutboxMessage, Payment, Search, User
from jobspy_web.models.base import utcnow

PASSWORD = "correct horse battery"


def sign_up(email: str = "Ada@Example.com ", password: str = PASSWORD) -> User:
    with write_session() as session:
        return users.sign_up(session=session, email=email, password=password, full_name="Ada")


def last_link(path: str) -> str:
    with read_session() as session:
        body = session.exec(select(OutboxMessage).order_by(OutboxMessage.created_at.desc())).first().body
    return re.search(rf"http\S*{path}\?token=(\S+)", body).group(1)


def test_sign_up_normalises_email_hashes_password_and_mails_a_link(db):
    user = sign_up()
    assert user.email == "ada@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert last_link("/auth/verify")


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("not-an-email", PASSWORD, AccountErrorCode.INVALID_EMAIL),
        ("", PASSWORD, AccountErrorCode.INVALID_EMAIL),
        ("a" * 400 + "@x.com", PASSWORD, AccountErrorCode.INVALID_EMAIL),
        ("ok@example.com", "short", AccountErrorCode.WEAK_PASSWORD),
        ("ok@example.com", "a" * 300, AccountErrorCode.WEAK_PASSWORD),
        ("ok@example.com", "ok@example.com", AccountErrorCode.WEAK_PASSWORD),
    ],
)
def test_bad_sign_ups_are_refused_and_store_nothing(db, email, password, code):
    with pytest.raises(AccountError) as caught:
        sign_up(email, password)
    assert caught.value.code == code
    with read_session() as session:
        assert session.exec(select(User)).all() == []


def test_duplicate_sign_up_says_so_whatever_the_case(db):
    sign_up()
    with pytest.raises(AccountError) as caught:
        sign_up("ADA@example.COM")
    assert caught.value.code == AccountErrorCode.EMAIL_TAKEN


def test_authenticate_accepts_only_the_right_password(db):
    sign_up()
    with write_session() as session:
        assert users.authenticate(session=session, email="ada@example.com", password=PASSWORD) is not None
        assert users.authenticate(session=session, email="ada@example.com", password="wrong password!") is None
        assert users.authenticate(session=session, email="nobody@example.com", password=PASSWORD) is None


def test_verification_link_works_once(db):
    sign_up()
    token = last_link("/auth/verify")
    with write_session() as session:
        assert users.verify_email(session=session, token=token).email_verified_at is not None
    with pytest.raises(AccountError) as caught, write_session() as session:
        users.verify_email(session=session, token=token)
    assert caught.value.code == AccountErrorCode.USED_LINK


def test_tampered_link_is_invalid(db):
    sign_up()
    token = last_link("/auth/verify")
    with pytest.raises(AccountError) as caught, write_session() as session:
        users.verify_email(session=session, token=token[:-2] + "xx")
    assert caught.value.code == AccountErrorCode.INVALID_LINK


def test_reset_link_changes_password_once_and_ends_sessions(db):
    user = sign_up()
    with write_session() as session:
        secret = login_sessions.start_session(session=session, user=user)
        users.request_password_reset(session=session, email="ada@example.com")
    token = last_link("/reset")
    with write_session() as session:
        users.reset_password(session=session, token=token, new_password="a brand new passphrase")
    with write_session() as session:
        assert users.authenticate(session=session, email="ada@example.com", password="a brand new passphrase")
        assert login_sessions.user_for_secret(session=session, secret=secret) is None
    with pytest.raises(AccountError) as caught, write_session() as session:
        users.reset_password(session=session, token=token, new_password="yet another passphrase")
    assert caught.value.code == AccountErrorCode.USED_LINK


def test_reset_request_for_an_unknown_address_sends_nothing(db):
    with write_session() as session:
        users.request_password_reset(session=session, email="ghost@example.com")
    with read_session() as session:
        assert session.exec(select(OutboxMessage)).all() == []


def test_change_password_needs_the_current_one(db):
    user = sign_up()
    with pytest.raises(AccountError) as caught, write_session() as session:
        users.change_password(
            session=session, user=session.get(User, user.id), current_password="nope nope nope", new_password="another long one"
        )
    assert caught.value.code == AccountErrorCode.WRONG_PASSWORD


def test_sessions_end_on_logout_and_expire(db):
    user = sign_up()
    with write_session() as session:
        kept = login_sessions.start_session(session=session, user=user)
        ended = login_sessions.start_session(session=session, user=user)
        login_sessions.end_session(session=session, secret=ended)
    with write_session() as session:
        assert login_sessions.user_for_secret(session=session, secret=kept).id == user.id
        assert login_sessions.user_for_secret(session=session, secret=ended) is None
        assert login_sessions.user_for_secret(session=session, secret="forged") is None
        for row in session.exec(select(LoginSession)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    with write_session() as session:
        assert login_sessions.user_for_secret(session=session, secret=kept) is None


def test_export_holds_the_users_data_without_secrets(db):
    user = sign_up()
    with write_session() as session:
        login_sessions.start_session(session=session, user=user)
        session.add(Search(owner_id=user.id, label="python", params={}))
    with read_session() as session:
        data = erasure.export_user_data(session=session, user=session.get(User, user.id))
    assert data["user"]["email"] == "ada@example.com"
    assert data["searches"][0]["label"] == "python"
    text = repr(data)
    assert "password_hash" not in text and "secret_hash" not in text and "$argon2" not in text


def test_delete_erases_personal_data_and_keeps_payments_anonymised(db):
    user = sign_up()
    with write_session() as session:
        login_sessions.start_session(session=session, user=user)
        session.add(Search(owner_id=user.id, label="python", params={}))
        session.add(ApiToken(user_id=user.id, name="t", secret_hash="h" * 64, prefix="jsw_x"))
        session.add(
            Payment(
                user_id=user.id,
                stripe_payment_intent_id="pi_1",
                amount_cents=900,
                currency="usd",
                status="succeeded",
                extra_metadata={"email": "ada@example.com"},
            )
        )
    with write_session() as session:
        erasure.delete_account(session=session, user=session.get(User, user.id))
    with read_session() as session:
        assert session.exec(select(User)).all() == []
        assert session.exec(select(Search)).all() == []
        assert session.exec(select(LoginSession)).all() == []
        assert session.exec(select(OutboxMessage)).all() == []
        (payment,) = session.exec(select(Payment)).all()
        assert payment.user_id is None and payment.extra_metadata == {} and payment.amount_cents == 900
        actions = [event.action for event in session.exec(select(AuditEvent))]
        assert "user.delete" in actions
        assert all(event.actor_id is None for event in session.exec(select(AuditEvent)))


def test_deleting_an_account_stops_its_license_keys_at_once(db):
    from jobspy_web.licensing import licenses

    user = sign_up()
    with write_session() as session:
        key = licenses.issue_license(session=session, license_type="pro", user_id=user.id).key
    check = dict(key=key, fingerprint="machine-1", app_version="1.0.0")
    with write_session() as session:
        assert licenses.validate_license(session=session, **check).valid  # now cached as valid
    with write_session() as session:
        erasure.delete_account(session=session, user=session.get(User, user.id))
    with write_session() as session:
        answer = licenses.validate_license(session=session, **check)
    assert not answer.valid and answer.code.value == "REVOKED"


def test_a_key_waiting_to_be_shown_is_left_out_of_the_export_and_erased_with_the_account(db):
    from jobspy_web.billing import checkout
    from jobspy_web.licensing import licenses

    user = sign_up()
    with write_session() as session:
        issued = licenses.issue_license(session=session, license_type="pro", user_id=user.id)
        checkout.seal_key(issued.license, issued.key)
        session.add(issued.license)
    with read_session() as session:
        data = erasure.export_user_data(session=session, user=session.get(User, user.id))
    assert "sealed_key" not in data["licenses"][0]
    with write_session() as session:
        erasure.delete_account(session=session, user=session.get(User, user.id))
    with read_session() as session:
        assert [row.sealed_key for row in session.exec(select(License))] == [None]
