"""Browser sign-in: HTML form posts that set or clear the HttpOnly session cookie.

Forms (not websocket events) do this because only an HTTP response can set an HttpOnly
cookie; the Reflex state then reads that cookie from the websocket's request headers.
Each route answers with a 303 back to a page, carrying an error *code* (never free text,
so a crafted link can't put words on our page); the page shows the domain's sentence for
that code (`AccountError.sentence_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from jobspy_web.accounts import login_sessions, login_throttle, users
from jobspy_web.accounts.users import AccountError
from jobspy_web.api.errors import read_form
from jobspy_web.db import write_session
from jobspy_web.infra import rate_limits
from jobspy_web.infra.origins import client_address, origin_of, page_origins
from jobspy_web.settings import get_settings

MAX_FIELD = 1000


def client_ip(request: Request) -> str:
    """The client's address; behind FORWARDED_ALLOW_IPS proxies, the forwarded one."""
    peer = request.client.host if request.client else None
    trusted = get_settings().forwarded_allow_ips
    # Headers are read only behind a proxy: the License Server asks this on every request.
    forwarded_for = request.headers.get("x-forwarded-for", "") if trusted else ""
    return client_address(peer, forwarded_for, trusted)


def _redirect(path: str, **query: str) -> RedirectResponse:
    shown = {key: value for key, value in query.items() if value}
    return RedirectResponse(f"{path}?{urlencode(shown)}" if shown else path, status_code=303)


def _safe_next(target: str) -> str:
    # Only same-site paths: "//evil.example" or "https://evil.example" would be an open redirect.
    return target if target.startswith("/") and not target.startswith("//") else "/"


