"""How the built UI's files reach the browser: hashed assets cached for good, page paths
served without a redirect.

Vite names every file under /assets/ after a hash of its content, so a new build has new
names: those answers may be kept a year and never revalidated (`immutable`). The static
host answers `/login` with a 307 to `/login/`; a full page load paid that round trip, so
the redirect is followed here, inside the server, and the page answers at once.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
HASHED_PREFIX = "/assets/"


class StaticFilesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(HASHED_PREFIX):
            await self.app(scope, receive, _with_header(send, "cache-control", IMMUTABLE))
            return
        if path.endswith("/") or "." in path.rsplit("/", 1)[-1]:
            await self.app(scope, receive, send)
            return
        slash_redirect = f"{path}/"
        held: list[Message] = []

        async def hold_slash_redirect(message: Message) -> None:
            # A 307 to the same path with a slash is the static host's; anything else passes.
            if message["type"] == "http.response.start" and message["status"] in (307, 308):
                location = dict(message.get("headers", [])).get(b"location", b"").decode("latin-1")
                if location.split("?", 1)[0].endswith(slash_redirect):
                    held.append(message)
                    return
            if held:
                return  # the held redirect's body
            await send(message)

        await self.app(scope, receive, hold_slash_redirect)
        if held:
            await self.app({**scope, "path": slash_redirect, "raw_path": slash_redirect.encode()}, receive, send)


def _with_header(send: Send, name: str, value: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 200:
            MutableHeaders(scope=message)[name] = value
        await send(message)

    return sending
