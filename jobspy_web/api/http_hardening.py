"""Browser hardening for every HTTP answer, pages and API alike (pure ASGI).

- Security headers: a Content-Security-Policy the Reflex frontend (and Stripe.js on the pay
  page) works under, with frame-ancestors 'none'; X-Frame-Options DENY; nosniff;
  Referrer-Policy same-origin (a reset link's token never leaves in a Referer, while our
  own form posts keep their Origin); a Permissions-Policy turning off what we never use;
  HSTS when PUBLIC_URL is https.
- CORS closed by default: our own pages (infra.origins.page_origins) as before, with
  credentials, for Reflex's dev setup where the page and the backend are two ports; the
  browser extension's routes (/api/tracker/*, /auth/token, /auth/me,
  /premium/salary-insights) open to chrome-extension:// and
  moz-extension:// origins with a Bearer token only: no cookies (no Allow-Credentials).
  Every other origin gets no CORS header at all, and its preflights a 403.
- A read timeout on request bodies: a body that stalls BODY_CHUNK_TIMEOUT_S between chunks
  (or takes over BODY_TIMEOUT_S in all) reads as a client that went away, answered 400
  INCOMPLETE_BODY by api.errors.read_body; the connection then closes. Granian itself
  bounds the wait for a request's headers (its HTTP/1 header read timeout, 30 s).
- No Host header in redirects: a Location pointing at the request's own Host (Starlette's
  trailing-slash redirect builds it from the header) becomes a relative one.

Reflex adds its own CORSMiddleware (echoing any origin with credentials when
cors_allowed_origins is "*") through the static `App._add_cors`; `install` replaces that
one function, so this middleware sits where Reflex's did, outside every route.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobspy_web.infra.origins import page_origins
from jobspy_web.settings import Settings, get_settings

__all__ = ["EXTENSION_ORIGIN_SCHEMES", "EXTENSION_ROUTES", "HttpHardening", "content_security_policy", "install"]

# The extension's routes: the tracker, the token exchange it signs in with (an API token or a
# license key, in the body: no cookie), who the token is (its options page) and the salary band.
EXTENSION_ROUTES = ("/api/tracker/", "/auth/token", "/auth/me", "/premium/salary-insights")
EXTENSION_ORIGIN_SCHEMES = ("chrome-extension://", "moz-extension://")
_EXTENSION_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
_EXTENSION_HEADERS = "Authorization, Content-Type"
_DONE = "jobspy.http_hardening"  # set in the scope once the outermost copy has run
BODY_CHUNK_TIMEOUT_S = 15.0
BODY_TIMEOUT_S = 60.0


def content_security_policy(settings: Settings) -> str:
    connect = ["'self'", "https://api.stripe.com"]
    if settings.environment == "development":
        # `reflex run` in development: the page on :3000 talks to the backend on :8000.
        connect += ["http://localhost:*", "ws://localhost:*", "http://127.0.0.1:*", "ws://127.0.0.1:*"]
    directives = {
        "default-src": ["'self'"],
        # Reflex's build inlines its boot script and evaluates event chains (rx.call_script).
        "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'", "https://js.stripe.com"],
        "style-src": ["'self'", "'unsafe-inline'"],  # Radix and Emotion write style attributes
        "img-src": ["'self'", "data:", "blob:", "https:"],
        "font-src": ["'self'", "data:"],
        "connect-src": connect,
        "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
        "worker-src": ["'self'", "blob:"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": content_security_policy(settings),
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), usb=(), magnetometer=(), gyroscope=()",
    }
    if settings.public_url.startswith("https://"):
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


def is_extension_origin(origin: str) -> bool:
    return origin.startswith(EXTENSION_ORIGIN_SCHEMES) and len(origin) < 200 and "/" not in origin.split("://", 1)[1]


class HttpHardening:
    def __init__(self, app: ASGIApp, settings: Settings | None = None) -> None:
        self.app = app
        self.settings = settings or get_settings()
        self.added_headers = _security_headers(self.settings)
        self.page_cors = CORSMiddleware(
            app, allow_origins=page_origins(self.settings), allow_credentials=True, allow_methods=["*"], allow_headers=["*"]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(_DONE):
            await self.app(scope, receive, send)
            return
        scope[_DONE] = True
        receive = _with_read_timeout(receive)
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin", "")
        host = request_headers.get("host", "")
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in request_headers
        extension = scope["path"].startswith(EXTENSION_ROUTES) and is_extension_origin(origin)

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.added_headers:
                    if name.decode() not in headers:
                        headers.raw.append((name, value))
                if extension:
                    headers["access-control-allow-origin"] = origin
                    headers.add_vary_header("Origin")
                location = headers.get("location")
                if location and 300 <= message["status"] < 400:
                    headers["location"] = _without_host(location, host)
            await send(message)

        if extension and preflight:
            response: Response = Response(
                status_code=204,
                headers={
                    "access-control-allow-methods": _EXTENSION_METHODS,
                    "access-control-allow-headers": _EXTENSION_HEADERS,
                    "access-control-max-age": "600",
                },
            )
            await response(scope, receive, send_hardened)
            return
        if extension:
            await self.app(scope, receive, send_hardened)
            return
        if origin and origin in self.page_cors.allow_origins:
            await self.page_cors(scope, receive, send_hardened)
        elif preflight:
            await PlainTextResponse("Cross-origin requests are not allowed here.", status_code=403)(scope, receive, send_hardened)
        else:  # same-origin, or a cross-origin read the browser will withhold: no CORS header at all
            await self.app(scope, receive, send_hardened)


def _with_read_timeout(receive: Receive) -> Receive:
    """Bound the wait for the body only: once it has all arrived, later receives (a
    streaming response listening for a disconnect) wait as long as they like."""
    deadline = asyncio.get_running_loop().time() + BODY_TIMEOUT_S
    body_done = False

    async def timed_receive() -> Message:
        nonlocal body_done
        if body_done:
            return await receive()
        remaining = min(BODY_CHUNK_TIMEOUT_S, deadline - asyncio.get_running_loop().time())
        try:
            async with asyncio.timeout(max(remaining, 0.001)):
                message = await receive()
        except TimeoutError:
            body_done = True
            return {"type": "http.disconnect"}
        body_done = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return timed_receive


def _without_host(location: str, host: str) -> str:
    """A redirect to the request's own Host, made relative: the header is the client's word."""
    parts = urlsplit(location)
    if not parts.netloc or parts.netloc.lower() != host.lower():
        return location
    relative = parts.path or "/"
    if parts.query:
        relative += "?" + parts.query
    if parts.fragment:
        relative += "#" + parts.fragment
    return relative


def install(app_class: Any) -> None:
    """Make Reflex put HttpHardening where it would put its own CORSMiddleware."""

    def add_hardening(api: Any) -> None:
        api.add_middleware(HttpHardening)

    app_class._add_cors = staticmethod(add_hardening)
