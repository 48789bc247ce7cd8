"""How the built frontend's files are answered (pure ASGI, no web framework).

Reflex 0.10 serves the prerendered pages and `/assets/*` from `.web/build/client` with
precompressed sidecars (`frontend_compression_formats` in rxconfig.py) but without any
Cache-Control, and answers `/login` with a 307 to `/login/` (Starlette's directory
redirect): one more round trip before the first byte of every page typed or linked
without its slash. `StaticAssets` wraps the whole app and:

- marks the content-hashed build output (`/assets/<name>-<hash>.<ext>`) cacheable for a
  year and immutable: a new build gives new names, so a browser never revalidates them;
- answers a page's path without its trailing slash in place (the same prerendered
  `<page>/index.html`), when that page exists in the build and only for GET and HEAD.

Everything else (the API, Reflex's own routes, `sw.js`, `manifest.json`, the icons, the
HTML itself) is left to revalidate as before.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["IMMUTABLE", "StaticAssets", "is_hashed_asset"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

IMMUTABLE = b"public, max-age=31536000, immutable"
_HASHED = re.compile(r"/assets/[^/]+-[A-Za-z0-9_-]{8}\.[A-Za-z0-9]+")


def is_hashed_asset(path: str) -> bool:
    """`/assets/root-DW0tMWgw.js`: the build's output, named after its content (Vite's
    8-character hash before the extension)."""
    return _HASHED.fullmatch(path) is not None


class StaticAssets:
    """ASGI middleware: immutable caching for hashed assets, no slash redirect for pages."""

    def __init__(self, app: ASGIApp, static_dir: Path | Callable[[], Path]) -> None:
        self.app = app
        self._static_dir = static_dir

    @property
    def static_dir(self) -> Path:
        return self._static_dir() if callable(self._static_dir) else self._static_dir

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if is_hashed_asset(path):
            await self.app(scope, receive, _with_cache_control(send))
            return
        if _is_page_without_slash(str(self.static_dir), path):
            scope = {**scope, "path": path + "/", "raw_path": (path + "/").encode()}
        await self.app(scope, receive, send)


def _with_cache_control(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message.get("status") in (200, 304):
            headers = [(name, value) for name, value in message.get("headers", []) if name.lower() != b"cache-control"]
            message = {**message, "headers": [*headers, (b"cache-control", IMMUTABLE)]}
        await send(message)

    return sending


@lru_cache(maxsize=1024)
def _is_page_without_slash(static_dir: str, path: str) -> bool:
    # Cached per build directory and path: the build is fixed while the server runs (a
    # development rebuild adds pages only by restarting).
    if path == "/" or path.endswith("/") or "." in path.rsplit("/", 1)[-1] or ".." in path:
        return False
    index = os.path.join(static_dir, path.lstrip("/"), "index.html")
    return os.path.isfile(index)
