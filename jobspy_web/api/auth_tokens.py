"""Access tokens for API clients: exchange credentials, publish our key, say who you are.

POST /auth/token              {"api_token"} or {"email", "password"} -> short-lived JWT;
                              {"grant_type": "license_key", "license_key", "hardware_fp",
                              "app_version"} -> a 5-minute JWT for the license's owner and tier
GET  /.well-known/jwks.json   the public key the JWTs verify with
GET  /auth/me                 who the bearer token speaks for
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobspy_web.accounts import api_tokens, jwt_tokens, license_grant, login_throttle
from jobspy_web.accounts.jwt_tokens import IssuedToken
from jobspy_web.accounts.passwords import MAX_LENGTH as MAX_PASSWORD_CHARS
from jobspy_web.api.auth_guard import require_jwt
from jobspy_web.api.auth_web import client_ip
from jobspy_web.api.errors import ApiError, parse_body, raise_if_limited
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import rate_limits
from jobspy_web.licensing.licenses import APP_VERSION_PATTERN


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    # Optional for the first two grants (the credentials say which); required for a license key.
    grant_type: Literal["api_token", "password", "license_key"] | None = None
    api_token: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, min_length=1, max_length=320)
    password: str | None = Field(None, min_length=1, max_length=MAX_PASSWORD_CHARS)
    license_key: str | None = Field(None, min_length=1, max_length=100)
    hardware_fp: str | None = Field(None, min_length=16, max_length=128, pattern=r"^[\x21-\x7e]+$")
    app_version: str | None = Field(None, max_length=64, pattern=APP_VERSION_PATTERN)

    @model_validator(mode="after")
    def _one_kind_of_credentials(self) -> Self:
        with_license = self.license_key is not None or self.hardware_fp is not None or self.app_version is not None
        if self.grant_type == "license_key" or with_license:
            if self.grant_type != "license_key":
                raise ValueError('A license key needs "grant_type": "license_key".')
            if self.license_key is None or self.hardware_fp is None or self.app_version is None:
                raise ValueError("Send license_key, hardware_fp and app_version.")
            if self.api_token is not None or self.email is not None or self.password is not None:
                raise ValueError("Send a license key, an api_token, or email and password: one of them.")
            return self
        with_password = self.email is not None or self.password is not None
        if self.api_token is not None and with_password:
            raise ValueError("Send api_token, or email and password: not both.")
        if self.api_token is None and (self.email is None or self.password is None):
            raise ValueError("Send api_token, or both email and password.")
        if self.grant_type is not None and self.grant_type != ("api_token" if self.api_token is not None else "password"):
            raise ValueError(f"grant_type {self.grant_type} does not match the credentials sent.")
        return self


async def _limit(limit: str, *keys: str) -> None:
    raise_if_limited(await rate_limits.hit(limit, *keys))


def _exchange(body: TokenRequest) -> IssuedToken | None:
    with write_session() as session:
        if body.license_key is not None:
            assert body.hardware_fp is not None and body.app_version is not None  # the model saw to it
            return license_grant.exchange_license_key(
                session=session, key=body.license_key, fingerprint=body.hardware_fp, app_version=body.app_version
            )
        if body.api_token is not None:
            return api_tokens.exchange_api_token(session=session, secret=body.api_token)
        assert body.email is not None and body.password is not None  # the model saw to it
        # The account's throttle (accounts.login_throttle): API clients have no known-device
        # cookie, so they share the account's bucket; the owner's browser keeps its own.
        bucket = login_throttle.account_bucket(body.email)
        if wait_s := login_throttle.begin_attempt(session=session, bucket=bucket):
            sentence = f"Too many wrong passwords for this account; try again in {wait_s} seconds."
            raise ApiError(429, "THROTTLED", sentence, headers={"Retry-After": str(wait_s)})
        issued = api_tokens.exchange_password(session=session, email=body.email, password=body.password)
        if issued is not None:
            login_throttle.succeeded(session=session, bucket=bucket)
        return issued


async def issue_token(request: Request) -> JSONResponse:
    await _limit(rate_limits.TOKEN_EXCHANGE_PER_IP, "token-ip", client_ip(request))
    body = await parse_body(request, TokenRequest)
    if body.license_key is not None:
        await _limit(rate_limits.TOKEN_EXCHANGE_PER_API_TOKEN, "token-license", api_tokens.hash_secret(body.license_key.upper()))
    elif body.api_token is not None:
        # A client needs one exchange per access-token lifetime; more is a loop gone wrong.
        await _limit(rate_limits.TOKEN_EXCHANGE_PER_API_TOKEN, "token-secret", api_tokens.hash_secret(body.api_token))
    else:
        await _limit(rate_limits.LOGIN_PER_IP, "login-ip", client_ip(request))
    # Off the event loop: Argon2 takes tens of milliseconds of CPU by design.
    issued = await run_in_threadpool(_exchange, body)
    if issued is None:
        raise ApiError(401, "INVALID_CREDENTIALS", "Those credentials are not valid.")
    return JSONResponse(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "tier": issued.tier.value,
        },
        headers={"Cache-Control": "no-store"},
    )


async def jwks(_request: Request) -> JSONResponse:
    keys = await run_in_threadpool(jwt_tokens.public_jwks)  # generates the dev key on first use
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})


def _find_user(claims: jwt_tokens.AccessClaims) -> dict[str, str] | None:
    with read_session() as session:
        user = jwt_tokens.user_for_claims(session=session, claims=claims)
        return None if user is None else {"id": str(user.id), "email": user.email}


async def me(request: Request) -> JSONResponse:
    claims = await require_jwt(request)
    user = await run_in_threadpool(_find_user, claims)
    if user is None:
        raise ApiError(401, "ACCOUNT_INACTIVE", "This account was deleted or deactivated.")
    return JSONResponse({**user, "tier": claims.tier.value})


routes = [
    Route("/auth/token", issue_token, methods=["POST"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/auth/me", me, methods=["GET"]),
]
