"""The Saved searches page: the form (also filled from the search page), the list, pause, run now."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import reflex as rx

from jobspy_web.alerts import delivery, webpush
from jobspy_web.core.errors import DomainError
from jobspy_web.core.sites import DEFAULT_SITES
from jobspy_web.db import read_session, write_session
from jobspy_web.models import RunStatus, SavedSearchRun, ScheduleKind
from jobspy_web.saved_searches import runs, store
from jobspy_web.saved_searches.schedules import WEEKDAYS, known_timezone
from jobspy_web.search.params import SearchParamsError
from jobspy_web.ui.state.alerts import AlertsState
from jobspy_web.ui.state.search import SearchState

RUN_WAIT_S = 600  # how long "Run now" watches for its run to finish
FORM_DEFAULTS: dict[str, Any] = {
    "name": "",
    "terms": "",
    "locations": "",
    "schedule": "none",
    "at_time": "08:00",
    "weekday": "Monday",
    "timezone": "UTC",
    "email_digest": True,
    "apprise": "",
    "push": False,
}


class SavedSearchesState(AlertsState):
    saved: list[dict[str, str]] = []
    name: str = ""
    terms: str = ""  # one per line
    locations: str = ""  # one per line; empty: anywhere
    schedule: str = "none"
    at_time: str = "08:00"
    weekday: str = "Monday"
    timezone: str = "UTC"
    email_digest: bool = True
    apprise: str = ""  # one Apprise URL per line
    push: bool = False
    form_error: str = ""
    message: str = ""
    # The search page's other options, carried over by "Save this search".
    _params: dict[str, Any] = {}
    running: list[str] = []  # saved search ids with a run under way

    @rx.event
    def load(self) -> None:
        user = self._current_user()
        if user is None:
            self.saved = []
            return
        with read_session() as session:
            found = store.list_saved_searches(session=session, owner_id=user.id)
            health = {saved.id: delivery.channel_health(session=session, saved_search_id=saved.id) for saved in found}
        self.saved = [
            {
                "id": str(saved.id),
                "name": saved.name,
                "what": " · ".join(saved.search_terms) + (" in " + " · ".join(saved.locations) if saved.locations else ""),
                "schedule": store.schedule_of(saved).describe() + (" (paused)" if saved.paused else ""),
                "paused": "yes" if saved.paused else "",
                "channels": ", ".join(
                    ["email digest"] * saved.email_digest
                    + [store.masked_channel(url) for url in saved.apprise_urls]
                    + ["push"] * saved.push
                ),
                "failing": "; ".join(
                    f"{channel} is failing: {state['error']}" for channel, state in health[saved.id].items() if state["status"] == "failing"
                ),
            }
            for saved in found
        ]
        self._refresh_unread(user.id)

    @rx.event
    def set_form(self, name: str, value: Any) -> None:
        if name in FORM_DEFAULTS:
            setattr(self, name, value)
            self.form_error = ""

    @rx.event
    async def prefill_from_search(self) -> Any:
        """'Save this search' on the search page: its term, place and every option."""
        search = await self.get_state(SearchState)
        raw = search._raw_params()
        self.terms, self.locations = raw.pop("search_term", ""), raw.pop("location", "")
        self._params = raw
        self.name = (self.terms + (f" in {self.locations}" if self.locations else ""))[:120]
        self.message = "Name it, choose a schedule and save."
        return rx.redirect("/saved-searches")

    def _input(self) -> dict[str, Any]:
        hour, _, minute = (self.at_time or "08:00").partition(":")
        return {
            "name": self.name,
            "search_terms": self.terms.splitlines(),
            "locations": self.locations.splitlines(),
            "params": self._params or {"site_name": list(DEFAULT_SITES)},
            "schedule": self.schedule,
            "hour": int(hour) if hour.isdigit() else 8,
            "minute": int(minute) if minute.isdigit() else 0,
            "weekday": WEEKDAYS.index(self.weekday) if self.weekday in WEEKDAYS else 0,
            "timezone": self.timezone,
            "email_digest": self.email_digest,
            "apprise_urls": [line.strip() for line in self.apprise.splitlines() if line.strip()],
            "push": self.push,
        }

    @rx.event
    def save(self) -> None:
        user = self._current_user()
        if user is None:
            return
        try:
            data = store.parse_saved_search(self._input())
            with write_session() as session:
                store.create_saved_search(session=session, owner_id=user.id, tier=self.tier, data=data)
        except SearchParamsError as error:
            self.form_error = "; ".join(error.problems.values())
            return
        except DomainError as error:
            self.form_error = error.message
            return
        for name, value in FORM_DEFAULTS.items():
            if name != "timezone":
                setattr(self, name, value)
        self._params, self.message = {}, f"Saved “{data.name}”."
        self.load()

    @rx.event
    def set_paused(self, saved_search_id: str, paused: bool) -> None:
        user = self._current_user()
        if user is None:
            return
        try:
            with write_session() as session:
                store.set_paused(session=session, owner_id=user.id, saved_search_id=uuid.UUID(saved_search_id), paused=paused)
        except (ValueError, DomainError):
            return
        self.load()

    @rx.event
    def delete(self, saved_search_id: str) -> None:
        user = self._current_user()
        if user is None:
            return
        try:
            with write_session() as session:
                store.delete_saved_search(session=session, owner_id=user.id, saved_search_id=uuid.UUID(saved_search_id))
        except (ValueError, DomainError):
            return
        self.load()

    @rx.event(background=True)
    async def run_now(self, saved_search_id: str) -> None:
        """Queue a run outside the schedule and watch it finish: then the bell counts what it found."""
        async with self:
            user = self._current_user()
            tier = self.tier
            if user is None or saved_search_id in self.running:
                return
            try:
                with write_session() as session:
                    run = runs.request_run(session=session, owner_id=user.id, saved_search_id=uuid.UUID(saved_search_id))
            except (ValueError, DomainError):
                return
            self.running = [*self.running, saved_search_id]
            self.message = "Running… the bell will count what it finds."
        await runs.enqueue_runs([(run.id, tier)])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RUN_WAIT_S
        while loop.time() < deadline and await asyncio.to_thread(_still_running, run.id):
            await asyncio.sleep(1.0)
        async with self:
            self.running = [item for item in self.running if item != saved_search_id]
            self.message = await asyncio.to_thread(_run_summary, run.id)
            self._refresh_unread(user.id)

    @rx.event
    def push_subscribed(self, subscription: Any) -> Any:
        """The browser's PushSubscription, after the person allowed notifications."""
        user = self._current_user()
        if user is None or not isinstance(subscription, dict) or "endpoint" not in subscription:
            return rx.toast.error("This browser did not turn push on (notifications blocked?).")
        with write_session() as session:
            webpush.subscribe(session=session, user_id=user.id, subscription=subscription)
        self.push = True
        return rx.toast.success("Push is on in this browser.")

    @rx.event
    def turn_on_push(self) -> Any:
        """Only now, when asked, does the browser show its permission prompt."""
        key = webpush.application_server_key()
        script = f"""
(async () => {{
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) return null;
  if ((await Notification.requestPermission()) !== 'granted') return null;
  const registration = await navigator.serviceWorker.ready;
  const raw = atob('{key}'.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - '{key}'.length % 4) % 4));
  const subscription = await registration.pushManager.subscribe({{
    userVisibleOnly: true, applicationServerKey: Uint8Array.from(raw, (c) => c.charCodeAt(0)),
  }});
  return subscription.toJSON();
}})()"""
        return rx.call_script(script, callback=SavedSearchesState.push_subscribed)

    @rx.event
    def browser_timezone(self, zone: Any) -> None:
        if isinstance(zone, str) and known_timezone(zone) and self.timezone == "UTC":
            self.timezone = zone


def _still_running(run_id: uuid.UUID) -> bool:
    with read_session() as session:
        run = session.get(SavedSearchRun, run_id)
        return run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING)


def _run_summary(run_id: uuid.UUID) -> str:
    with read_session() as session:
        run = session.get(SavedSearchRun, run_id)
    if run is None or run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return "Still running; the alert will appear when it is done."
    if run.status is RunStatus.FAILED:
        return run.error or "The run failed."
    new = len(run.new_job_ids)
    return f"Done: {run.job_count} jobs, {new} new." if new else f"Done: {run.job_count} jobs, nothing new."


SCHEDULES = [kind.value for kind in ScheduleKind]
