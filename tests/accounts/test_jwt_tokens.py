"""Access tokens: every way a token can be wrong is refused with its own code."""

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlmodel import func, select

from jobspy_web.accounts import jwt_tokens
from jobspy_web.accounts.jwt_tokens import SigningKeyError, TokenError, TokenErrorCode
from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session, write_session
from jobspy_web.models import RevokedJwt, User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import SettingsError, get_settings, load_settings, reset_process_state


def pem_of(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


# Generated once per module: making an RSA key per test would dominate the run time.
OUR_PEM = pem_of(rsa.generate_private_key(public_exponent=65537, key_size=2048))
OTHER_KEY = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
MISSING = object()


@pytest.fixture(autouse=True)
def our_key(data_dir, monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY", OUR_PEM)
    reset_process_state()
    yield


def a_user(**fields) -> User:
    return User(id=uuid.uuid4(), email="ada@example.com", **fields)


def a_stored_user(**fields) -> User:
    """A user in the database: verify_access_token checks the account behind a token."""
    user = User(id=uuid.uuid4(), email=f"ada-{uuid.uuid4().hex[:6]}@example.com", **fields)
    with write_session() as session:
        session.add(user)
    return user


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {
        "iss": "jobspy-web",
        "aud": "jobspy-web-api",
        "sub": str(uuid.uuid4()),
        "tier": "pro",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not MISSING}


def signed(payload: dict, key=None, **header) -> str:
    """RS256 with our key unless told otherwise: what a bug or a stolen key would produce."""
    return jwt.encode({"alg": "RS256", **header}, payload, key or jwt_tokens.signing_key(), algorithms=["RS256"])


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hand_built(header: dict, payload: dict, sign=lambda signing_input: b"") -> str:
    """A compact JWS built by hand, for the algorithms no library will sign for us."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def public_pem() -> bytes:
    return jwt_tokens.signing_key().public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def refusal(token) -> TokenErrorCode:
    with pytest.raises(TokenError) as caught:
        jwt_tokens.verify_access_token(token)
    assert caught.value.message  # a sentence for people, always
    return caught.value.code


# --- issue and verify ------------------------------------------------------------------


def test_an_issued_token_verifies_with_the_claims_it_was_given(db):
    user = a_stored_user()
    token_id = uuid.uuid4()
    issued = jwt_tokens.issue_access_token(user=user, tier=Tier.TEAM, api_token_id=None)
    access = jwt_tokens.verify_access_token(issued.token)
    assert (access.user_id, access.tier, access.jti, access.api_token_id) == (user.id, Tier.TEAM, issued.jti, None)
    assert issued.expires_in == 900
    assert (access.expires_at - access.issued_at) == timedelta(seconds=900)
    assert issued.tier is Tier.TEAM
    with_tid = jwt_tokens.issue_access_token(user=user, tier=Tier.FREE, api_token_id=token_id)
    # A tid naming no API token is refused: tokens can only come from live ones.
    assert refusal(with_tid.token) == TokenErrorCode.REVOKED


def test_token_carries_the_registered_claims_and_our_kid():
    issued = jwt_tokens.issue_access_token(user=a_user(), tier=Tier.PRO)
    decoded = jwt.decode(issued.token, jwt_tokens.signing_key(), algorithms=["RS256"])
    assert decoded.header["alg"] == "RS256"
    assert decoded.header["kid"] == jwt_tokens.public_jwks()["keys"][0]["kid"]
    assert {"sub", "tier", "exp", "iat", "jti", "aud", "iss"} <= decoded.claims.keys()
    assert (decoded.claims["iss"], decoded.claims["aud"]) == ("jobspy-web", "jobspy-web-api")


def test_jwks_publishes_only_the_public_key_and_clients_can_verify_with_it():
    jwks = jwt_tokens.public_jwks()
    (key,) = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & key.keys()
    issued = jwt_tokens.issue_access_token(user=a_user(), tier=Tier.PRO)
    assert jwt.decode(issued.token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims["jti"] == issued.jti


def test_ttl_comes_from_settings(monkeypatch):
    monkeypatch.setenv("JWT_TTL_SECONDS", "120")
    reset_process_state()
    assert jwt_tokens.issue_access_token(user=a_user(), tier=Tier.PRO).expires_in == 120


@pytest.mark.parametrize("ttl", ["0", "59", "3601", "forever"])
def test_ttl_is_bounded(monkeypatch, ttl):
    monkeypatch.setenv("JWT_TTL_SECONDS", ttl)
    with pytest.raises(SettingsError, match="JWT_TTL_SECONDS"):
        load_settings()


# --- refusals, one code each -----------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("", id="empty"),
        pytest.param(None, id="not-a-string"),
        pytest.param(12345, id="a-number"),
        pytest.param("a.b", id="two-segments"),
        pytest.param("a.b.c.d", id="four-segments"),
        pytest.param("!!!.???.###", id="not-base64"),
        pytest.param(b64(b"[1, 2]") + "." + b64(b"{}") + ".", id="header-not-an-object"),
        pytest.param("x" * 5000, id="too-long"),
    ],
)
def test_malformed_tokens_are_refused(token):
    assert refusal(token) == TokenErrorCode.MALFORMED


def test_alg_none_is_refused_before_any_key_is_used():
    token = hand_built({"alg": "none", "typ": "JWT"}, claims())
    assert token.endswith(".")
    assert refusal(token) == TokenErrorCode.WRONG_ALGORITHM


def test_hs256_signed_with_our_public_key_is_refused():
    # The classic confusion attack: the public key, published in the JWKS, used as an HMAC secret.
    secret = public_pem()
    token = hand_built(
        {"alg": "HS256", "typ": "JWT"},
        claims(),
        sign=lambda signing_input: hmac.new(secret, signing_input, hashlib.sha256).digest(),
    )
    assert refusal(token) == TokenErrorCode.WRONG_ALGORITHM


@pytest.mark.parametrize("alg", ["RS512", "PS256", "ES256", "HS512", "RS256 ", "rs256"])
def test_any_algorithm_but_rs256_is_refused(alg):
    assert refusal(hand_built({"alg": alg}, claims(), sign=lambda _: b"sig")) == TokenErrorCode.WRONG_ALGORITHM


def test_a_header_without_alg_is_malformed():
    assert refusal(hand_built({"typ": "JWT"}, claims(), sign=lambda _: b"sig")) == TokenErrorCode.MALFORMED


def test_rs256_signed_by_another_key_is_refused():
    assert refusal(signed(claims(), key=OTHER_KEY)) == TokenErrorCode.BAD_SIGNATURE


def test_a_tampered_payload_breaks_the_signature():
    header, _payload, signature = jwt_tokens.issue_access_token(user=a_user(), tier=Tier.FREE).token.split(".")
    upgraded = b64(json.dumps(claims(tier="admin")).encode())
    assert refusal(f"{header}.{upgraded}.{signature}") == TokenErrorCode.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        pytest.param(claims(exp=int(time.time()) - 120), TokenErrorCode.EXPIRED, id="expired"),
        pytest.param(claims(aud="someone-else"), TokenErrorCode.WRONG_AUDIENCE, id="wrong-aud"),
        pytest.param(claims(aud=["x", "y"]), TokenErrorCode.WRONG_AUDIENCE, id="wrong-aud-list"),
        pytest.param(claims(iss="evil"), TokenErrorCode.WRONG_ISSUER, id="wrong-iss"),
        pytest.param(claims(sub=MISSING), TokenErrorCode.MISSING_CLAIM, id="missing-sub"),
        pytest.param(claims(jti=MISSING), TokenErrorCode.MISSING_CLAIM, id="missing-jti"),
        pytest.param(claims(exp=MISSING), TokenErrorCode.MISSING_CLAIM, id="missing-exp"),
        pytest.param(claims(aud=MISSING), TokenErrorCode.MISSING_CLAIM, id="missing-aud"),
        pytest.param(claims(tier=MISSING), TokenErrorCode.MISSING_CLAIM, id="missing-tier"),
        pytest.param(claims(tier="platinum"), TokenErrorCode.MALFORMED, id="unknown-tier"),
        pytest.param(claims(sub="not-a-uuid"), TokenErrorCode.MALFORMED, id="sub-not-a-uuid"),
        pytest.param(claims(exp="tomorrow"), TokenErrorCode.MALFORMED, id="exp-not-a-number"),
        pytest.param(claims(iat=int(time.time()) + 3600), TokenErrorCode.MALFORMED, id="issued-in-the-future"),
    ],
)
def test_claims_are_checked_each_with_its_code(payload, code):
    assert refusal(signed(payload)) == code


def test_checks_run_in_a_fixed_order_whatever_the_claim_order():
    expired_elsewhere = {"aud": "someone-else", "iss": "evil", **claims(exp=int(time.time()) - 120)}
    assert refusal(signed(expired_elsewhere)) == TokenErrorCode.EXPIRED
    assert refusal(signed(dict(reversed(expired_elsewhere.items())))) == TokenErrorCode.EXPIRED


def test_expiry_allows_a_little_clock_skew_and_no_more(db):
    assert jwt_tokens.verify_access_token(signed(claims(sub=str(a_stored_user().id), exp=int(time.time()) - 5)))
    assert refusal(signed(claims(exp=int(time.time()) - jwt_tokens.LEEWAY_SECONDS - 5))) == TokenErrorCode.EXPIRED


# --- revocation ------------------------------------------------------------------------


def test_a_revoked_jti_is_refused_at_once_and_after_the_cache_forgets(db):
    issued = jwt_tokens.issue_access_token(user=a_stored_user(), tier=Tier.PRO)
    assert jwt_tokens.verify_access_token(issued.token)  # now cached as "not revoked"
    with write_session() as session:
        jwt_tokens.revoke_jti(session=session, jti=issued.jti, expires_at=utcnow() + timedelta(minutes=15))
    assert refusal(issued.token) == TokenErrorCode.REVOKED
    reset_process_state()
    assert refusal(issued.token) == TokenErrorCode.REVOKED


def test_revoking_twice_keeps_one_row_and_a_revocation_drops_only_expired_ones(db):
    with write_session() as session:
        jwt_tokens.revoke_jti(session=session, jti="live", expires_at=utcnow() + timedelta(minutes=5))
        jwt_tokens.revoke_jti(session=session, jti="old", expires_at=utcnow() - timedelta(hours=1))
    with write_session() as session:
        jwt_tokens.revoke_jti(session=session, jti="live", expires_at=utcnow() + timedelta(minutes=5))
    with read_session() as session:
        assert session.exec(select(RevokedJwt.jti)).all() == ["live"]
        assert session.exec(select(func.count()).select_from(RevokedJwt)).one() == 1


# --- the signing key -------------------------------------------------------------------


@pytest.fixture
def no_configured_key(monkeypatch):
    monkeypatch.delenv("JWT_PRIVATE_KEY")
    reset_process_state()


def test_dev_key_is_generated_once_private_to_us_and_reused(no_configured_key, data_dir):
    first = jwt_tokens.public_jwks()
    path = data_dir / "jwt_private.pem"
    assert path.read_text().startswith("-----BEGIN " + "PRIVATE KEY-----")  # split: no key marker in the repo
    assert os.stat(path).st_mode & 0o777 == 0o600
    jwt_tokens._load_signing_key.cache_clear()  # a restart
    assert jwt_tokens.public_jwks() == first
    assert [p.name for p in data_dir.iterdir()] == ["jwt_private.pem"]  # no temp files left


def test_production_refuses_to_generate_a_key_and_names_the_variable(no_configured_key, data_dir, monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    reset_process_state()
    with pytest.raises(SigningKeyError, match="JWT_PRIVATE_KEY"):
        jwt_tokens.issue_access_token(user=a_user(), tier=Tier.PRO)
    assert not (data_dir / "jwt_private.pem").exists()


def test_production_uses_a_configured_key(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    reset_process_state()
    assert jwt_tokens.signing_key().is_private


def test_key_can_come_from_a_file(no_configured_key, tmp_path, monkeypatch):
    path = tmp_path / "key.pem"
    path.write_text(OUR_PEM)
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(path))
    reset_process_state()
    assert jwt_tokens.signing_key().thumbprint() == RSAKey.import_key(OUR_PEM).thumbprint()


def test_a_one_line_pem_with_escaped_newlines_is_accepted(monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY", OUR_PEM.replace("\n", "\\n"))
    reset_process_state()
    assert jwt_tokens.signing_key().thumbprint() == RSAKey.import_key(OUR_PEM).thumbprint()


@pytest.mark.parametrize(
    "pem",
    [
        pytest.param("not a key", id="garbage"),
        pytest.param(pem_of(rsa.generate_private_key(public_exponent=65537, key_size=1024)), id="1024-bit"),
    ],
)
def test_an_unusable_key_is_refused_naming_the_variable(monkeypatch, pem):
    monkeypatch.setenv("JWT_PRIVATE_KEY", pem)
    reset_process_state()
    with pytest.raises(SigningKeyError, match="JWT_PRIVATE_KEY"):
        jwt_tokens.signing_key()


def test_a_missing_key_file_fails_settings_naming_the_variable(monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", "/no/such/key.pem")
    with pytest.raises(SettingsError, match="JWT_PRIVATE_KEY_FILE"):
        load_settings()


def test_the_private_key_never_shows_in_the_settings_repr():
    assert "PRIVATE KEY" not in repr(get_settings())


def test_setting_both_key_variables_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "key.pem"
    path.write_text(OUR_PEM)
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(path))
    reset_process_state()
    with pytest.raises(SigningKeyError, match="not both"):
        jwt_tokens.signing_key()
