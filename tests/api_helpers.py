"""What the JSON API tests share: a signed-up user's Bearer header."""

from jobspy_web.accounts import jwt_tokens, users
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.models import Role


def bearer(email: str, tier: Tier = Tier.FREE) -> dict[str, str]:
    """A new user of `tier` (their role too) and the Authorization header of their access token."""
    with write_session() as session:
        user = users.sign_up(session=session, email=email, password="correct horse battery")
        user.role = Role(tier.value)
        issued = jwt_tokens.issue_access_token(user=user, tier=tier)
    return {"Authorization": f"Bearer {issued.token}"}
