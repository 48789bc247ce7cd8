"""The desktop app's single person: one local account, signed in without a password, whose
tier is whatever its license key unlocks on this machine.

The license is checked by the desktop client (jobspy_web.client: the signed answer, this
machine's fingerprint, the kept answer offline within its grace period), never by reading
the License Server's database: the server may be far away. Each check writes the outcome
(DATA_DIR/desktop/license.json) and sets the local account's role: the license's type while
it is valid, free otherwise. Everything else (sites, limits, exports) follows the role
through accounts.entitlements, as for any account.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import platform
import secrets
import sqlite3
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from jobspy_web.accounts import login_sessions, users
from jobspy_web.client import LicenseCheck, LicenseClient, LicenseClientError, hardware_fingerprint
from jobspy_web.db import write_session
from jobspy_web.models import Role, User
from jobspy_web.settings import get_settings

__all__ = [
    "LOCAL_EMAIL",
    "LicenseStatus",
    "Preferences",
    "backup_archive",
    "check_license",
    "deactivate_this_machine",
    "ensure_local_user",
    "enter_key",
    "forget_key",
    "keep_license_checked",
    "license_status",
    "local_data_dir",
    "preferences",
    "run_free",
    "save_preferences",
    "start_local_session",
    "stored_key",
    "write_private",
]

LOCAL_EMAIL = "me@desktop.localhost"
MAX_PROXIES = 50
logger = logging.getLogger(__name__)
_ROLE_FOR_TYPE = {"pro": Role.PRO, "team": Role.TEAM}


@dataclass(frozen=True)
class LicenseStatus:
    """What the Settings page shows and the role follows."""

    state: str  # "unset" (first run), "free" (chose to), "licensed", "not_licensed", "unverified"
    key_hint: str = ""  # the key's first group, never the whole key
    license_type: str = ""
    features: list[str] = field(default_factory=list)
    expires_at: str = ""
    checked_at: str = ""  # when the License Server decided
    offline: bool = False  # from the kept answer: the server was unreachable
    message: str = ""  # why it is not licensed, or what went wrong
    fingerprint: str = ""
    machine_name: str = ""
    fell_back: bool = False  # was licensed at the previous check, is not now

    @property
    def licensed(self) -> bool:
        return self.state == "licensed"

    @property
    def tier(self) -> str:
        return self.license_type if self.licensed and self.license_type in _ROLE_FOR_TYPE else "free"


def local_data_dir() -> Path:
    return get_settings().data_dir / "desktop"


def _status_file() -> Path:
    return local_data_dir() / "license.json"


def _key_file() -> Path:
    return local_data_dir() / "license_key"


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(text)
    scratch.chmod(0o600)  # the key is a secret of this person's
    scratch.replace(path)


def license_status() -> LicenseStatus:
    """The last check's outcome; "unset" before the first run's choice."""
    try:
        return LicenseStatus(**json.loads(_status_file().read_text()))
    except (OSError, ValueError, TypeError):
        return LicenseStatus(state="unset", fingerprint=hardware_fingerprint(), machine_name=platform.node())


def stored_key() -> str:
    try:
        return _key_file().read_text().strip()
    except OSError:
        return ""


def _client() -> LicenseClient:
    server = get_settings().license_server_url
    if not server:
        raise LicenseClientError("No license server is configured (LICENSE_SERVER_URL).")
    return LicenseClient(server, cache_dir=local_data_dir() / "license-cache")


def _status_from(check: LicenseCheck, key: str) -> LicenseStatus:
    return LicenseStatus(
        state="licensed" if check.valid else "not_licensed",
        key_hint=key.split("-")[1] if key.count("-") >= 2 else "",
        license_type=check.license_type or "",
        features=list(check.features) if check.valid else [],
        expires_at=check.expires_at.isoformat() if check.expires_at else "",
        checked_at=check.checked_at.isoformat(),
        offline=check.offline,
        message="" if check.valid else (check.reason or "This license is not valid."),
        fingerprint=hardware_fingerprint(),
        machine_name=platform.node(),
    )


def _record(session: Session, status: LicenseStatus) -> LicenseStatus:
    previous = license_status()
    # Shown until licensed again or the person chooses free: later checks that fail too
    # must not hide that the app went back to free.
    if not status.licensed and status.state != "free" and (previous.licensed or previous.fell_back):
        status = LicenseStatus(**{**asdict(status), "fell_back": True})
    write_private(_status_file(), json.dumps(asdict(status)))
    user = ensure_local_user(session=session)
    role = _ROLE_FOR_TYPE.get(status.tier, Role.FREE)
    if user.role != role:
        users.set_role(session=session, user=user, role=role)
    return status


def ensure_local_user(*, session: Session) -> User:
    """The one account of this installation, made on first use (no password anyone knows)."""
    user = session.exec(select(User).where(User.email == LOCAL_EMAIL)).first()
    if user is None:
        user = users.sign_up(session=session, email=LOCAL_EMAIL, password=secrets.token_urlsafe(32), full_name="Me", verified=True)
    return user


def start_local_session(*, session: Session, launch_secret: str) -> str | None:
    """A session cookie secret for the local account, for the launcher's one-time secret only."""
    expected = get_settings().desktop_launch_secret.get_secret_value()
    if not get_settings().desktop_mode or not expected or not secrets.compare_digest(launch_secret, expected):
        return None
    return login_sessions.start_session(session=session, user=ensure_local_user(session=session), user_agent="desktop app")


