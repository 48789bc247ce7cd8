"""What each tier may do: the one place the UI, the API, licenses and pricing all ask."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from jobspy_web.core.sites import SITES


class Tier(str, Enum):
    FREE = "free"
    PRO = "pro"
    TEAM = "team"
    ADMIN = "admin"


@dataclass(frozen=True)
class TierRules:
    sites: tuple[str, ...]
    results_per_search: int  # per site
    saved_searches: int
    exports: bool
    api_calls_per_minute: int
    api_calls_per_day: int
    premium_views: bool
    license_machines: int  # desktop installs one license key may run on
    features: tuple[str, ...]  # what a license of this tier unlocks, by name

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_ALL_SITES = tuple(SITES)
_FREE = TierRules(
    sites=("indeed", "linkedin", "zip_recruiter", "glassdoor"),
    results_per_search=50,
    saved_searches=3,
    exports=True,
    api_calls_per_minute=0,
    api_calls_per_day=0,
    premium_views=False,
    license_machines=1,
    features=("search",),
)
_PRO = TierRules(
    sites=_ALL_SITES,
    results_per_search=500,
    saved_searches=50,
    exports=True,
    api_calls_per_minute=60,
    api_calls_per_day=5_000,
    premium_views=True,
    license_machines=3,
    features=("search", "all_sites", "scheduled_searches", "salary_insights", "export"),
)
_TEAM = TierRules(
    sites=_ALL_SITES,
    results_per_search=1000,
    saved_searches=500,
    exports=True,
    api_calls_per_minute=300,
    api_calls_per_day=50_000,
    premium_views=True,
    license_machines=10,
    features=(*_PRO.features, "team_seats", "priority_support"),
)
RULES: dict[Tier, TierRules] = {Tier.FREE: _FREE, Tier.PRO: _PRO, Tier.TEAM: _TEAM, Tier.ADMIN: _TEAM}


def rules_for(tier: Tier | str) -> TierRules:
    return RULES[Tier(tier)]


def search_denial(tier: Tier | str, *, sites: list[str], results_wanted: int) -> str | None:
    """Why this tier may not run the search, in a sentence; None when it may."""
    rules = rules_for(tier)
    locked = [SITES[site] for site in sites if site not in rules.sites]
    if locked:
        return f"{', '.join(locked)} need{'s' if len(locked) == 1 else ''} a Pro plan."
    if results_wanted > rules.results_per_search:
        return f"Your plan allows up to {rules.results_per_search} results per site."
    return None


RANK = (Tier.FREE, Tier.PRO, Tier.TEAM, Tier.ADMIN)
"""Lowest to highest: the higher of two tiers wins."""
