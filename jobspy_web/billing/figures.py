"""The business figures an operator watches: sign-ups, active subscriptions by plan,
licenses by status and monthly recurring revenue, read from our mirror of Stripe."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from jobspy_web.billing.checkout import ENTITLED_STATUSES
from jobspy_web.billing.plans import find_plan
from jobspy_web.models import License, Subscription, User

__all__ = ["BusinessFigures", "business_figures"]


@dataclass
class BusinessFigures:
    users: int
    active_subscriptions: dict[str, int] = field(default_factory=dict)  # by plan id
    licenses: dict[str, int] = field(default_factory=dict)  # by status
    mrr_cents: dict[str, int] = field(default_factory=dict)  # by currency


def business_figures(*, session: Session) -> BusinessFigures:
    """Counted now; MRR from each active subscription's plan price (a yearly one / 12)."""
    users = session.exec(select(func.count()).select_from(User)).one()
    licenses = {
        str(getattr(status, "value", status)): count
        for status, count in session.exec(select(License.status, func.count()).group_by(License.status))
    }
    plans: Counter[str] = Counter()
    mrr: Counter[str] = Counter()
    rows = session.exec(
        select(Subscription.plan_id, func.count()).where(col(Subscription.status).in_(ENTITLED_STATUSES)).group_by(Subscription.plan_id)
    )
    for plan_id, count in rows:
        plans[plan_id] += count
        plan = find_plan(plan_id)
        if plan is not None and plan.kind == "subscription":
            monthly = plan.price_cents if plan.interval == "month" else plan.price_cents / 12
            mrr[plan.currency] += round(monthly * count)
    return BusinessFigures(users=users, active_subscriptions=dict(plans), licenses=licenses, mrr_cents=dict(mrr))
