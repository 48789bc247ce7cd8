"""The desktop app's sign-in: its launcher opens GET /desktop/start?launch=<one-time secret>,
which signs the browser (or native window) in as the local account. Mounted only in desktop
mode (DESKTOP_MODE); without the launcher's secret it answers 404 like any unknown path.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from jobspy_web.accounts import local_mode
from jobspy_web.api.auth_web import _with_cookie
from jobspy_web.api.errors import ApiError
from jobspy_web.db import write_session

# ui.routes.SETTINGS and SEARCH (the api sits below the ui, so it names the paths itself).
SETTINGS_PAGE, SEARCH_PAGE = "/settings", "/"


def _start(launch_secret: str) -> tuple[str | None, bool]:
    with write_session() as session:
        secret = local_mode.start_local_session(session=session, launch_secret=launch_secret)
    return secret, local_mode.license_status().state == "unset"


async def start(request: Request) -> Response:
    secret, first_run = await run_in_threadpool(_start, request.query_params.get("launch", "")[:200])
    if secret is None:
        raise ApiError(404, "NOT_FOUND", "Nothing here.")
    # The first run asks for a license key (or the free choice) before anything else.
    response = RedirectResponse(SETTINGS_PAGE if first_run else SEARCH_PAGE, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return _with_cookie(response, secret)


routes = [Route("/desktop/start", start, methods=["GET"])]
