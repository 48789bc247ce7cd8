"""Password guesses slowed down, the owner never locked out (ASVS 2.2.1).

Every password check belongs to a bucket, and each bucket counts its failures in a row:
the first FREE_FAILURES cost nothing, then each next attempt waits 2 s, 4 s, 8 s... at most
MAX_DELAY_S after the last failure, so a bucket allows at most ~70 failed guesses an hour
(5 free, 6 while the delay grows to a minute, then one a minute). A success empties the
bucket; a bucket quiet for FORGET_AFTER starts over. While a bucket waits, its attempts are
refused without looking at the password (no oracle) and say how long to wait.

The buckets:
  account:<email>               sign-in and POST /auth/token from anywhere unknown
  device:<device id>:<email>    sign-in from a browser that signed in to this account
                                before (its known-device cookie, see `device_cookie`)
  user:<user id>                password checks of a signed-in person (change password,
                                delete account): the websocket's handlers included
So an attacker guessing from elsewhere fills `account:`, and the owner's known browser
(its own bucket) still signs in with the right password. From a new browser, the owner
can use "Forgot password": the reset link marks that browser as known, and a reset (like
any password change) ends every other session and access token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from jobspy_web.infra.local_secrets import secret_key
from jobspy_web.models import LoginThrottle
from jobspy_web.models.base import utcnow

__all__ = [
    "DEVICE_COOKIE",
    "FREE_FAILURES",
    "MAX_DELAY_S",
    "account_bucket",
    "begin_attempt",
    "delay_after",
    "device_bucket",
    "device_cookie",
    "device_for_cookie",
    "succeeded",
    "user_bucket",
]

FREE_FAILURES = 5
MAX_DELAY_S = 60
FORGET_AFTER = timedelta(hours=1)
DEVICE_COOKIE = "jobspy_device"
DEVICE_COOKIE_DAYS = 365


def account_bucket(email: str) -> str:
    return f"account:{email.strip().lower()[:180]}"


def device_bucket(device_id: str, email: str) -> str:
    return f"device:{device_id[:32]}:{email.strip().lower()[:150]}"


def user_bucket(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def delay_after(failures: int) -> int:
    """Seconds the next attempt waits after `failures` failures in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES + 1), MAX_DELAY_S)


def begin_attempt(*, session: Session, bucket: str, now: datetime | None = None) -> int:
    """Reserve one password check in `bucket`: 0 when it may go ahead (it is counted as a
    failure and committed before the password is even hashed, so parallel guesses queue
    behind each other's delays); else the whole seconds to wait (nothing is counted).
    Call `succeeded` when the password was right."""
    now = now or utcnow()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(LoginThrottle).values(bucket=bucket, failures=0, last_failure_at=now - 2 * FORGET_AFTER).on_conflict_do_nothing()
    )
    row = session.exec(select(LoginThrottle).where(LoginThrottle.bucket == bucket).with_for_update()).one()
    if now - row.last_failure_at > FORGET_AFTER:
        row.failures = 0
    remaining = (row.last_failure_at + timedelta(seconds=delay_after(row.failures)) - now).total_seconds()
    if row.failures and remaining > 0:
        session.rollback()
        return max(1, int(remaining + 0.999))
    row.failures += 1
    row.last_failure_at = now
    session.add(row)
    session.commit()
    return 0


def succeeded(*, session: Session, bucket: str) -> None:
    """The password was right: the bucket starts over."""
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.bucket) == bucket))


# --- known devices -------------------------------------------------------------------------


def _signature(device_id: str, user_id: uuid.UUID) -> str:
    message = f"{device_id}:{user_id}".encode()
    return hmac.new(secret_key().encode(), b"jobspy-web/known-device:" + message, hashlib.sha256).hexdigest()[:32]


def device_cookie(user_id: uuid.UUID, existing: str = "") -> str:
    """The known-device cookie value for a browser that just proved it knows `user_id`'s
    password (or mailbox): its device id (kept when it had one) signed for that account."""
    device_id = existing.split(".", 2)[0] if existing.count(".") == 2 else ""
    if len(device_id) != 22:
        device_id = secrets.token_urlsafe(16)
    return f"{device_id}.{user_id}.{_signature(device_id, user_id)}"


def device_for_cookie(cookie: str, user_id: uuid.UUID | None) -> str | None:
    """The device id when `cookie` says this browser is known to `user_id`; None otherwise."""
    if user_id is None or not cookie or len(cookie) > 200 or cookie.count(".") != 2:
        return None
    device_id, claimed_user, signature = cookie.split(".")
    if claimed_user != str(user_id) or not hmac.compare_digest(signature, _signature(device_id, user_id)):
        return None
    return device_id
