"""Password-guess throttles: how many guesses failed in a row, per bucket (accounts.login_throttle)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from jobspy_web.models.base import UTCDateTime


class LoginThrottle(SQLModel, table=True):
    """One bucket of failed password checks: an account from unknown devices, an account
    from one known device, or the password checks of a signed-in account."""

    __tablename__ = "login_throttles"

    # e.g. "account:ada@example.com", "device:<device id>:ada@example.com", "user:<uuid>"
    bucket: str = Field(primary_key=True, max_length=200)
    failures: int = 0
    last_failure_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