def same_origin(request: Request) -> bool:
    """CSRF check for cookie-authenticated posts: the browser's Origin must be ours."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # non-browser clients send neither; the cookie is SameSite=Lax anyway
    # The whole origin, scheme included: http://ours posting to https://ours is not us.
    # In production only PUBLIC_URL's origin counts; in development also the address the
    # request came to (tests, a laptop's LAN address).
    claimed, settings = origin_of(origin), get_settings()
    if claimed in page_origins(settings):
        return True
    return settings.environment == "development" and bool(claimed) and claimed == origin_of(str(request.base_url))


async def _form(request: Request) -> dict[str, str]:
    # Bounded and checked (api.errors.read_form): a NUL would reach PostgreSQL as a 500.
    return {key: value[:MAX_FIELD] for key, value in (await read_form(request)).items()}


def _from_page(request: Request, form: dict[str, str], name: str) -> str:
    """A hidden field's value, or the same parameter of the page the form was on: a form
    sent before the page finished loading has its hidden fields still empty."""
    if form.get(name):
        return form[name]
    referer = urlsplit(request.headers.get("referer", ""))
    return parse_qs(referer.query).get(name, [""])[0][:MAX_FIELD]


def _with_cookie(response: Response, secret: str) -> Response:
    """The session cookie, and beside it the signed-in hint (login_sessions.HINT_COOKIE_NAME):
    not HttpOnly, no secret, it grants nothing; "/" reads it before the websocket so a
    signed-in person sees a spinner, not the landing, while the server checks the session."""
    secure = get_settings().public_url.startswith("https://")
    max_age = get_settings().session_days * 86400
    response.set_cookie(login_sessions.COOKIE_NAME, secret, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")
    response.set_cookie(login_sessions.HINT_COOKIE_NAME, "1", max_age=max_age, httponly=False, samesite="lax", secure=secure, path="/")
    return response


def _without_cookie(response: Response) -> Response:
    response.delete_cookie(login_sessions.COOKIE_NAME, path="/")
    response.delete_cookie(login_sessions.HINT_COOKIE_NAME, path="/")
    return response


async def _too_many(limit: str, *identifiers: str) -> bool:
    return not (await rate_limits.hit(limit, *identifiers)).allowed


# The work of each form runs in a worker thread: Argon2 takes tens of milliseconds of
# CPU by design, a mail may wait on an SMTP server, and the sessions are synchronous.


def _sign_up(form: dict[str, str], ip: str) -> None:
    """A new account (its confirmation link mailed), or, for an address that has one, a mail
    to its owner: the same work either way, and nobody is signed in here."""
    with write_session() as session:
        users.sign_up_from_the_web(
            session=session,
            email=form.get("email", ""),
            password=form.get("password", ""),
            full_name=form.get("full_name", ""),
            ip=ip,
        )


async def sign_up(request: Request) -> Response:
    if not same_origin(request):
        return _redirect("/signup", error="CSRF")
    form = await _form(request)
    if await _too_many(rate_limits.SIGNUP_PER_IP, "signup-ip", client_ip(request)):
        return _redirect("/signup", error="SIGNUP_RATE_LIMITED")  # its window is an hour, not a minute
    try:
        await run_in_threadpool(_sign_up, form, client_ip(request))
    except AccountError as error:  # the page shows the domain's sentence for the code
        return _redirect("/signup", error=error.code_text, email=form.get("email", "")[:320])
    # One answer for a new and a taken address (status, headers, no cookie, body): a session
    # cookie for new accounts only would tell who has one. The mailed link signs in.
    return _redirect("/login", notice="check_email")


@dataclass(frozen=True)
class _SignIn:
    secret: str = ""  # the new session's, when the password was right
    device: str = ""  # the known-device cookie to set then
    wait_s: int = 0  # the account's throttle says: try again in this many seconds


def _log_in(email: str, password: str, ip: str, user_agent: str | None, device_cookie: str) -> _SignIn:
    """A sign-in through the account's throttle (accounts.login_throttle): a known browser
    of this account has a bucket of its own, so guesses from elsewhere never lock it out."""
    with write_session() as session:
        known = users.find_user(session=session, email=email)
        device = login_throttle.device_for_cookie(device_cookie, known.id if known else None)
        bucket = login_throttle.device_bucket(device, email) if device else login_throttle.account_bucket(email)
        wait_s = login_throttle.begin_attempt(session=session, bucket=bucket)
        if wait_s:
            return _SignIn(wait_s=wait_s)
        user = users.authenticate(session=session, email=email, password=password)
        if user is None:
            users.record_login_failure(session=session, email=email, ip=ip, user_agent=user_agent)
            return _SignIn()
        login_throttle.succeeded(session=session, bucket=bucket)
        secret = login_sessions.start_session(session=session, user=user, ip=ip, user_agent=user_agent)
        return _SignIn(secret=secret, device=login_throttle.device_cookie(user.id, device_cookie))


async def log_in(request: Request) -> Response:
    form = await _form(request)
    next_path = _safe_next(_from_page(request, form, "next"))
    if not same_origin(request):
        return _redirect("/login", error="CSRF")
    email, ip = form.get("email", "").strip().lower(), client_ip(request)
    # Per IP against spraying; per account, the throttle in _log_in against guessing one password.
    if await _too_many(rate_limits.LOGIN_PER_IP, "login-ip", ip):
        return _redirect("/login", error="RATE_LIMITED", email=email[:320])
    device_cookie = request.cookies.get(login_throttle.DEVICE_COOKIE, "")
    outcome = await run_in_threadpool(_log_in, email, form.get("password", ""), ip, request.headers.get("user-agent"), device_cookie)
    if outcome.wait_s:
        return _redirect("/login", error="THROTTLED", email=email[:320], next=next_path, wait=str(outcome.wait_s))
    if not outcome.secret:
        return _redirect("/login", error="INVALID_CREDENTIALS", email=email[:320], next=next_path)
    return _with_device(_with_cookie(_redirect(next_path), outcome.secret), outcome.device)


def _with_device(response: Response, device: str) -> Response:
    """Mark this browser as known to the account it just proved (long-lived, HttpOnly)."""
    if device:
        response.set_cookie(
            login_throttle.DEVICE_COOKIE,
            device,
            max_age=login_throttle.DEVICE_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=get_settings().public_url.startswith("https://"),
            path="/auth",
        )
    return response


def _log_out(secret: str) -> None:
    with write_session() as session:
        login_sessions.end_session(session=session, secret=secret)


async def log_out(request: Request) -> Response:
    if same_origin(request):
        await run_in_threadpool(_log_out, request.cookies.get(login_sessions.COOKIE_NAME, ""))
    return _without_cookie(_redirect("/login", notice="signed_out"))


def _forgot_password(email: str, ip: str) -> None:
    with write_session() as session:
        users.request_password_reset(session=session, email=email, ip=ip)


async def forgot_password(request: Request) -> Response:
    form = await _form(request)
    if same_origin(request) and not await _too_many(rate_limits.RESET_PER_IP, "reset-ip", client_ip(request)):
        await run_in_threadpool(_forgot_password, form.get("email", ""), client_ip(request))
    return _redirect("/login", notice="reset_sent")


def _reset_password(token: str, new_password: str, ip: str, device_cookie: str) -> str:
    """The reset done; the known-device cookie for this browser (it proved the mailbox)."""
    with write_session() as session:
        user = users.reset_password(session=session, token=token, new_password=new_password, ip=ip)
        login_throttle.succeeded(session=session, bucket=login_throttle.account_bucket(user.email))
        return login_throttle.device_cookie(user.id, device_cookie)


async def reset_password(request: Request) -> Response:
    form = await _form(request)
    token = _from_page(request, form, "token")
    if not same_origin(request) or await _too_many(rate_limits.RESET_PER_IP, "reset-ip", client_ip(request)):
        return _redirect("/reset", error="RATE_LIMITED", token=token)
    try:
        device = await run_in_threadpool(
            _reset_password, token, form.get("password", ""), client_ip(request), request.cookies.get(login_throttle.DEVICE_COOKIE, "")
        )
    except AccountError as error:
        return _redirect("/reset", error=error.code_text, token=token)
    return _with_device(_redirect("/login", notice="password_reset"), device)


def _verify_email(token: str, ip: str, user_agent: str | None, device_cookie: str) -> _SignIn:
    """The address confirmed and, for an active account, a new session: the link proves the
    mailbox, as a reset link does, and is single-use (a second click is USED_LINK)."""
    with write_session() as session:
        user = users.verify_email(session=session, token=token)
        if not user.is_active:
            return _SignIn()
        secret = login_sessions.start_session(session=session, user=user, ip=ip, user_agent=user_agent)
        return _SignIn(secret=secret, device=login_throttle.device_cookie(user.id, device_cookie))


async def verify_email(request: Request) -> Response:
    try:
        outcome = await run_in_threadpool(
            _verify_email,
            request.query_params.get("token", "")[:MAX_FIELD],
            client_ip(request),
            request.headers.get("user-agent"),
            request.cookies.get(login_throttle.DEVICE_COOKIE, ""),
        )
    except AccountError as error:
        return _redirect("/login", error=error.code_text)
    verified = _redirect("/", notice="verified")
    return _with_device(_with_cookie(verified, outcome.secret), outcome.device) if outcome.secret else verified


routes = [
    Route("/auth/signup", sign_up, methods=["POST"]),
    Route("/auth/login", log_in, methods=["POST"]),
    Route("/auth/logout", log_out, methods=["POST"]),
    Route("/auth/forgot", forgot_password, methods=["POST"]),
    Route("/auth/reset", reset_password, methods=["POST"]),
    Route("/auth/verify", verify_email, methods=["GET"]),
]
