"""What a user may do: the tier they act with, from their role, subscriptions and licenses."""

from __future__ import annotations

from sqlmodel import Session

from jobspy_web.billing.checkout import paid_tiers
from jobspy_web.core.tiers import RANK, Tier
from jobspy_web.models import User


def tier_for_user(*, session: Session, user: User) -> Tier:
    """The highest of the user's role, the plan of a subscription in force and the type of a
    license in force. An admin stays admin."""
    return max([Tier(user.role.value), *paid_tiers(session=session, user_id=user.id)], key=RANK.index)
