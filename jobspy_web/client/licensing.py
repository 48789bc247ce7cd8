"""Talk to the License Server, trust only signed answers, and keep the last one for offline use.

Trust: answers carry `License-Signature` (Ed25519 over the exact body; see
jobspy_web.licensing.signing). The client verifies it with a public key it was given
(`public_key=`, what a shipped app should do), or else with the one it fetched and pinned
on first contact. An answer that fails verification is never used or kept.

Offline: the last verified answer is kept in `cache_dir`. When the server can't be reached,
that answer still counts if it is for this machine and no older than `grace` (and, when
valid, the license hasn't expired since); its signature is checked again, so editing the
file turns it into no answer at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from jobspy_web.client.fingerprint import hardware_fingerprint
from jobspy_web.licensing.keys import parse_key

CLIENT_VERSION = "1.0.0"
DEFAULT_GRACE = timedelta(days=7)


class LicenseClientError(Exception):
    """The key is mistyped, or no trustworthy answer can be had; the message says which."""


class UntrustedAnswer(LicenseClientError):
    """An answer whose signature doesn't verify: tampered with, or not from our server."""


@dataclass(frozen=True)
class LicenseCheck:
    valid: bool
    code: str | None
    reason: str | None
    license_type: str | None
    features: tuple[str, ...]
    expires_at: datetime | None
    checked_at: datetime
    offline: bool = False  # from the kept answer, the server being unreachable

    @classmethod
    def from_answer(cls, answer: dict[str, Any], *, offline: bool = False) -> LicenseCheck:
        expires_at = answer.get("expires_at")
        return cls(
            valid=answer["valid"] is True,
            code=answer.get("code"),
            reason=answer.get("reason"),
            license_type=answer.get("license_type"),
            features=tuple(answer.get("features", ())),
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
            checked_at=datetime.fromisoformat(answer["checked_at"]),
            offline=offline,
        )


class LicenseClient:
    def __init__(
        self,
        server_url: str,
        *,
        cache_dir: Path,
        public_key: str | None = None,
        fingerprint: str | None = None,
        app_version: str = CLIENT_VERSION,
        grace: timedelta = DEFAULT_GRACE,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.cache_dir = cache_dir
        self.fingerprint = fingerprint or hardware_fingerprint()
        self.app_version = app_version
        self.grace = grace
        self._public_key = public_key
        self._http = httpx.Client(base_url=server_url, transport=transport, timeout=timeout_s)

    def validate(self, key: str) -> LicenseCheck:
        """The server's verified answer; offline, the kept one within the grace period."""
        return self._ask("/licenses/validate", key)

    def activate(self, key: str, name: str | None = None) -> LicenseCheck:
        return self._ask("/licenses/activate", key, name=name)

    def deactivate(self, key: str) -> bool:
        """Free this machine's slot; False if it held none. Forgets the kept answer."""
        canonical = self._canonical(key)
        body = self._verified(self._post("/licenses/deactivate", {"license_key": canonical, "hardware_fp": self.fingerprint}))
        self._answer_file(canonical).unlink(missing_ok=True)
        return body["deactivated"] is True

    def machines(self, key: str) -> dict[str, Any]:
        """{max_machines, machines: [{name, short_fingerprint, last_seen_at, this_machine, ...}]}
        of the license this machine is bound to (POST /licenses/machines); LicenseClientError
        if the server refuses (this machine not bound, unknown key) or can't be reached."""
        payload = {"license_key": self._canonical(key), "hardware_fp": self.fingerprint}
        try:
            listed: dict[str, Any] = self._post("/licenses/machines", payload).json()
        except httpx.TransportError:
            raise LicenseClientError("The license server can't be reached to list this license's machines.") from None
        return listed

    def close(self) -> None:
        self._http.close()

    # --- the exchange ---

    def _ask(self, path: str, key: str, **extra: Any) -> LicenseCheck:
        canonical = self._canonical(key)
        payload = {"license_key": canonical, "hardware_fp": self.fingerprint, "app_version": self.app_version, **extra}
        try:
            response = self._post(path, payload)
        except httpx.TransportError:
            return self._kept_answer(canonical)
        answer = self._verified(response)
        if answer.get("hardware_fp") != self.fingerprint:
            raise UntrustedAnswer("The server's answer is about another machine.")
        self._keep(canonical, response)
        return LicenseCheck.from_answer(answer)

    def _canonical(self, key: str) -> str:
        canonical = parse_key(key)
        if canonical is None:
            raise LicenseClientError("That is not a license key; check it for typos.")
        return canonical

    def _post(self, path: str, payload: dict[str, Any]) -> httpx.Response:
        response = self._http.post(path, json=payload)
        if response.status_code != 200:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = f"HTTP {response.status_code}"
            raise LicenseClientError(f"The license server refused the request: {message}")
        return response

    # --- signatures ---

    def _verified(self, response: httpx.Response) -> dict[str, Any]:
        return self._check_signature(response.content, response.headers.get("License-Signature", ""))

    def _check_signature(self, body: bytes, header: str) -> dict[str, Any]:
        fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
        public_key = self._trusted_key()
        key_id = hashlib.sha256(public_key.public_bytes_raw()).hexdigest()[:16]
        if fields.get("algorithm") != "ed25519" or fields.get("keyid") != key_id:
            raise UntrustedAnswer("The answer isn't signed with the license server's key.")
        try:
            public_key.verify(base64.b64decode(fields.get("signature", "")), body)
        except (InvalidSignature, ValueError):
            raise UntrustedAnswer("The answer's signature doesn't match: it was altered.") from None
        answer: dict[str, Any] = json.loads(body)
        return answer

    def _trusted_key(self) -> Ed25519PublicKey:
        if self._public_key is None:
            pinned = self.cache_dir / "public_key.json"
            if not pinned.exists():  # trust on first use, then never change
                published = self._http.get("/licenses/public-key").raise_for_status().json()
                self._write(pinned, {"public_key": published["public_key"]})
            self._public_key = json.loads(pinned.read_text())["public_key"]
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(self._public_key))

    # --- the kept answer ---

    def _answer_file(self, canonical_key: str) -> Path:
        return self.cache_dir / f"license-{hashlib.sha256(canonical_key.encode()).hexdigest()[:16]}.json"

    def _keep(self, canonical_key: str, response: httpx.Response) -> None:
        kept = {"body": response.content.decode(), "signature": response.headers["License-Signature"]}
        self._write(self._answer_file(canonical_key), kept)

    def _kept_answer(self, canonical_key: str) -> LicenseCheck:
        unavailable = LicenseClientError(
            f"The license server can't be reached and no verified answer from the last {self.grace.days} days is kept."
        )
        try:
            kept = json.loads(self._answer_file(canonical_key).read_text())
            answer = self._check_signature(kept["body"].encode(), kept["signature"])
        except (OSError, ValueError, KeyError, UntrustedAnswer, httpx.HTTPError):
            raise unavailable from None
        check = LicenseCheck.from_answer(answer, offline=True)
        now = datetime.now(UTC)
        if answer.get("hardware_fp") != self.fingerprint or now - check.checked_at > self.grace:
            raise unavailable
        if check.valid and check.expires_at is not None and now >= check.expires_at:
            return replace(check, valid=False, code="EXPIRED", reason="This license has expired.", features=())
        return check

    def _write(self, path: Path, content: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".tmp")
        scratch.write_text(json.dumps(content))
        scratch.replace(path)
