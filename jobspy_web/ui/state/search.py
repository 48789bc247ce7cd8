"""The search page's state: a thin layer that turns service events into what the page shows."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import nh3
import reflex as rx

from jobspy_web.core import tiers
from jobspy_web.core.errors import DomainError
from jobspy_web.db import read_session, write_session
from jobspy_web.search import board_health, exports, jobs, result_pages, runner, tasks
from jobspy_web.search.outcomes import STOPPED_BY, SiteOutcome, SiteState
from jobspy_web.search.params import (
    DEFAULT_SITES,
    SITES,
    SearchParamsError,
    parse_search_params,
)
from jobspy_web.ui import routes
from jobspy_web.ui.state import tracker_marks
from jobspy_web.ui.state.auth import AuthState

log = logging.getLogger(__name__)

PHONE_MAX_WIDTH = 768  # px: below it the form folds into a summary after searching
ROW_LIMIT = 100  # rows sent to the browser at once (a page of them); exports include every match
# Up to this many jobs the state holds them and filters in Python; past it every filter,
# sort and page is one database query (search.result_pages) and the state holds one page.
IN_MEMORY_MAX_ROWS = 1000


def _chip(site: str, outcome: SiteOutcome) -> dict[str, str]:
    name = SITES.get(site, site)
    jobs_found = f"{outcome.count} job{'s' if outcome.count != 1 else ''}"
    if outcome.stopped_early and outcome.reason is not None:
        label = f"{name}: {jobs_found}, then {STOPPED_BY[outcome.reason]}"
    elif outcome.state == SiteState.DONE:
        label = f"{name}: {jobs_found}"
    elif outcome.state == SiteState.FAILED:
        label = f"{name}: failed ({outcome.reason.value.replace('_', ' ') if outcome.reason else 'error'})"
    elif outcome.state == SiteState.RUNNING:
        label = f"{name}: {jobs_found} so far…" if outcome.count else f"{name}: running…"
    else:
        label = f"{name}: {outcome.state.value}"
    detail = " ".join(part for part in (outcome.message, outcome.hint, *(outcome.warnings or [])) if part)
    return {"site": site, "state": outcome.state.value, "label": label, "detail": detail, "technical": outcome.detail}


def _view(row: jobs.JobRow) -> dict[str, str]:
    return {
        "id": row.id,
        "title": row.title,
        "company": row.company,
        "location": row.location,
        "sites": ", ".join(SITES.get(site, site) for site in row.sites),
        "job_url": row.job_url,
        "date_posted": row.date_posted,
        "job_type": row.job_type,
        "remote": "Remote" if row.is_remote else "",
        "salary": row.salary,
        "seen": "Seen" if row.seen else "",  # an earlier search of theirs found it already
    }


class SearchState(AuthState):
    # The form. Numbers stay strings so a half-typed value never breaks the page.
    search_term: str = ""
    location: str = ""
    sites: list[str] = list(DEFAULT_SITES)
    results_wanted: str = "20"
    is_remote: bool = False
    google_search_term: str = ""
    distance: str = "50"
    job_type: str = "any"
    hours_old: str = ""
    easy_apply: bool = False
    country_indeed: str = "usa"
    linkedin_company_ids: str = ""
    linkedin_fetch_description: bool = False
    description_format: str = "markdown"
    enforce_annual_salary: bool = False
    offset: str = "0"
    show_advanced: bool = False
    # After a search, a phone shows a one-line summary instead of the form (results first).
    form_collapsed: bool = False
    form_errors: dict[str, str] = {}

    # The search being shown.
    search_id: str = ""
    search_label: str = ""
    status: str = ""
    chips: list[dict[str, str]] = []
    search_warnings: list[str] = []
    cancelling: bool = False
    _description_format: str = "markdown"
    # Whether this tab has looked for the person's current search (restore_current_search)
    # or been given one (History), so a later visit to the page never replaces it.
    _restore_done: bool = False

    # Results and the filters over them.
    _rows: list[dict[str, Any]] = []  # every job, while there are at most IN_MEMORY_MAX_ROWS
    _in_database: bool = False  # past that: the database filters, sorts and pages
    _paid_currencies: dict[str, int] = {}  # the database mode's jobs with pay, per currency
    _tracker_stages: dict[str, str] = {}  # job id -> its stage in the person's tracker
    visible_rows: list[dict[str, str]] = []
    matching_count: int = 0
    total_count: int = 0
    filter_site: str = "all"
    filter_remote: str = "any"
    filter_job_type: str = "any"
    filter_min_salary: str = ""
    filter_posted_days: str = "any"
    filter_text: str = ""
    sort: str = "date"
    pay_sort_note: str = ""  # how a pay sort treats several currencies
    # Every row reachable: the matching jobs a page of ROW_LIMIT at a time.
    result_page: int = 0
    has_next_page: bool = False
    page_note: str = ""

    # The job opened in the detail dialog.
    detail_open: bool = False
    detail: dict[str, str] = {}

    @rx.var
    def is_running(self) -> bool:
        return self.status in ("queued", "running")

    def _pay_sort_note(self) -> str:
        """Sorting by pay never compares two currencies: say so when there are several."""
        if self.sort not in jobs.SALARY_SORTS:
            return ""
        counts: dict[str, int] = dict(self._paid_currencies) if self._in_database else {}
        for row in self._rows:
            if row.get("yearly_min") is not None or row.get("yearly_max") is not None:
                counts[row.get("currency") or "?"] = counts.get(row.get("currency") or "?", 0) + 1
        if len(counts) < 2:
            return ""
        ordered = sorted(counts, key=lambda currency: (-counts[currency], currency))
        return f"Pay is compared within each currency, never converted: {', then '.join(ordered)}."

    @rx.var
    def locked_sites(self) -> list[str]:
        """Sites this person's tier doesn't include (core.tiers, as search_denial decides)."""
        if not self.tier:
            return []
        allowed = tiers.rules_for(self.tier).sites
        return [site for site in SITES if site not in allowed]

    @rx.var
    def pending_warnings(self) -> list[str]:
        """What the chosen sites will ignore, shown while the person fills the form."""
        try:
            return parse_search_params(self._raw_params()).warnings()
        except SearchParamsError:
            return []

    def _raw_params(self) -> dict[str, Any]:
        return {
            "site_name": self.sites,
            "search_term": self.search_term,
            "google_search_term": self.google_search_term,
            "location": self.location,
            "distance": self.distance or "50",
            "job_type": "" if self.job_type == "any" else self.job_type,
            "is_remote": self.is_remote,
            "results_wanted": self.results_wanted,
            "hours_old": self.hours_old or None,
            "easy_apply": self.easy_apply,
            "country_indeed": self.country_indeed,
            "linkedin_company_ids": [part.strip() for part in self.linkedin_company_ids.split(",") if part.strip()],
            "linkedin_fetch_description": self.linkedin_fetch_description,
            "description_format": self.description_format,
            "enforce_annual_salary": self.enforce_annual_salary,
            "offset": self.offset or "0",
        }

    @rx.event
    def set_field(self, name: str, value: Any) -> None:
        if name not in FORM_FIELDS:
            return
        setattr(self, name, value)
        self.form_errors = {key: text for key, text in self.form_errors.items() if key != name}

    @rx.event
    def toggle_site(self, site: str) -> None:
        self.sites = [s for s in self.sites if s != site] if site in self.sites else [*self.sites, site]
        self.form_errors = {key: text for key, text in self.form_errors.items() if key != "site_name"}

    @rx.event
    def set_form_collapsed(self, collapsed: bool) -> None:
        self.form_collapsed = bool(collapsed)

    @rx.event
    def expand_form(self) -> Any:
        self.form_collapsed = False
        return rx.call_script("setTimeout(() => document.getElementById('field-search_term')?.focus(), 30)")

    @rx.var
    def form_summary(self) -> str:
        where = f" in {self.location}" if self.location.strip() else ""
        count = len(self.sites)
        return f"{self.search_term.strip() or 'Any job'}{where} · {count} site{'s' if count != 1 else ''}"

    @rx.event
    def toggle_advanced(self) -> None:
        self.show_advanced = not self.show_advanced

    # Boards that keep blocking this server, [{"site", "text"}]; the form shows the chosen ones.
    board_notices: list[dict[str, str]] = []

    @rx.event
    def load_board_notices(self) -> None:
        """When the form mounts: one bounded query, so people know before they search."""
        with read_session() as session:
            notices = board_health.blocked_notices(session=session)
        self.board_notices = [{"site": site, "text": notice.full_text()} for site, notice in notices.items()]

    @rx.event
    def submit(self) -> Any:
        if self.is_running:
            return None
        user = self._current_user()
        if user is None:
            return rx.redirect(routes.LOGIN)
        try:
            params = parse_search_params(self._raw_params())
        except SearchParamsError as error:
            self.form_errors = error.fields or {"search": error.message}
            return None
        denial = tiers.search_denial(self.tier, sites=params.site_name, results_wanted=params.results_wanted)
        if denial:
            self.form_errors = {"search": denial}
            return None
        self.form_errors = {}
        with write_session() as session:
            created = runner.create_search(session=session, params=params, owner_id=user.id)
        self._show_search(created)
        # Folded on a phone only (the browser knows its width): results come first there.
        return [rx.call_script(f"window.innerWidth < {PHONE_MAX_WIDTH}", callback=SearchState.set_form_collapsed), SearchState.run_search]

    def _show_search(self, shown: Any) -> None:
        self._restore_done = True  # this tab shows a search of its own now
        self.search_id = str(shown.id)
        self.search_label = shown.label
        self.status = shown.status.value
        self.search_warnings = list(shown.warnings)
        self._description_format = shown.params.get("description_format", "markdown")
        self.chips = [_chip(site, SiteOutcome.from_json(raw)) for site, raw in shown.site_outcomes.items()]
        self.cancelling = False
        self.result_page = 0
        # Nothing of the previous search's results stays (its rows arrive by _set_rows/_load_results).
        self._rows, self._in_database, self._paid_currencies = [], False, {}
        self.visible_rows, self.total_count, self.matching_count = [], 0, 0
        self.page_note, self.has_next_page = "", False

    @rx.event(background=True)
    async def run_search(self) -> None:
        await self._follow(start=True)

    @rx.event(background=True)
    async def follow_running_search(self) -> None:
        """A search started elsewhere (another tab, History): its progress live, not a rerun."""
        await self._follow(start=False)

    async def _follow(self, *, start: bool) -> None:
        async with self:
            search_id = uuid.UUID(self.search_id)
            owner_id = self._require_user_id()
        try:
            # Run by the queue, heard from any worker.
            async for event in tasks.follow_search(search_id, start=start):
                await self._show_event(search_id, event)
        except Exception:  # the runner has marked the search failed; show what it stored
            log.exception("search %s: the page's runner stopped", search_id)
            with read_session() as session:
                shown = runner.get_search(session=session, search_id=search_id, owner_id=owner_id)
            async with self:
                if self.search_id == str(search_id) and shown is not None:
                    self._show_search(shown)
                    self._load_results(search_id)

    async def _show_event(self, search_id: uuid.UUID, event: runner.SearchEvent) -> None:
        rows = None
        big = False
        if event.jobs_added:
            with read_session() as session:
                big = jobs.count_search_jobs(session=session, search_id=search_id) > IN_MEMORY_MAX_ROWS
                rows = None if big else jobs.search_rows(session=session, search_id=search_id)
        settled = None
        if event.status is not None and not event.status.is_active:
            # The end: every site's stored state (after Cancel, the unfinished ones read
            # "cancelled", never "running…" for ever).
            with read_session(fresh=True) as session:
                owner_id = uuid.UUID(self.user_id) if self.user_id else None
                settled = runner.get_search(session=session, search_id=search_id, owner_id=owner_id)
                settled_outcomes = dict(settled.site_outcomes) if settled is not None else {}
        async with self:
            if self.search_id != str(search_id):
                return  # the person moved on to another search; keep running quietly
            if event.site is not None and event.outcome is not None:
                self.chips = [_chip(event.site, event.outcome) if chip["site"] == event.site else chip for chip in self.chips]
            if event.status is not None:
                self.status = event.status.value
                self.cancelling = False
                if settled is not None:
                    self.chips = [_chip(site, SiteOutcome.from_json(raw)) for site, raw in settled_outcomes.items()]
            elif self.status == "queued":
                self.status = "running"
            if big:
                self._load_results(search_id)  # a page from the database, not every row
            elif rows is not None:
                self._set_rows(rows)

    @rx.event
    def cancel(self) -> None:
        if not self.search_id:
            return
        owner_id = self._require_user_id()
        with write_session() as session:
            self.cancelling = runner.request_cancel(session=session, search_id=uuid.UUID(self.search_id), owner_id=owner_id)

    @rx.event
    def open_search(self, search_id: str) -> Any:
        owner_id = self._require_user_id()
        with write_session() as session:
            runner.mark_interrupted(session=session)
            shown = runner.get_search(session=session, search_id=uuid.UUID(search_id), owner_id=owner_id)
            if shown is None:
                return rx.toast.error("That search no longer exists.")
        return [rx.redirect("/"), *self._show_stored(shown)]

    @rx.event
    def restore_current_search(self) -> Any:
        """When the search page mounts in a tab that shows no search yet (a new tab, a new
        window, after signing in): the person's current search, by runner.current_search's
        rule (the newest one if it is running, or finished within the last hour). Once per
        tab: a form refilled from History, or a search opened from there, stays as it is."""
        if self._restore_done or self.search_id:
            return None
        user = self._current_user()
        if user is None:
            return None  # signed out: the landing page; look again once signed in
        self._restore_done = True
        with write_session() as session:
            runner.mark_interrupted(session=session)
        with read_session() as session:
            shown = runner.current_search(session=session, owner_id=user.id)
        if shown is None:
            return None
        # The form says what is being searched, and stays open (a new tab is often opened to
        # search something else).
        self._fill_form(shown.params)
        return self._show_stored(shown)

    def _show_stored(self, shown: Any) -> list[Any]:
        """A stored search on the page: its results so far, and its progress live while it runs."""
        self._show_search(shown)
        self._load_results(shown.id)
        return [SearchState.follow_running_search] if shown.status.is_active else []

    @rx.event
    def refill_from(self, search_id: str) -> Any:
        """History's "Edit and search again": the form holds that search's options."""
        owner_id = self._require_user_id()
        with read_session() as session:
            shown = runner.get_search(session=session, search_id=uuid.UUID(search_id), owner_id=owner_id)
        if shown is None:
            return rx.toast.error("That search no longer exists.")
        self._fill_form(shown.params)
        self.form_collapsed = False
        self._restore_done = True  # the refilled form is what this tab shows
        return rx.redirect("/")

    @rx.event
    def rerun(self, search_id: str) -> Any:
        """History's "Run again": the same options, a new search, straight away (a refusal,
        say of a site the plan no longer includes, shows on the form instead)."""
        owner_id = self._require_user_id()
        with read_session() as session:
            shown = runner.get_search(session=session, search_id=uuid.UUID(search_id), owner_id=owner_id)
        if shown is None:
            return rx.toast.error("That search no longer exists.")
        if self.is_running:
            return rx.toast.info("A search is still running: wait for it, or cancel it first.")
        self._fill_form(shown.params)
        started = self.submit()
        return [rx.redirect("/"), *started] if isinstance(started, list) else rx.redirect("/")

    def _fill_form(self, params: dict[str, Any]) -> None:
        """A stored search's options back into the form's fields (numbers as the form's text)."""
        self.search_term = str(params.get("search_term") or "")
        self.location = str(params.get("location") or "")
        self.sites = [site for site in params.get("site_name") or [] if site in SITES] or list(DEFAULT_SITES)
        self.results_wanted = str(params.get("results_wanted") or "20")
        self.is_remote = bool(params.get("is_remote"))
        self.google_search_term = str(params.get("google_search_term") or "")
        self.distance = str(params.get("distance") or "50")
        self.job_type = str(params.get("job_type") or "any")
        self.hours_old = str(params.get("hours_old") or "")
        self.easy_apply = bool(params.get("easy_apply"))
        self.country_indeed = str(params.get("country_indeed") or "usa")
        self.linkedin_company_ids = ", ".join(str(part) for part in params.get("linkedin_company_ids") or [])
        self.linkedin_fetch_description = bool(params.get("linkedin_fetch_description"))
        self.description_format = str(params.get("description_format") or "markdown")
        self.enforce_annual_salary = bool(params.get("enforce_annual_salary"))
        self.offset = str(params.get("offset") or "0")
        self.form_errors = {}

    def _load_results(self, search_id: uuid.UUID) -> None:
        """The search's jobs: all of them in the state if few, else the database pages them."""
        with read_session() as session:
            total = jobs.count_search_jobs(session=session, search_id=search_id)
            if total > IN_MEMORY_MAX_ROWS:
                self._rows, self._in_database = [], True
                self._paid_currencies = result_pages.paid_currencies(session=session, search_id=search_id)
                self.total_count = total
            else:
                rows = jobs.search_rows(session=session, search_id=search_id)
        if total > IN_MEMORY_MAX_ROWS:
            self._refilter(keep_page=True)
        else:
            self._set_rows(rows)

    def _set_rows(self, rows: list[jobs.JobRow]) -> None:
        self._in_database, self._paid_currencies = False, {}
        self._rows = [row.as_json() for row in rows]
        self._tracker_stages = tracker_marks.stages_of(self.user_id, rows)
        self.total_count = len(rows)
        self._refilter(keep_page=True)  # rows arriving mid-search keep the page being read

    def _current_filter(self) -> jobs.JobFilter:
        return jobs.JobFilter(
            sites=frozenset() if self.filter_site == "all" else frozenset({self.filter_site}),
            remote=self.filter_remote,
            job_type="" if self.filter_job_type == "any" else self.filter_job_type,
            min_yearly_salary=_number(self.filter_min_salary),
            posted_within_days=int(self.filter_posted_days) if self.filter_posted_days.isdigit() else None,
            text=self.filter_text,
            sort=self.sort,
        )

    def _matching(self) -> list[jobs.JobRow]:
        return jobs.filter_rows((jobs.JobRow(**row) for row in self._rows), self._current_filter())

    def _matching_ids(self) -> list[str]:
        if not self._in_database:
            return [row.id for row in self._matching()]
        with read_session() as session:
            return result_pages.matching_ids(session=session, search_id=uuid.UUID(self.search_id), job_filter=self._current_filter())

    def _refilter(self, *, keep_page: bool = False) -> None:
        if self._in_database:
            self._refilter_in_database(keep_page=keep_page)
            return
        matching = self._matching()
        self.matching_count = len(matching)
        self.pay_sort_note = self._pay_sort_note()
        last_page = max(0, (len(matching) - 1) // ROW_LIMIT)
        self.result_page = min(self.result_page, last_page) if keep_page else 0
        start = self.result_page * ROW_LIMIT
        page_rows = matching[start : start + ROW_LIMIT]
        self.visible_rows = tracker_marks.with_stages([_view(row) for row in page_rows], self._tracker_stages)
        self.page_note = f"Jobs {start + 1}–{start + len(page_rows)} of {len(matching)}" if len(matching) > ROW_LIMIT else ""
        self.has_next_page = start + ROW_LIMIT < len(matching)

    def _refilter_in_database(self, *, keep_page: bool) -> None:
        """One query for the page being read (and the count); a filter change starts at page 1."""
        if not keep_page:
            self.result_page = 0
        search_id, job_filter = uuid.UUID(self.search_id), self._current_filter()
        with read_session() as session:
            page = result_pages.result_page(
                session=session, search_id=search_id, job_filter=job_filter, offset=self.result_page * ROW_LIMIT, limit=ROW_LIMIT
            )
            last_page = max(0, (page.matching - 1) // ROW_LIMIT)
            if self.result_page > last_page:  # fewer matches than the page being read: the last page
                self.result_page = last_page
                page = result_pages.result_page(
                    session=session, search_id=search_id, job_filter=job_filter, offset=last_page * ROW_LIMIT, limit=ROW_LIMIT
                )
        self._tracker_stages = tracker_marks.stages_of(self.user_id, page.rows)
        self.total_count, self.matching_count = page.total, page.matching
        self.pay_sort_note = self._pay_sort_note()
        start = self.result_page * ROW_LIMIT
        self.visible_rows = tracker_marks.with_stages([_view(row) for row in page.rows], self._tracker_stages)
        self.page_note = f"Jobs {start + 1}–{start + len(page.rows)} of {page.matching}" if page.matching > ROW_LIMIT else ""
        self.has_next_page = start + ROW_LIMIT < page.matching

    @rx.event
    def next_results(self) -> Any:
        if self.has_next_page:
            self.result_page += 1
            self._refilter(keep_page=True)
            return rx.call_script("document.getElementById('results-table')?.scrollIntoView({block: 'start'})")
        return None

    @rx.event
    def previous_results(self) -> Any:
        if self.result_page > 0:
            self.result_page -= 1
            self._refilter(keep_page=True)
            return rx.call_script("document.getElementById('results-table')?.scrollIntoView({block: 'start'})")
        return None

    @rx.event
    def set_filter(self, name: str, value: str) -> None:
        if name in FILTER_FIELDS:
            setattr(self, name, value)
            self._refilter()

    @rx.event
    def clear_filters(self) -> None:
        for name, value in FILTER_DEFAULTS.items():
            setattr(self, name, value)
        self._refilter()

    @rx.event
    def open_detail(self, job_id: str) -> None:
        owner_id = self._require_user_id()
        try:
            wanted = uuid.UUID(job_id)
        except ValueError:
            return
        with read_session() as session:
            job = jobs.get_job(session=session, job_id=wanted, owner_id=owner_id)
        if job is None:
            return
        self.detail = {
            "id": job_id,
            "title": job.title,
            "company": job.company or "",
            "location": job.location or "",
            "facts": " · ".join(
                fact
                for fact in (
                    jobs.salary_text(job, annual=self.enforce_annual_salary),
                    job.job_type,
                    "Remote" if job.is_remote else "",
                    f"posted {job.date_posted.isoformat()}" if job.date_posted else "",
                )
                if fact
            ),
            # Scraped HTML is untrusted: strip scripts, handlers and javascript: links.
            "description": nh3.clean(job.description or "No description was provided by the site."),
            "format": self._description_format,
            "links": " · ".join(source["site"] for source in job.sources),
            "job_url": job.job_url,
            "job_url_direct": job.job_url_direct or "",
            "tracker_stage": self._tracker_stages.get(job_id, ""),
        }
        self.detail_open = True

    @rx.event
    def refresh_tracker_stages(self) -> None:
        """When the results show again: stages moved on the tracker page meanwhile."""
        if self._in_database:
            self._refilter(keep_page=True)
        elif self._rows:
            self._tracker_stages = tracker_marks.stages_of(self.user_id, [jobs.JobRow(**row) for row in self._rows])
            self._refilter(keep_page=True)

    @rx.event
    def save_to_tracker(self, job_id: str) -> Any:
        try:
            saved = tracker_marks.save_result(self._require_user_id(), job_id)
        except ValueError:  # an address the tracker can't take (not http, too long)
            saved = None
        if saved is None:
            return rx.toast.error("This job can't be saved to the tracker.")
        stage, created = saved
        self._tracker_stages = {**self._tracker_stages, job_id: stage}
        self._refilter(keep_page=True)  # the row's mark changes; the page being read stays
        if self.detail.get("id") == job_id:
            self.detail = {**self.detail, "tracker_stage": stage}
        return rx.toast.success("Saved to your tracker." if created else f"Already in your tracker: {stage}.")

    @rx.event
    def set_detail_open(self, is_open: bool) -> Any:
        self.detail_open = is_open
        if not is_open and self.detail.get("id"):
            # Back to the title that opened it, so the next Tab continues from there.
            return rx.call_script(_FOCUS_TITLE % json.dumps(self.detail["id"]))
        return None

    @rx.event
    async def export(self, export_format: str) -> Any:
        ids = self._matching_ids()
        if not ids:
            return rx.toast.info("Nothing to export yet.")
        user = self._current_user()  # and the tier as it is now
        if user is None:
            return rx.redirect(routes.LOGIN)
        try:
            data = await exports.export_jobs(user_id=user.id, tier=self.tier, job_ids=ids, export_format=export_format)
        except DomainError as error:  # the day's exports are used up
            return rx.toast.error(error.message)
        stem = "".join(c if c.isalnum() else "-" for c in self.search_label.lower()).strip("-")
        return rx.download(data=data, filename=f"jobs-{stem or 'search'}.{export_format}")


_FOCUS_TITLE = "setTimeout(() => document.querySelector('.job-row[data-job-id=' + CSS.escape(%s) + '] .job-title')?.focus(), 30)"


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "")) if text.strip() else None
    except ValueError:
        return None


FORM_FIELDS = {
    "search_term", "location", "results_wanted", "is_remote", "google_search_term", "distance",
    "job_type", "hours_old", "easy_apply", "country_indeed", "linkedin_company_ids",
    "linkedin_fetch_description", "description_format", "enforce_annual_salary", "offset",
}  # fmt: skip
FILTER_DEFAULTS = {
    "filter_site": "all",
    "filter_remote": "any",
    "filter_job_type": "any",
    "filter_min_salary": "",
    "filter_posted_days": "any",
    "filter_text": "",
    "sort": "date",
}
FILTER_FIELDS = set(FILTER_DEFAULTS)
