"""POST /auth/token, the JWKS and GET /auth/me, as an API client sees them."""

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from db_helpers import close_loop_connections
from joserfc import jwt
from joserfc.jwk import KeySet
from redis_helpers import redis_test_url
from sqlmodel import func, select

from jobspy_web.accounts import api_tokens, jwt_tokens
from jobspy_web.accounts.passwords import hash_password
from jobspy_web.api.app import build_api
from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import rate_limits
from jobspy_web.infra.cache import get_cache
from jobspy_web.models import ApiToken, AuditEvent, LoginSession, RevokedJwt, User
from jobspy_web.models.base import utcnow
from jobspy_web.models.user import Role
from jobspy_web.settings import get_settings

PASSWORD = "correct horse battery"
KEY_PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)


def reset_shared_state() -> None:
    get_settings.cache_clear()
    get_cache.cache_clear()
    rate_limits.reset_limiter()


def client_for(ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_api(), client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def api(db, monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY", KEY_PEM)
    reset_shared_state()
    async with client_for("203.0.113.10") as client:
        yield client
    await close_loop_connections()
    reset_shared_state()


@pytest.fixture
async def redis_api(db, monkeypatch):
    """The same app with cache and rate limits in Redis (other test runs may share it:
    every key here is unique to this test, through a random client IP and fresh rows)."""
    monkeypatch.setenv("JWT_PRIVATE_KEY", KEY_PEM)
    monkeypatch.setenv("REDIS_URL", redis_test_url(0))
    reset_shared_state()
    async with client_for(f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}") as client:
        yield client
    await close_loop_connections()
    reset_shared_state()


def make_user(email: str = "ada@example.com", role: Role = Role.PRO) -> User:
    with write_session() as session:
        user = User(email=email, role=role, password_hash=hash_password(PASSWORD))
        session.add(user)
    return user


def make_api_token(user: User) -> api_tokens.CreatedToken:
    with write_session() as session:
        return api_tokens.create_api_token(session=session, user=user, name="ci job")


def stored_rows() -> dict[str, int]:
    with read_session() as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (User, ApiToken, RevokedJwt, AuditEvent, LoginSession)
        }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_for(user: User, **overrides) -> dict:
    now = int(time.time())
    return {
        "iss": "jobspy-web",
        "aud": "jobspy-web-api",
        "sub": str(user.id),
        "tier": "pro",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        **overrides,
    }


# --- POST /auth/token ------------------------------------------------------------------


async def test_an_api_token_is_exchanged_for_a_bearer_jwt_that_opens_auth_me(api):
    user = make_user(role=Role.TEAM)
    created = make_api_token(user)
    response = await api.post("/auth/token", json={"api_token": created.secret})
    assert response.status_code == 200
    body = response.json()
    assert body.keys() == {"access_token", "token_type", "expires_in", "tier"}
    assert (body["token_type"], body["expires_in"], body["tier"]) == ("Bearer", 900, "team")
    assert response.headers["cache-control"] == "no-store"
    me = await api.get("/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {"id": str(user.id), "email": "ada@example.com", "tier": "team"}


async def test_email_and_password_are_exchanged_too(api):
    make_user(role=Role.FREE)
    response = await api.post("/auth/token", json={"email": " Ada@Example.com", "password": PASSWORD})
    assert response.status_code == 200 and response.json()["tier"] == "free"


async def test_the_jwt_verifies_against_the_published_jwks(api):
    created = make_api_token(make_user())
    token = (await api.post("/auth/token", json={"api_token": created.secret})).json()["access_token"]
    response = await api.get("/.well-known/jwks.json")
    assert response.status_code == 200 and "max-age" in response.headers["cache-control"]
    (key,) = response.json()["keys"]
    assert "d" not in key and key["alg"] == "RS256" and key["kid"]
    decoded = jwt.decode(token, KeySet.import_key_set(response.json()), algorithms=["RS256"])
    assert decoded.header["kid"] == key["kid"]
    registry = jwt.JWTClaimsRegistry(aud={"essential": True, "value": "jobspy-web-api"}, iss={"essential": True, "value": "jobspy-web"})
    registry.validate(decoded.claims)


async def test_every_wrong_credential_gets_the_same_401_and_stores_nothing(api):
    user = make_user()
    created, revoked = make_api_token(user), make_api_token(user)
    with write_session() as session:
        api_tokens.revoke_api_token(session=session, user=user, token_id=revoked.token_row.id)
    before = stored_rows()
    attempts = [
        {"api_token": "jsw_" + "A" * 43},
        {"api_token": "not even the right shape"},
        {"api_token": revoked.secret},
        {"email": "ada@example.com", "password": "wrong password"},
        {"email": "ghost@example.com", "password": PASSWORD},
    ]
    for attempt in attempts:
        response = await api.post("/auth/token", json=attempt)
        assert response.status_code == 401, attempt
        assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"
        assert response.json() == {"error": {"code": "INVALID_CREDENTIALS", "message": "Those credentials are not valid."}}
    assert stored_rows() == before
    with read_session() as session:
        assert session.get(ApiToken, created.token_row.id).last_used_at is None


async def test_a_deactivated_users_tokens_are_not_exchanged(api):
    user = make_user()
    created = make_api_token(user)
    with write_session() as session:
        session.get(User, user.id).is_active = False
    assert (await api.post("/auth/token", json={"api_token": created.secret})).status_code == 401
    password = await api.post("/auth/token", json={"email": "ada@example.com", "password": PASSWORD})
    assert password.status_code == 401


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        pytest.param(b"", 422, "INVALID_REQUEST", id="empty"),
        pytest.param(b"{not json", 400, "MALFORMED_JSON", id="not-json"),
        pytest.param(b"\xff\xfe", 400, "MALFORMED_JSON", id="not-utf8"),
        pytest.param(b"[]", 422, "INVALID_REQUEST", id="array"),
        pytest.param(b"{}", 422, "INVALID_REQUEST", id="no-credentials"),
        pytest.param(b'{"api_token": ""}', 422, "INVALID_REQUEST", id="empty-token"),
        pytest.param(b'{"api_token": 123}', 422, "INVALID_REQUEST", id="token-not-a-string"),
        pytest.param(b'{"api_token": ["jsw_x"]}', 422, "INVALID_REQUEST", id="token-a-list"),
        pytest.param(json.dumps({"api_token": "x" * 201}).encode(), 422, "INVALID_REQUEST", id="token-too-long"),
        pytest.param(b'{"email": "ada@example.com"}', 422, "INVALID_REQUEST", id="email-without-password"),
        pytest.param(b'{"password": "x"}', 422, "INVALID_REQUEST", id="password-without-email"),
        pytest.param(b'{"email": "a@b.c", "password": true}', 422, "INVALID_REQUEST", id="password-not-a-string"),
        pytest.param(json.dumps({"email": "a@b.c", "password": "p" * 300}).encode(), 422, "INVALID_REQUEST", id="password-too-long"),
        pytest.param(json.dumps({"email": "e" * 400, "password": "p"}).encode(), 422, "INVALID_REQUEST", id="email-too-long"),
        pytest.param(b'{"api_token": "jsw_x", "email": "a@b.c", "password": "p"}', 422, "INVALID_REQUEST", id="both-kinds"),
        pytest.param(b'{"api_token": "jsw_x", "scope": "admin"}', 422, "INVALID_REQUEST", id="unknown-field"),
        pytest.param(b"{" + b" " * 70_000 + b"}", 413, "BODY_TOO_LARGE", id="huge"),
    ],
)
async def test_bad_input_is_a_clear_4xx_and_stores_nothing(api, content, status, code):
    make_user()
    before = stored_rows()
    response = await api.post("/auth/token", content=content, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert stored_rows() == before


# --- rate limits -----------------------------------------------------------------------


async def test_one_ip_is_slowed_down_after_30_requests_a_minute(api):
    for _ in range(30):
        assert (await api.post("/auth/token", json={})).status_code == 422
    response = await api.post("/auth/token", json={})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(response.headers["retry-after"]) <= 60  # a pause, never a lockout
    async with client_for("203.0.113.99") as elsewhere:
        assert (await elsewhere.post("/auth/token", json={})).status_code == 422


async def test_guessing_one_accounts_password_is_slowed_across_token_and_browser_sign_in(api):
    make_user()
    wrong = {"email": "ada@example.com", "password": "wrong password"}
    # The account's throttle (accounts.login_throttle): five free guesses, then each waits.
    statuses = []
    for number in range(7):
        async with client_for(f"192.0.2.{number + 1}") as client:  # a different IP each time
            statuses.append((await client.post("/auth/token", json=wrong)).status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    right = await api.post("/auth/token", json={"email": "ADA@example.com", "password": PASSWORD})
    assert right.status_code == 429 and int(right.headers["retry-after"]) <= 60
    browser = await api.post("/auth/login", data={"email": "ada@example.com", "password": PASSWORD})
    assert "error=THROTTLED" in browser.headers["location"]  # a browser this account never used
    other = await api.post("/auth/token", json={"email": "bob@example.com", "password": "x"})
    assert other.status_code == 401  # other accounts are unaffected


async def test_a_looping_client_is_slowed_per_api_token(api):
    created = make_api_token(make_user())
    statuses = []
    for number in range(12):  # 10 a minute, give or take one at a minute boundary (see above)
        async with client_for(f"192.0.2.{number + 1}") as client:
            statuses.append((await client.post("/auth/token", json={"api_token": created.secret})).status_code)
    assert statuses[:9] == [200] * 9 and statuses[-1] == 429


async def test_rate_limits_and_revocation_work_with_redis(redis_api):
    user = make_user()
    created = make_api_token(user)
    token = (await redis_api.post("/auth/token", json={"api_token": created.secret})).json()["access_token"]
    assert (await redis_api.get("/auth/me", headers=bearer(token))).status_code == 200
    with write_session() as session:
        api_tokens.revoke_api_token(session=session, user=user, token_id=created.token_row.id)
    refused = await redis_api.get("/auth/me", headers=bearer(token))
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "REVOKED"
    for _ in range(29):  # 30 a minute per IP, the exchange above included
        assert (await redis_api.post("/auth/token", json={})).status_code == 422
    assert (await redis_api.post("/auth/token", json={})).status_code == 429


# --- GET /auth/me and the Bearer guard -------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "", "Basic YWRhOnB3", "Bearer", "token abc"])
async def test_no_bearer_token_is_401_with_a_bearer_challenge(api, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await api.get("/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"MISSING_TOKEN", "MALFORMED"}
    assert response.headers["www-authenticate"].startswith('Bearer realm="jobspy-web"')


def hs256_with_public_key(payload: dict) -> str:
    secret = jwt_tokens.signing_key().public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def alg_none(payload: dict) -> str:
    return f"{b64(json.dumps({'alg': 'none'}).encode())}.{b64(json.dumps(payload).encode())}."


def rs256(payload: dict) -> str:
    return jwt.encode({"alg": "RS256"}, payload, jwt_tokens.signing_key(), algorithms=["RS256"])


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        pytest.param(lambda user: "garbage", "MALFORMED", id="garbage"),
        pytest.param(lambda user: "a.b.c.d", "MALFORMED", id="four-segments"),
        pytest.param(lambda user: alg_none(claims_for(user)), "WRONG_ALGORITHM", id="alg-none"),
        pytest.param(lambda user: hs256_with_public_key(claims_for(user)), "WRONG_ALGORITHM", id="hs256-public-key"),
        pytest.param(lambda user: rs256(claims_for(user, exp=int(time.time()) - 300)), "EXPIRED", id="expired"),
        pytest.param(lambda user: rs256(claims_for(user, aud="other-api")), "WRONG_AUDIENCE", id="wrong-aud"),
        pytest.param(lambda user: rs256(claims_for(user, iss="other")), "WRONG_ISSUER", id="wrong-iss"),
    ],
)
async def test_a_bad_bearer_token_is_401_with_its_code(api, make_token, code):
    user = make_user()
    before = stored_rows()
    response = await api.get("/auth/me", headers=bearer(make_token(user)))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="jobspy-web", error="invalid_token"')
    assert stored_rows() == before


async def test_a_revoked_jti_is_401_revoked(api):
    user = make_user()
    payload = claims_for(user)
    with write_session() as session:
        jwt_tokens.revoke_jti(session=session, jti=payload["jti"], expires_at=utcnow() + timedelta(minutes=10))
    response = await api.get("/auth/me", headers=bearer(rs256(payload)))
    assert response.status_code == 401 and response.json()["error"]["code"] == "REVOKED"


async def test_auth_me_refuses_a_valid_token_of_a_deactivated_user(api):
    user = make_user()
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    with write_session() as session:
        session.get(User, user.id).is_active = False
    response = await api.get("/auth/me", headers=bearer(token))
    assert response.status_code == 401 and response.json()["error"]["code"] == "ACCOUNT_INACTIVE"
