"""`Authorization: Bearer <jwt>` for API routes: one check every protected route reuses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from jobspy_web.accounts import api_tokens
from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.accounts.jwt_tokens import AccessClaims, verify_access_token_async
from jobspy_web.api.errors import REALM, ApiError, bearer_challenge
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.infra import logging as app_logging

__all__ = ["REALM", "Caller", "require_bearer", "require_jwt"]


async def require_jwt(request: Request) -> AccessClaims:
    """The verified claims of the request's bearer token; a 401 otherwise.

    The 401 carries `WWW-Authenticate: Bearer ...` (RFC 6750) and, for a token we
    refused, the TokenErrorCode as the error code (EXPIRED, REVOKED, ...): a TokenError
    is answered by api.errors like every DomainError.
    """
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise ApiError(
            401,
            "MISSING_TOKEN",
            "Send an access token as 'Authorization: Bearer <token>'; get one from POST /auth/token.",
            headers={"WWW-Authenticate": bearer_challenge()},
        )
    # On the event loop when revocation and the account are remembered (the cache, one round
    # trip); a miss asks the database, in a worker thread.
    claims = await verify_access_token_async(token.strip())
    request.state.access_claims = claims  # whose call it was, for api.usage_logging
    app_logging.bind_user(claims.user_id)  # the request's later log lines say whose it is
    return claims


@dataclass(frozen=True)
class Caller:
    """Whom a request speaks for, and the tier they act with."""

    user_id: uuid.UUID
    tier: Tier


async def require_bearer(request: Request) -> Caller:
    """Like require_jwt, and a personal API token (`jsw_…`) is taken as the bearer itself:
    clients that keep one (the browser extension, scripts) need no exchange first."""
    token = request.headers.get("authorization", "").strip().partition(" ")[2].strip()
    if not token.startswith(api_tokens.SECRET_PREFIX):
        claims = await require_jwt(request)
        return Caller(user_id=claims.user_id, tier=claims.tier)
    caller = await run_in_threadpool(_api_token_caller, token)  # off the loop: a lookup and a write
    if caller is None:
        raise ApiError(
            401,
            "INVALID_TOKEN",
            "That API token is not valid: it may be revoked or mistyped.",
            headers={"WWW-Authenticate": bearer_challenge("That API token is not valid.")},
        )
    app_logging.bind_user(caller.user_id)
    return caller


def _api_token_caller(secret: str) -> Caller | None:
    with write_session() as session:
        found = api_tokens.authenticate_api_token(session=session, secret=secret)
        if found is None:
            return None
        user, _token = found
        return Caller(user_id=user.id, tier=tier_for_user(session=session, user=user))
