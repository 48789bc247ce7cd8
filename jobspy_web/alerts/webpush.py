"""Web Push to the installed PWA: VAPID keys (VAPID_PRIVATE_KEY, or generated into DATA_DIR) and sending.

The browser subscribes with the public key (`application_server_key`) only after the person
turns push on; each alert is sent, encrypted (aes128gcm), to every browser they subscribed.
A subscription the push service says is gone (404/410) is dropped.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlmodel import Session, select

from jobspy_web.infra.local_secrets import write_private_file
from jobspy_web.models import PushSubscription
from jobspy_web.settings import from_settings, get_settings

KEY_FILE = "vapid_private.pem"
TIMEOUT_S = 10


class PushFailed(RuntimeError):
    """Every subscription of the person refused or failed."""


@from_settings
def vapid_key() -> Vapid02:
    settings = get_settings()
    pem = settings.vapid_private_key.get_secret_value()
    if not pem:
        path = Path(settings.data_dir) / KEY_FILE
        if not path.exists():
            fresh = Vapid02()
            fresh.generate_keys()
            write_private_file(path, fresh.private_pem())
        pem = path.read_text()
    return Vapid02.from_pem(pem.encode())


def application_server_key() -> str:
    """The public key the browser subscribes with (uncompressed point, base64url)."""
    raw = vapid_key().public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subscribe(*, session: Session, user_id: uuid.UUID, subscription: dict[str, Any]) -> PushSubscription:
    """Keep a browser's PushSubscription (its JSON: endpoint and keys.p256dh/auth)."""
    endpoint, keys = str(subscription["endpoint"]), subscription["keys"]
    found = session.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint)).first()
    kept = found or PushSubscription(user_id=user_id, endpoint=endpoint, p256dh="", auth="")
    kept.user_id, kept.p256dh, kept.auth = user_id, str(keys["p256dh"]), str(keys["auth"])
    session.add(kept)
    session.flush()
    return kept


def subscriptions(*, session: Session, user_id: uuid.UUID) -> list[PushSubscription]:
    return list(session.exec(select(PushSubscription).where(PushSubscription.user_id == user_id)))


def send(subscription: PushSubscription, payload: dict[str, Any]) -> bool:
    """Send one notification; False when the subscription is gone (the caller drops it)."""
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        webpush(
            subscription_info=info,  # type: ignore[arg-type]
            data=json.dumps(payload),
            vapid_private_key=vapid_key(),
            vapid_claims={"sub": get_settings().vapid_subject},
            timeout=TIMEOUT_S,
        )
    except WebPushException as error:
        status = getattr(error.response, "status_code", None)
        if status in (404, 410):
            return False
        raise PushFailed(f"the push service answered {status or 'nothing'}") from None
    return True
