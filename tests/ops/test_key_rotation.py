"""Rotating the JWT signing key without signing anyone out: with JWT_PREVIOUS_PUBLIC_KEY set,
the JWKS lists both keys and tokens the old key signed still verify until they expire; new
tokens carry the new key's kid; once it is unset the old ones are refused."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jobspy_web.accounts import jwt_tokens
from jobspy_web.accounts.jwt_tokens import TokenError, TokenErrorCode
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.models import User
from jobspy_web.settings import reset_process_state


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def use(monkeypatch, signing: rsa.RSAPrivateKey, previous: rsa.RSAPrivateKey | None = None) -> None:
    monkeypatch.setenv("JWT_PRIVATE_KEY", private_pem(signing))
    monkeypatch.setenv("JWT_PREVIOUS_PUBLIC_KEY", public_pem(previous) if previous else "")
    reset_process_state()


def test_a_rotation_keeps_old_tokens_valid_until_the_previous_key_is_dropped(db, monkeypatch):
    old, new = new_key(), new_key()
    with write_session() as session:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        session.add(user)
    use(monkeypatch, old)
    old_token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    old_kid = jwt_tokens.signing_key().kid

    use(monkeypatch, new, previous=old)  # the switch: sign with the new, honour the old
    keys = jwt_tokens.public_jwks()["keys"]
    assert [key["kid"] for key in keys] == [jwt_tokens.signing_key().kid, old_kid]
    assert all("d" not in key for key in keys)  # public parts only
    assert jwt_tokens.verify_access_token(old_token).user_id == user.id
    new_token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    assert jwt_tokens.verify_access_token(new_token).user_id == user.id

    use(monkeypatch, new)  # the old tokens have expired: drop the previous key
    assert [key["kid"] for key in jwt_tokens.public_jwks()["keys"]] == [jwt_tokens.signing_key().kid]
    with pytest.raises(TokenError) as refused:
        jwt_tokens.verify_access_token(old_token)
    assert refused.value.code == TokenErrorCode.BAD_SIGNATURE
    assert jwt_tokens.verify_access_token(new_token).user_id == user.id


def test_a_previous_key_that_is_not_a_public_key_stops_with_a_sentence(monkeypatch):
    use(monkeypatch, new_key())
    monkeypatch.setenv("JWT_PREVIOUS_PUBLIC_KEY", "not a key")
    reset_process_state()
    with pytest.raises(jwt_tokens.SigningKeyError, match="JWT_PREVIOUS_PUBLIC_KEY is not an RSA public key"):
        jwt_tokens.public_jwks()
