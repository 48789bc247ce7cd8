"""A JobSpy search on this machine, within what the license unlocks.

Every tier's searches run here, on the user's own connection; the Premium API (salary
insights, tracker sync) is client.premium's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobspy_web.client.licensing import LicenseCheck, LicenseClientError
from jobspy_web.core.tiers import Tier, rules_for
from jobspy_web.search.scraping import scrape_in_this_process


def allowed_sites(check: LicenseCheck, wanted: list[str]) -> list[str]:
    """The wanted sites this license may search; all of them with the "all_sites" feature."""
    if not check.valid or "search" not in check.features:
        raise LicenseClientError(check.reason or "This license does not include searching.")
    if "all_sites" in check.features:
        return wanted
    return [site for site in wanted if site in rules_for(Tier.FREE).sites]


def local_search(
    check: LicenseCheck,
    *,
    search_term: str,
    sites: list[str],
    location: str | None = None,
    results_wanted: int = 20,
    proxies: list[str] | None = None,
    ca_cert: Path | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows JobSpy found (one dict per job) and a sentence for each site that failed."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    permitted = allowed_sites(check, sites)
    problems += [f"{site}: not included in this license" for site in sites if site not in permitted]
    for site in permitted:
        scrape = scrape_in_this_process(
            {
                "site_name": [site],
                "search_term": search_term,
                "location": location,
                "results_wanted": results_wanted,
                "proxies": proxies,
                "ca_cert": str(ca_cert) if ca_cert else None,
            }
        )
        rows += scrape.rows
        if scrape.error:
            problems.append(f"{site}: {scrape.error}")
    return rows, problems
