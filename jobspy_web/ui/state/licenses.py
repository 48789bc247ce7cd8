"""The signed-in person's licenses: a new key shown once, then only its prefix; the
machines each runs on; deactivate a machine; regenerate a lost key."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import reflex as rx

from jobspy_web.billing import checkout
from jobspy_web.db import read_session, write_session
from jobspy_web.licensing import licenses
from jobspy_web.licensing.licenses import LicenseError
from jobspy_web.ui.state.billing import BillingNoticeState

_WHEN = "%Y-%m-%d %H:%M UTC"


@dataclasses.dataclass
class MachineRow:
    fingerprint: str
    short_fingerprint: str
    name: str
    app_version: str
    last_seen: str


@dataclasses.dataclass
class LicenseRow:
    id: str
    key_prefix: str
    license_type: str
    status: str
    expires: str
    machines_used: str
    machines: list[MachineRow]


@dataclasses.dataclass
class ShownKey:
    license_id: str
    license_type: str
    key: str


class LicensesState(BillingNoticeState):
    licenses: list[LicenseRow] = []
    # Keys issued while the person wasn't looking, or just regenerated: sent to the browser
    # once, then blanked in the state (AuthState._forget_shown), so never stored anywhere.
    shown_keys: list[ShownKey] = []
    licenses_message: str = ""
    licenses_error: str = ""

    @rx.event
    def load(self) -> Iterator[rx.event.EventSpec | None]:
        redirect = self.require_user()
        if redirect is not None:
            yield redirect
            return
        user_id = uuid.UUID(self.user_id)
        self._read_billing_messages(user_id)
        self.licenses_message, self.licenses_error = "", ""
        with write_session() as session:
            revealed = checkout.reveal_new_keys(session=session, user_id=user_id)
        self.shown_keys = [ShownKey(str(item.license_id), item.license_type, item.key) for item in revealed]
        self._refresh(user_id)
        yield None  # the keys reach the browser; the stored state never holds them
        self._forget_shown("shown_keys")

    def _refresh(self, user_id: uuid.UUID) -> None:
        # The primary: it follows a reveal or a change made here a moment ago.
        with read_session(fresh=True) as session:
            found = licenses.licenses_for_user(session=session, user_id=user_id)
        self.licenses = [
            LicenseRow(
                id=str(item.id),
                key_prefix=item.key_prefix,
                license_type=item.license_type,
                status=licenses.standing(item),  # the rules validate applies: expired shows expired
                expires=item.expires_at.strftime(_WHEN) if item.expires_at else "never",
                machines_used=f"{len(item.machines)} of {item.max_machines}",
                machines=[
                    MachineRow(
                        fingerprint=machine.fingerprint,
                        short_fingerprint=machine.fingerprint[:12],
                        name=machine.name or "unnamed machine",
                        app_version=machine.app_version or "",
                        last_seen=machine.last_seen_at.strftime(_WHEN),
                    )
                    for machine in item.machines
                ],
            )
            for item in found
        ]

    @staticmethod
    def _owned(user_id: uuid.UUID, license_id: str) -> uuid.UUID | None:
        """The license's id if it is this person's; None otherwise (a forged event)."""
        with read_session() as session:
            mine = {str(item.id): item.id for item in licenses.list_licenses(session=session, user_id=user_id)}
        return mine.get(license_id)

    @rx.event
    def deactivate_machine(self, license_id: str, fingerprint: str) -> None:
        user_id = self._require_user_id()
        owned = self._owned(user_id, license_id)
        code: licenses.LicenseCode | None = licenses.LicenseCode.NOT_FOUND
        if owned is not None:
            with write_session() as session:
                code = licenses.deactivate_machine(
                    session=session, license_id=owned, fingerprint=fingerprint, owner_id=user_id, actor_id=user_id
                )
        if code is None:
            self.licenses_message, self.licenses_error = "Machine deactivated: its slot is free.", ""
        else:
            self.licenses_message, self.licenses_error = "", licenses.REASONS[code]
        self._refresh(user_id)

    @rx.event
    def regenerate_key(self, license_id: str) -> Iterator[None]:
        user_id = self._require_user_id()
        owned = self._owned(user_id, license_id)
        if owned is None:
            self.licenses_error = licenses.REASONS[licenses.LicenseCode.NOT_FOUND]
            return
        try:
            with write_session() as session:
                issued = licenses.regenerate_key(session=session, license_id=owned, actor_id=user_id)
        except LicenseError as error:
            self.licenses_message, self.licenses_error = "", str(error)
            return
        assert issued.key is not None
        self.shown_keys = [ShownKey(license_id, issued.license.license_type, issued.key)]
        self.licenses_message, self.licenses_error = "New key made; the old one stopped working. Copy it now: it won't be shown again.", ""
        self._refresh(user_id)
        yield
        self._forget_shown("shown_keys")
