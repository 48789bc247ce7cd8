"""The built UI: hashed assets are cached for good; a page path answers without a redirect."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from jobspy_web.api.static_files import IMMUTABLE, StaticFilesMiddleware


@pytest.fixture
def site(tmp_path):
    (tmp_path / "login").mkdir()
    (tmp_path / "login" / "index.html").write_text("<h1>Sign in</h1>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app-3f9a1c.js").write_text("console.log(1)")
    (tmp_path / "manifest.json").write_text("{}")
    app = Starlette(
        routes=[
            Route("/old", lambda request: RedirectResponse("/new", status_code=307)),
            Mount("", app=StaticFiles(directory=tmp_path, html=True)),
        ],
        middleware=[Middleware(StaticFilesMiddleware)],
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_a_page_path_answers_at_once_instead_of_redirecting_to_its_slash(site):
    response = await site.get("/login?next=/history")
    assert response.status_code == 200 and response.text == "<h1>Sign in</h1>"


async def test_hashed_assets_are_immutable_and_other_files_are_not(site):
    asset = await site.get("/assets/app-3f9a1c.js")
    assert asset.status_code == 200 and asset.headers["cache-control"] == IMMUTABLE
    manifest = await site.get("/manifest.json")
    assert "immutable" not in manifest.headers.get("cache-control", "")


async def test_other_redirects_and_missing_files_pass_through(site):
    moved = await site.get("/old")
    assert moved.status_code == 307 and moved.headers["location"] == "/new"
    missing = await site.get("/assets/gone-000.js")
    assert missing.status_code == 404 and "cache-control" not in missing.headers
