"""Child-process targets for `scraping.scrape_site(..., target=...)`: big or broken scrapes
without any job site, to test the hand-over between the child and the runner."""

from __future__ import annotations

import os
import time
from typing import Any

from jobspy_web.search.scraping import Page, SiteScrape

DESCRIPTION_BYTES = 2_000


def row(site: str, index: int) -> dict[str, Any]:
    return {
        "id": f"{site}-{index}",
        "site": site,
        "job_url": f"https://{site}.example/jobs/{index}",
        "title": f"Engineer {index}",
        "company": f"Company {index % 97}",
        "location": "Austin, TX",
        "description": (f"{site} posting {index}. " * 200)[:DESCRIPTION_BYTES],
    }


def big_pages(kwargs: dict[str, Any], on_page: Any) -> SiteScrape:
    """`pages` pages of `per_page` rows (~2 kB each): several MB per message at the defaults."""
    (site,) = kwargs["site_name"]
    pages, per_page = kwargs.get("pages", 3), kwargs.get("per_page", 1500)
    rows = []
    for page in range(pages):
        batch = [row(site, page * per_page + index) for index in range(per_page)]
        rows.extend(batch)
        on_page(Page(batch))
        time.sleep(kwargs.get("pause_s", 0))
    return SiteScrape(site, rows=rows)


def pages_then_hang(kwargs: dict[str, Any], on_page: Any) -> SiteScrape:
    (site,) = kwargs["site_name"]
    on_page(Page([row(site, 0), row(site, 1)]))
    time.sleep(3600)
    raise AssertionError("unreachable")


def crash(kwargs: dict[str, Any], on_page: Any) -> SiteScrape:
    os._exit(3)
