"""`Authorization: Bearer <jwt>` for API routes: one check every protected route reuses."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from jobspy_web.accounts.jwt_tokens import (
    AccessClaims,
    TokenError,
    TokenErrorCode,
    verify_access_token,
)
from jobspy_web.api.errors import ApiError

__all__ = ["REALM", "require_jwt"]

REALM = "jobspy-web"


async def require_jwt(request: Request) -> AccessClaims:
    """The verified claims of the request's bearer token; ApiError 401 otherwise.

    The 401 carries `WWW-Authenticate: Bearer ...` (RFC 6750) and, for a token we
    refused, the TokenErrorCode as the error code (EXPIRED, REVOKED, ...).
    """
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise ApiError(
            401,
            "MISSING_TOKEN",
            "Send an access token as 'Authorization: Bearer <token>'; get one from POST /auth/token.",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    try:
        # Off the event loop: a cache miss asks the database about revocation.
        return await run_in_threadpool(verify_access_token, token.strip())
    except TokenError as error:
        raise _refusal(error.code, error.message) from None


def _refusal(code: TokenErrorCode, message: str) -> ApiError:
    # The message is ours (no quotes in it), so it is safe inside the quoted header value.
    challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="{message}"'
    return ApiError(401, code.value, message, headers={"WWW-Authenticate": challenge})
