"""The plans people can buy: read from BILLING_PLANS (settings), priced in Stripe, and
unlocking what their tier's rules say (core.tiers), so the Pricing page, the checkout
and the limits the app enforces can't disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobspy_web.core.sites import SITES
from jobspy_web.core.tiers import Tier, rules_for
from jobspy_web.settings import PlanSetting, get_settings

__all__ = ["Plan", "all_plans", "find_plan", "plan_for_price"]


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    tier: Tier
    kind: str  # free | subscription | one_time
    interval: str | None  # month | year for subscriptions
    price_cents: int
    currency: str
    stripe_price_id: str
    license_days: int | None  # one_time plans: the license's length; None: for good

    @classmethod
    def from_setting(cls, setting: PlanSetting) -> Plan:
        return cls(
            id=setting.id,
            name=setting.name,
            tier=Tier(setting.tier),
            kind=setting.kind,
            interval=setting.interval,
            price_cents=setting.price_cents,
            currency=setting.currency,
            stripe_price_id=setting.stripe_price_id,
            license_days=setting.license_days,
        )

    @property
    def for_sale(self) -> bool:
        """Stripe can take money for it: a paid plan with its Stripe price set up (a
        one_time plan is charged by amount, so it needs no price id)."""
        return self.kind == "one_time" or (self.kind == "subscription" and bool(self.stripe_price_id))

    def as_json(self) -> dict[str, Any]:
        """The plan as GET /pricing-plans shows it: only limits something enforces."""
        rules = rules_for(self.tier)
        limits = rules.published_limits()
        limits["sites"] = list(limits["sites"])
        if self.kind == "free":
            del limits["license_machines"]  # a free plan comes with no license key
        return {
            "id": self.id,
            "name": self.name,
            "tier": self.tier.value,
            "kind": self.kind,
            "interval": self.interval or ("once" if self.kind == "one_time" else None),
            "price": {"amount_cents": self.price_cents, "currency": self.currency},
            "license_days": self.license_days,
            "features": rules.published_features(),
            "limits": limits,
        }

    def promises(self) -> list[str]:
        """What the Pricing page lists for the plan, in sentences: its published limits."""
        limits = self.as_json()["limits"]
        sites = limits["sites"]
        promises = [
            f"All {len(SITES)} job sites" if len(sites) == len(SITES) else ", ".join(SITES[site] for site in sites),
            f"Up to {limits['results_per_search']:,} results per site",
            f"{limits['exports_per_day']:,} exports a day (CSV, Excel, JSON)",
        ]
        saved, scheduled = limits["saved_searches"], "scheduled_searches" in self.as_json()["features"]
        promises.append(f"{saved:,} saved searches" + (", run on a schedule with alerts" if scheduled else ""))
        if "license_machines" in limits:
            machines = limits["license_machines"]
            promises.append(f"Desktop app on {machines} machine{'s' if machines != 1 else ''}")
        if limits["premium_views"]:
            per_minute, per_day = limits["api_calls_per_minute"], limits["api_calls_per_day"]
            promises.append(f"Salary insights: {per_minute:,} API calls a minute, {per_day:,} a day")
        return promises


def all_plans() -> list[Plan]:
    return [Plan.from_setting(setting) for setting in get_settings().billing_plans]


def find_plan(plan_id: str) -> Plan | None:
    return next((plan for plan in all_plans() if plan.id == plan_id), None)


def plan_for_price(price_id: str | None) -> Plan | None:
    """The plan a Stripe price belongs to: how a plan changed in the Customer Portal is known."""
    if not price_id:
        return None
    return next((plan for plan in all_plans() if plan.stripe_price_id == price_id), None)
