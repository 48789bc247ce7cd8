"""Access tokens for API clients: exchange credentials, publish our key, say who you are.

POST /auth/token              {"api_token"} or {"email", "password"} -> short-lived JWT
GET  /.well-known/jwks.json   the public key the JWTs verify with
GET  /auth/me                 who the bearer token speaks for
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobspy_web.accounts import api_tokens, jwt_tokens
from jobspy_web.accounts.jwt_tokens import IssuedToken
from jobspy_web.accounts.passwords import MAX_LENGTH as MAX_PASSWORD_CHARS
from jobspy_web.api.auth_guard import require_jwt
from jobspy_web.api.auth_web import client_ip
from jobspy_web.api.errors import ApiError, parse_body, raise_if_limited
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import rate_limits


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    api_token: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, min_length=1, max_length=320)
    password: str | None = Field(None, min_length=1, max_length=MAX_PASSWORD_CHARS)

    @model_validator(mode="after")
    def _one_kind_of_credentials(self) -> Self:
        with_password = self.email is not None or self.password is not None
        if self.api_token is not None and with_password:
            raise ValueError("Send api_token, or email and password: not both.")
        if self.api_token is None and (self.email is None or self.password is None):
            raise ValueError("Send api_token, or both email and password.")
        return self


async def _limit(limit: str, *keys: str) -> None:
    raise_if_limited(await rate_limits.hit(limit, *keys))


def _exchange(body: TokenRequest) -> IssuedToken | None:
    with write_session() as session:
        if body.api_token is not None:
            return api_tokens.exchange_api_token(session=session, secret=body.api_token)
        assert body.email is not None and body.password is not None  # the model saw to it
        return api_tokens.exchange_password(session=session, email=body.email, password=body.password)


async def issue_token(request: Request) -> JSONResponse:
    await _limit(rate_limits.TOKEN_EXCHANGE_PER_IP, "token-ip", client_ip(request))
    body = await parse_body(request, TokenRequest)
    if body.api_token is not None:
        # A client needs one exchange per access-token lifetime; more is a loop gone wrong.
        await _limit(rate_limits.TOKEN_EXCHANGE_PER_API_TOKEN, "token-secret", api_tokens.hash_secret(body.api_token))
    else:
        await _limit(rate_limits.LOGIN_PER_ACCOUNT, *rate_limits.login_account_bucket(body.email or ""))
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
