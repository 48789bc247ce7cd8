"""The Premium API: GET /premium/salary-insights (Bearer JWT, tiers with premium views).

In order: the token (401), the tier (403 PREMIUM_REQUIRED with the upgrade URL), the tier's
per-minute and per-day budgets shared in Redis (429 with Retry-After; RateLimit-* headers on
every answer past this point), the query (422 naming unknown or invalid parameters), the
24-hour cache under the normalised query, then insights.service on a miss. Answers carry an
ETag; `If-None-Match` with it gets a 304.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobspy_web.accounts.jwt_tokens import AccessClaims
from jobspy_web.api.auth_guard import require_jwt
from jobspy_web.api.errors import ApiError
from jobspy_web.api.usage_logging import logged
from jobspy_web.core import tiers
from jobspy_web.core.errors import DomainError
from jobspy_web.infra import rate_limits
from jobspy_web.insights import service
from jobspy_web.insights.query import parse_query
from jobspy_web.settings import get_settings

__all__ = ["rate_limit_checks", "routes"]

CLIENT_MAX_AGE_S = 3600  # a client may reuse an answer this long, then revalidate with its ETag
PRICING_PATH = "/pricing"  # ui.routes.PRICING (the api layer doesn't import the ui)


def rate_limit_checks(claims: AccessClaims) -> list[rate_limits.Check]:
    rules = tiers.rules_for(claims.tier)
    who = str(claims.user_id)
    return [
        rate_limits.Check(f"{rules.api_calls_per_minute}/minute", ("premium-minute", who)),
        rate_limits.Check(f"{rules.api_calls_per_day}/day", ("premium-day", who)),
    ]


def _rate_limit_headers(windows: list[rate_limits.Window]) -> dict[str, str]:
    # The IETF draft's three fields for the window closest to refusing; the policy lists both.
    tightest = min(windows, key=lambda window: (window.allowed, window.remaining))
    return {
        "RateLimit-Limit": str(tightest.limit),
        "RateLimit-Remaining": str(max(0, tightest.remaining)),
        "RateLimit-Reset": str(tightest.reset_s),
        "RateLimit-Policy": ", ".join(f"{window.limit};w={60 if index == 0 else 86400}" for index, window in enumerate(windows)),
    }


def _premium_required() -> JSONResponse:
    upgrade_url = get_settings().public_url + PRICING_PATH
    message = f"Salary insights come with a Pro or Team plan; upgrade at {upgrade_url}."
    return JSONResponse({"error": {"code": "PREMIUM_REQUIRED", "message": message, "upgrade_url": upgrade_url}}, status_code=403)


async def _answer(request: Request) -> service.CachedAnswer:
    query = parse_query(request.query_params.multi_items())  # InsightsError: a 422 naming fields
    normalised = await service.normalised_async(query)
    return await service.cached_answer(normalised)


async def salary_insights(request: Request) -> Response:
    claims = await require_jwt(request)
    if not tiers.rules_for(claims.tier).premium_views:
        return _premium_required()
    windows = await rate_limits.hit_windows(rate_limit_checks(claims))
    headers = _rate_limit_headers(windows)
    if not windows[-1].allowed:
        retry = str(windows[-1].reset_s)
        message = (
            f"Your plan allows {windows[-1].limit} calls per {'minute' if len(windows) == 1 else 'day'}; try again in {retry} seconds."
        )
        raise ApiError(429, "RATE_LIMITED", message, headers={**headers, "Retry-After": retry})
    try:
        answer = await _answer(request)
    except DomainError as error:  # a 422 for the query: answered as api.errors would, with the headers
        raise ApiError(error.status, error.code_text, error.message, fields=error.fields, headers=headers) from None
    headers |= {"ETag": answer.etag, "Cache-Control": f"private, max-age={CLIENT_MAX_AGE_S}", "Vary": "Authorization"}
    if answer.etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type="application/json", headers=headers)


routes = [logged(Route("/premium/salary-insights", salary_insights, methods=["GET"]))]
