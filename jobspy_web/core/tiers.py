"""What each tier may do: the one place the UI, the API, licenses and pricing all ask."""

from __future__ import annotations

from dataclasses import dataclass
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
    exports_per_day: int  # search results downloaded as CSV, XLSX or JSON
    license_machines: int  # desktop installs one license key may run on
    features: tuple[str, ...]  # what a license of this tier unlocks, by name
    saved_searches: int  # enforced by saved_searches.store
    # The Premium API (api/premium.py): calls counted per person, views allowed or not.
    api_calls_per_minute: int
    api_calls_per_day: int
    premium_views: bool

    def published_limits(self) -> dict[str, Any]:
        """The limits the Pricing page and GET /pricing-plans may promise."""
        return {name: getattr(self, name) for name in PUBLISHED_LIMITS}

    def published_features(self) -> list[str]:
        """The features a license of this tier carries that exist today."""
        return [feature for feature in self.features if feature in PUBLISHED_FEATURES]


# Only what something enforces: search_denial (sites, results per search), export_limit
# (exports per day, counted in search.exports) and licensing (machines per license key).
# A limit joins this list in the change that enforces it, with a test that a free account
# hits it.
PUBLISHED_LIMITS = (
    "sites",
    "results_per_search",
    "exports_per_day",
    "license_machines",
    # api.premium: a tier without premium views is refused (403), the others counted per
    # minute and per day (429).
    "premium_views",
    "api_calls_per_minute",
    "api_calls_per_day",
    # saved_searches.store refuses one more past the tier's number (403, a sentence).
    "saved_searches",
)
# Licenses carry features still to be built (team seats, priority support): the desktop
# app may look for them, the Pricing page doesn't promise them. scheduled_searches: only
# tiers with it may give a saved search a schedule (saved_searches.store, runs.claim_due).
PUBLISHED_FEATURES = ("search", "all_sites", "salary_insights", "scheduled_searches")


_ALL_SITES = tuple(SITES)
_FREE = TierRules(
    sites=("indeed", "linkedin", "zip_recruiter", "glassdoor"),
    results_per_search=50,
    exports_per_day=5,
    saved_searches=3,
    api_calls_per_minute=0,
    api_calls_per_day=0,
    premium_views=False,
    license_machines=1,
    features=("search",),
)
_PRO = TierRules(
    sites=_ALL_SITES,
    results_per_search=500,
    exports_per_day=100,
    saved_searches=50,
    api_calls_per_minute=60,
    api_calls_per_day=5_000,
    premium_views=True,
    license_machines=3,
    features=("search", "all_sites", "scheduled_searches", "salary_insights", "export"),
)
_TEAM = TierRules(
    sites=_ALL_SITES,
    results_per_search=1000,
    exports_per_day=1000,
    saved_searches=500,
    api_calls_per_minute=300,
    api_calls_per_day=50_000,
    premium_views=True,
    license_machines=10,
    features=(*_PRO.features, "team_seats", "priority_support"),
)
RULES: dict[Tier, TierRules] = {Tier.FREE: _FREE, Tier.PRO: _PRO, Tier.TEAM: _TEAM, Tier.ADMIN: _TEAM}


# The search API (api/searches.py), counted per person: every call, and the searches it
# starts (each one runs scrapers). Not on the Pricing page: they only stop runaway clients.
SEARCH_API_CALLS_PER_MINUTE = {Tier.FREE: 30, Tier.PRO: 120, Tier.TEAM: 600, Tier.ADMIN: 600}
SEARCH_API_STARTS_PER_HOUR = {Tier.FREE: 10, Tier.PRO: 100, Tier.TEAM: 500, Tier.ADMIN: 500}


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


def export_limit(tier: Tier | str) -> str:
    """The tier's export allowance as a rate limit ("5/day"), counted per person."""
    return f"{rules_for(tier).exports_per_day}/day"


def export_refusal(tier: Tier | str, *, retry_after_s: int) -> str:
    """Why an export over the tier's allowance was refused, in a sentence."""
    allowed = rules_for(tier).exports_per_day
    hours = -(-retry_after_s // 3600)
    wait = f"{hours} hour{'s' if hours != 1 else ''}" if retry_after_s > 3600 else f"{-(-retry_after_s // 60)} minutes"
    upgrade = f" Pro allows {_PRO.exports_per_day}." if Tier(tier) is Tier.FREE else ""
    return f"Your plan allows {allowed} exports a day; you can export again in {wait}.{upgrade}"


RANK = (Tier.FREE, Tier.PRO, Tier.TEAM, Tier.ADMIN)
"""Lowest to highest: the higher of two tiers wins."""