def enter_key(*, session: Session, key: str) -> LicenseStatus:
    """Activate `key` on this machine and keep it; a mistyped or refused key is not kept."""
    client = _client()
    try:
        check = client.activate(key, platform.node())
    finally:
        client.close()
    status = _status_from(check, key)
    if status.licensed:
        write_private(_key_file(), key.strip())
    return _record(session, status) if status.licensed else status


def check_license(*, session: Session) -> LicenseStatus:
    """Re-validate the kept key (the background check); no key: the free choice stands."""
    key = stored_key()
    if not key:
        return license_status()
    client = _client()
    try:
        status = _status_from(client.validate(key), key)
    except LicenseClientError as error:  # unreachable with no usable kept answer, or tampered
        status = LicenseStatus(
            state="unverified",
            key_hint=key.split("-")[1] if key.count("-") >= 2 else "",
            message=str(error),
            fingerprint=hardware_fingerprint(),
            machine_name=platform.node(),
        )
    finally:
        client.close()
    return _record(session, status)


def run_free(*, session: Session) -> LicenseStatus:
    """The first run's other choice: no key, the free tier."""
    return _record(session, LicenseStatus(state="free", fingerprint=hardware_fingerprint(), machine_name=platform.node()))


def deactivate_this_machine(*, session: Session) -> LicenseStatus:
    """Give this machine's slot back to the license and run free; the key is forgotten."""
    key = stored_key()
    if key:
        client = _client()
        try:
            client.deactivate(key)
        finally:
            client.close()
    return forget_key(session=session)


def license_machines() -> list[dict[str, Any]]:
    """The machines the kept key is activated on, as the License Server lists them to this
    (bound) machine; [] without a key. LicenseClientError when it can't be had."""
    key = stored_key()
    if not key:
        return []
    client = _client()
    try:
        machines: list[dict[str, Any]] = client.machines(key).get("machines", [])
    finally:
        client.close()
    return machines


def forget_key(*, session: Session) -> LicenseStatus:
    _key_file().unlink(missing_ok=True)
    return run_free(session=session)


def describe(status: LicenseStatus) -> dict[str, Any]:
    """The status as the page shows it: a headline and a sentence."""
    when = datetime.fromisoformat(status.checked_at).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if status.checked_at else ""
    headline = {
        "unset": "No license yet",
        "free": "Free",
        "licensed": f"{status.license_type.capitalize()} license",
        "not_licensed": "Free (license not valid)",
        "unverified": "Free (license not verified)",
    }[status.state]
    return {"headline": headline, "checked": when, **asdict(status)}


# --- the background check ---


def _check_once() -> LicenseStatus:
    with write_session() as session:
        return check_license(session=session)


async def keep_license_checked() -> None:
    """Re-validate every DESKTOP_LICENSE_CHECK_SECONDS while the app runs (its lifespan task):
    a revoked or expired key falls back to free at the next check."""
    while True:
        try:
            status = await asyncio.to_thread(_check_once)  # network and SQLite: off the event loop
            if status.fell_back:
                logger.warning("desktop license no longer valid (%s): running as free", status.message)
        except Exception:  # a bug here must not stop the checks for good
            logger.exception("desktop license check failed")
        await asyncio.sleep(get_settings().desktop_license_check_seconds)


# --- preferences the launcher applies at start ---


@dataclass(frozen=True)
class Preferences:
    proxies: list[str] = field(default_factory=list)
    site_timeout_seconds: float = 120.0


def _preferences_file() -> Path:
    return local_data_dir() / "preferences.json"


def preferences() -> Preferences:
    try:
        return Preferences(**json.loads(_preferences_file().read_text()))
    except (OSError, ValueError, TypeError):
        return Preferences(site_timeout_seconds=get_settings().jobspy_site_timeout_seconds)


def save_preferences(*, proxies_text: str, site_timeout_text: str) -> Preferences:
    """Proxies one per line or comma-separated (user:pass@host:port); a timeout of 5-3600 s.
    Raises ValueError with a sentence for the page."""
    proxies = [part.strip() for part in proxies_text.replace(",", "\n").splitlines() if part.strip()]
    if len(proxies) > MAX_PROXIES or any(len(proxy) > 500 or any(char.isspace() for char in proxy) for proxy in proxies):
        raise ValueError(f"Give up to {MAX_PROXIES} proxies, one per line, like user:password@host:port.")
    try:
        timeout = float(site_timeout_text)
    except ValueError:
        raise ValueError("The per-site timeout is a number of seconds.") from None
    if not 5 <= timeout <= 3600:
        raise ValueError("The per-site timeout is between 5 and 3600 seconds.")
    chosen = Preferences(proxies=proxies, site_timeout_seconds=timeout)
    write_private(_preferences_file(), json.dumps(asdict(chosen)))
    return chosen


# --- backup ---


def backup_archive() -> bytes:
    """A zip of the local data: the database (a consistent copy, taken while the app runs),
    the preferences and the license's last answer. Never the license key itself."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        database = get_settings().sqlalchemy_url.removeprefix("sqlite:///")
        if Path(database).exists():
            copy = local_data_dir() / "backup.db"
            copy.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
                source.backup(target)
            archive.write(copy, "jobspy_web.db")
            copy.unlink()
        for path in (_preferences_file(), _status_file()):
            if path.exists():
                archive.write(path, path.name)
    return buffer.getvalue()
