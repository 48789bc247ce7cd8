"""infra.static_assets: hashed build output cached immutable, pages answered without the slash redirect."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from jobspy_web.infra.static_assets import IMMUTABLE, StaticAssets, is_hashed_asset


class _Recorder:
    """The wrapped app: remembers the path it was asked for, answers 200 with a Cache-Control of its own."""

    def __init__(self, status: int = 200) -> None:
        self.paths: list[str] = []
        self.status = status

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": self.status, "headers": [(b"cache-control", b"no-cache"), (b"etag", b"x")]})
        await send({"type": "http.response.body", "body": b""})


def _call(app: StaticAssets, path: str, method: str = "GET") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent


def _cache_control(sent: list[dict[str, Any]]) -> list[bytes]:
    return [value for name, value in sent[0]["headers"] if name == b"cache-control"]


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "login").mkdir()
    (tmp_path / "login" / "index.html").write_text("<html></html>")
    (tmp_path / "assets").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("path", "hashed"),
    [
        ("/assets/root-DW0tMWgw.js", True),
        ("/assets/_login_._index-B8Vhn4Co.js", True),
        ("/assets/__reflex_global_styles-NccINl-w.css", True),
        ("/assets/KaTeX_Main-Regular-ypZvNtVU.woff2", True),
        ("/assets/x.js", False),
        ("/assets/sub/root-DW0tMWgw.js", False),
        ("/app.css", False),
        ("/sw.js", False),
        ("/api/assets/root-DW0tMWgw.js", False),
    ],
)
def test_hashed_assets_are_the_build_output_named_after_their_content(path: str, hashed: bool):
    assert is_hashed_asset(path) is hashed


def test_a_hashed_asset_is_cached_a_year_and_immutable_in_place_of_the_servers_header(build: Path):
    inner = _Recorder()
    sent = _call(StaticAssets(inner, build), "/assets/root-DW0tMWgw.js")
    assert _cache_control(sent) == [IMMUTABLE]
    assert (b"etag", b"x") in sent[0]["headers"]  # the rest of the answer untouched


def test_a_revalidated_asset_keeps_the_header_and_a_missing_one_gets_none(build: Path):
    assert _cache_control(_call(StaticAssets(_Recorder(304), build), "/assets/root-DW0tMWgw.js")) == [IMMUTABLE]
    assert _cache_control(_call(StaticAssets(_Recorder(404), build), "/assets/gone-DW0tMWgw.js")) == [b"no-cache"]


def test_other_files_keep_revalidating(build: Path):
    for path in ("/sw.js", "/app.css", "/manifest.json", "/login/"):
        assert _cache_control(_call(StaticAssets(_Recorder(), build), path)) == [b"no-cache"]


def test_a_page_without_its_slash_is_answered_in_place_not_redirected(build: Path):
    inner = _Recorder()
    app = StaticAssets(inner, lambda: build)
    _call(app, "/login")
    _call(app, "/login/")
    assert inner.paths == ["/login/", "/login/"]


def test_only_pages_of_the_build_and_only_reads_are_rewritten(build: Path):
    inner = _Recorder()
    app = StaticAssets(inner, build)
    _call(app, "/login", method="POST")  # a form post to a page path goes where it was sent
    _call(app, "/auth/logout")  # no such page in the build: routes as before
    _call(app, "/")
    _call(app, "/login.html")
    _call(app, "/../login")
    assert inner.paths == ["/login", "/auth/logout", "/", "/login.html", "/../login"]


def test_websockets_and_lifespan_pass_through(build: Path):
    seen: list[str] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def run() -> None:
        await StaticAssets(inner, build)({"type": "websocket", "path": "/login"}, None, None)  # type: ignore[arg-type]
        await StaticAssets(inner, build)({"type": "lifespan"}, None, None)  # type: ignore[arg-type]

    asyncio.run(run())
    assert seen == ["websocket", "lifespan"]
