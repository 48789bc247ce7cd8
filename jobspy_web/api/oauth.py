"""`/auth/oauth/{provider}/start` and `/callback`: the OAuth 2 dance through authlib.

The `state` travels in a signed, short-lived, HttpOnly cookie, so the callback can prove
it answers a sign-in this browser started (CSRF), and whether it was a "connect" request.
"""

from __future__ import annotations

import secrets

from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from httpx import HTTPError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from jobspy_web.accounts import login_sessions, oauth_login
from jobspy_web.accounts.oauth_login import PROVIDERS, Outcome
from jobspy_web.api.auth_web import _redirect, _with_cookie, client_ip
from jobspy_web.db import write_session
from jobspy_web.infra.local_secrets import secret_key
from jobspy_web.settings import get_settings

STATE_COOKIE = "jobspy_oauth"
STATE_MAX_AGE_S = 600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt="jobspy-web/oauth-state")


def _client(provider: str) -> AsyncOAuth2Client:
    client_id, client_secret = oauth_login.client_credentials(provider)
    redirect_uri = f"{get_settings().public_url.rstrip('/')}/auth/oauth/{provider}/callback"
    return AsyncOAuth2Client(client_id, client_secret, scope=PROVIDERS[provider].scope, redirect_uri=redirect_uri, timeout=10)


def _provider(request: Request) -> str | None:
    name = request.path_params["provider"]
    return name if name in oauth_login.configured_providers() else None


async def start(request: Request) -> Response:
    provider = _provider(request)
    if provider is None:
        return _redirect("/login", error="OAUTH_UNAVAILABLE")
    state = secrets.token_urlsafe(24)
    linking = request.query_params.get("connect") == "1"
    async with _client(provider) as client:
        url, _ = client.create_authorization_url(PROVIDERS[provider].authorize_url, state=state)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        _serializer().dumps({"state": state, "provider": provider, "connect": linking}),
        max_age=STATE_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=get_settings().public_url.startswith("https://"),
        path="/auth/oauth",
    )
    return response


async def _profile(provider: str, client: AsyncOAuth2Client) -> tuple[str, str | None, bool]:
    """(subject, email, email_verified) as the provider vouches for them."""
    info = (await client.get(PROVIDERS[provider].userinfo_url)).raise_for_status().json()
    if provider == "google":
        return str(info["sub"]), info.get("email"), bool(info.get("email_verified"))
    emails = (await client.get("https://api.github.com/user/emails")).raise_for_status().json()
    primary = next((e for e in emails if e.get("primary") and e.get("verified")), None)
    return str(info["id"]), primary["email"] if primary else None, primary is not None


def _resolve(
    *,
    provider: str,
    subject: str,
    email: str | None,
    email_verified: bool,
    connect: bool,
    cookie_secret: str,
    ip: str,
    user_agent: str | None,
) -> tuple[Outcome, str | None] | None:
    """The sign-in's outcome and, when it signs someone in, the new session's secret;
    None for a "connect" request from a browser that is not signed in."""
    current_user_id = None
    with write_session() as session:
        if connect:
            current = login_sessions.user_for_secret(session=session, secret=cookie_secret)
            if current is None:
                return None
            current_user_id = current.id
        result = oauth_login.resolve_identity(
            session=session, provider=provider, subject=subject, email=email, email_verified=email_verified, current_user_id=current_user_id
        )
        secret = None
        if result.outcome in (Outcome.SIGNED_IN, Outcome.CREATED) and result.user is not None:
            secret = login_sessions.start_session(session=session, user=result.user, ip=ip, user_agent=user_agent)
        return result.outcome, secret


async def callback(request: Request) -> Response:
    provider = _provider(request)
    try:
        saved = _serializer().loads(request.cookies.get(STATE_COOKIE, ""), max_age=STATE_MAX_AGE_S)
    except BadSignature:
        saved = None
    if provider is None or not saved or saved["provider"] != provider or saved["state"] != request.query_params.get("state"):
        return _redirect("/login", error="OAUTH_STATE")
    if "code" not in request.query_params:  # the person said no on the provider's page
        return _redirect("/login", error="OAUTH_DENIED")
    try:
        async with _client(provider) as client:
            await client.fetch_token(PROVIDERS[provider].access_token_url, code=request.query_params["code"])
            subject, email, verified = await _profile(provider, client)
    except (OAuthError, HTTPError, KeyError, ValueError):
        return _redirect("/login", error="OAUTH_FAILED")

    # In a worker thread: the session is synchronous and would stall the event loop.
    resolved = await run_in_threadpool(
        _resolve,
        provider=provider,
        subject=subject,
        email=email,
        email_verified=verified,
        connect=bool(saved["connect"]),
        cookie_secret=request.cookies.get(login_sessions.COOKIE_NAME, ""),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if resolved is None:
        return _redirect("/login", error="OAUTH_STATE")
    outcome, secret = resolved
    targets = {
        Outcome.SIGNED_IN: ("/", {}),
        Outcome.CREATED: ("/", {"notice": "verified"}),
        Outcome.LINKED: ("/account", {}),
        Outcome.NEEDS_LINK: ("/login", {"error": "OAUTH_NEEDS_LINK", "email": email or ""}),
        Outcome.LINKED_ELSEWHERE: ("/account", {"error": "OAUTH_LINKED_ELSEWHERE"}),
        Outcome.NO_EMAIL: ("/login", {"error": "OAUTH_NO_EMAIL"}),
    }
    path, query = targets[outcome]
    response = _redirect(path, **query)
    response.delete_cookie(STATE_COOKIE, path="/auth/oauth")
    return _with_cookie(response, secret) if secret else response


routes = [
    Route("/auth/oauth/{provider}/start", start, methods=["GET"]),
    Route("/auth/oauth/{provider}/callback", callback, methods=["GET"]),
]
