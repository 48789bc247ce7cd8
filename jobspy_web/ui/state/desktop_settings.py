"""The desktop app's Settings page: its license (enter a key, run free, check now, deactivate
this machine), proxies and per-site timeout, the data folder and a backup of it. The work is
accounts.local_mode's; the state shows it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from jobspy_web.accounts import local_mode, local_premium
from jobspy_web.client import LicenseClientError
from jobspy_web.db import write_session
from jobspy_web.settings import get_settings
from jobspy_web.ui.state.auth import AuthState


def _in_session(action: Callable[..., local_mode.LicenseStatus], **arguments: Any) -> local_mode.LicenseStatus:
    with write_session() as session:
        return action(session=session, **arguments)


class DesktopSettingsState(AuthState):
    license_state: str = "unset"
    headline: str = ""
    license_type: str = ""
    features: list[str] = []
    expires: str = ""
    checked: str = ""
    offline: bool = False
    license_message: str = ""
    fell_back: bool = False
    key_hint: str = ""
    fingerprint: str = ""
    machine_name: str = ""
    busy: bool = False
    settings_notice: str = ""
    settings_problem: str = ""
    proxies_text: str = ""
    site_timeout_text: str = ""
    data_folder: str = ""
    insight_band: str = ""
    insight_detail: str = ""
    insight_problem: str = ""
    synced_at: str = ""
    sync_counts: str = ""
    sync_notes: list[str] = []
    sync_problem: str = ""
    machines: list[dict[str, str]] = []  # the license's machines, from the License Server
    machines_problem: str = ""

    def _show(self, status: local_mode.LicenseStatus) -> None:
        shown = local_mode.describe(status)
        self.license_state = status.state
        self.headline = shown["headline"]
        self.license_type = status.license_type
        self.features = list(status.features)
        self.expires = status.expires_at[:10] if status.expires_at else ("never" if status.licensed else "")
        self.checked = shown["checked"]
        self.offline = status.offline
        self.license_message = status.message
        self.fell_back = status.fell_back
        self.key_hint = status.key_hint
        self.fingerprint = status.fingerprint[:12]
        self.machine_name = status.machine_name

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        redirect = self.require_user()
        if redirect is not None:
            return redirect
        self.settings_notice, self.settings_problem = "", ""
        self._show(local_mode.license_status())
        chosen = local_mode.preferences()
        self.proxies_text = "\n".join(chosen.proxies)
        self.site_timeout_text = f"{chosen.site_timeout_seconds:g}"
        self.data_folder = str(get_settings().data_dir.resolve())
        self._show_sync(local_premium.last_sync())
        return DesktopSettingsState.refresh_machines if local_mode.stored_key() else None

    @rx.event(background=True)
    async def refresh_machines(self) -> None:
        """Every machine the key is activated on (the License Server is over the network: off the loop)."""
        try:
            listed = await asyncio.to_thread(local_mode.license_machines)
        except LicenseClientError as error:
            async with self:
                self.machines, self.machines_problem = [], str(error)
            return
        async with self:
            self.machines, self.machines_problem = [_machine_row(machine) for machine in listed], ""

    def _show_sync(self, report: local_premium.SyncReport) -> None:
        self.synced_at = report.synced_at.replace("T", " ")[:16] + " UTC" if report.synced_at else ""
        self.sync_counts = (
            f"jobs {report.sent} sent, {report.received} received; "
            f"saved searches {report.searches_sent} sent, {report.searches_received} received"
            if report.synced_at
            else ""
        )
        self.sync_notes = list(report.notes)

    async def _run(self, action: Callable[..., local_mode.LicenseStatus], done: str, **arguments: Any) -> AsyncIterator[Any]:
        async with self:
            self.busy, self.settings_notice, self.settings_problem = True, "", ""
        try:
            # The License Server is over the network and the database is SQLite: off the loop.
            status = await asyncio.to_thread(_in_session, action, **arguments)
        except LicenseClientError as error:
            async with self:
                self.busy, self.settings_problem = False, str(error)
            return
        async with self:
            self.busy = False
            self._show(status)
            if status.state in ("licensed", "free") or action is not local_mode.enter_key:
                self.settings_notice = done
            else:
                self.settings_problem = status.message
            self._current_user()  # the tier the header and pages show follows the new role
            if not status.licensed:
                self.machines = []
        yield DesktopSettingsState.refresh_machines if status.licensed else None

    @rx.event(background=True)
    async def enter_key(self, form: dict[str, str]) -> AsyncIterator[Any]:
        key = (form.get("license_key") or "").strip()[:100]
        async for then in self._run(local_mode.enter_key, "License activated on this machine.", key=key):
            yield then

    @rx.event(background=True)
    async def run_free(self) -> AsyncIterator[Any]:
        async for then in self._run(local_mode.run_free, "Running as free. You can enter a key here any time."):
            yield then

    @rx.event(background=True)
    async def check_now(self) -> AsyncIterator[Any]:
        async for then in self._run(local_mode.check_license, "Checked with the license server."):
            yield then

    @rx.event(background=True)
    async def deactivate(self) -> AsyncIterator[Any]:
        async for then in self._run(local_mode.deactivate_this_machine, "This machine is deactivated; its slot is free again."):
            yield then

    @rx.event
    def save_preferences(self, form: dict[str, str]) -> None:
        self.settings_notice, self.settings_problem = "", ""
        try:
            chosen = local_mode.save_preferences(proxies_text=form.get("proxies", ""), site_timeout_text=form.get("site_timeout", ""))
        except ValueError as error:
            self.settings_problem = str(error)
            return
        self.proxies_text = "\n".join(chosen.proxies)
        self.site_timeout_text = f"{chosen.site_timeout_seconds:g}"
        self.settings_notice = "Saved. Proxies and the timeout apply from the next start of the app."

    @rx.event
    def download_backup(self) -> rx.event.EventSpec:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        return rx.download(data=local_mode.backup_archive(), filename=f"jobspy-desktop-backup-{stamp}.zip")

    @rx.event(background=True)
    async def show_insights(self, form: dict[str, str]) -> None:
        title, location = (form.get("title") or "").strip()[:200], (form.get("location") or "").strip()[:200]
        async with self:
            self.busy, self.insight_band, self.insight_detail, self.insight_problem = True, "", "", ""
        try:
            answer = await asyncio.to_thread(local_premium.salary_insights, title=title, location=location or None)
        except LicenseClientError as error:
            async with self:
                self.busy, self.insight_problem = False, str(error)
            return
        yearly, currency = answer.get("yearly") or {}, answer.get("currency", "USD")
        async with self:
            self.busy = False
            if yearly.get("p25") is None or yearly.get("p75") is None:
                self.insight_band = "Not enough postings with pay for this title and place yet."
            else:
                self.insight_band = f"{yearly['p25']:,.0f}–{yearly['p75']:,.0f} {currency} a year (median {yearly.get('p50') or 0:,.0f})"
            self.insight_detail = f"From {answer.get('sample_size', 0)} postings with pay out of {answer.get('postings', 0)}."

    @rx.event(background=True)
    async def sync_now(self) -> None:
        async with self:
            self.busy, self.sync_problem = True, ""
        try:
            report = await asyncio.to_thread(_synced)
        except LicenseClientError as error:
            async with self:
                self.busy, self.sync_problem = False, str(error)
            return
        async with self:
            self.busy = False
            self._show_sync(report)


def _machine_row(machine: dict[str, Any]) -> dict[str, str]:
    seen = str(machine.get("last_seen_at") or "")
    return {
        "name": str(machine.get("name") or "unnamed machine"),
        "short_fingerprint": str(machine.get("short_fingerprint") or ""),
        "last_seen": seen.replace("T", " ")[:16] + " UTC" if seen else "",
        "this_machine": "yes" if machine.get("this_machine") else "",
    }


def _synced() -> local_premium.SyncReport:
    with write_session() as session:
        return local_premium.sync_tracker(session=session)
