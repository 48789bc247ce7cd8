"""build_api() for schemathesis' live app (tests/api/test_openapi.py): a search stops at the
queue, so a valid POST /api/searches is fuzzed too without a scrape (the internet)."""

from __future__ import annotations

import uuid

from starlette.applications import Starlette

from jobspy_web.api import searches
from jobspy_web.api.app import build_api


async def _queued_only(_search_id: uuid.UUID) -> bool:
    return True  # as if queued: no worker picks it up, nothing leaves the machine


def build_api_without_scrapes() -> Starlette:
    searches.tasks.start_search = _queued_only  # type: ignore[assignment]
    return build_api()
