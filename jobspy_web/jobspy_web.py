"""Composition root: build the Reflex app, mount the HTTP API, register pages."""

from __future__ import annotations

import asyncio

import reflex as rx
from reflex.utils.prerequisites import get_web_dir
from reflex_base import constants
from starlette.types import ASGIApp

from jobspy_web import worker
from jobspy_web.api import build_api, http_hardening
from jobspy_web.api.usage_logging import usage_lifespan
from jobspy_web.db import write_session
from jobspy_web.infra import log_redaction, static_assets
from jobspy_web.infra import logging as app_logging
from jobspy_web.infra import tracing as app_tracing
from jobspy_web.search import runner, scraping
from jobspy_web.settings import get_settings
from jobspy_web.ui import routes
from jobspy_web.ui.pages.account import account_page
from jobspy_web.ui.pages.admin import admin_page
from jobspy_web.ui.pages.alerts import alert_page, alerts_page
from jobspy_web.ui.pages.auth import forgot_page, login_page, reset_page, signup_page
from jobspy_web.ui.pages.billing import billing_page, checkout_success_page, pay_page, pricing_page
from jobspy_web.ui.pages.history import history_page
from jobspy_web.ui.pages.insights import insights_page
from jobspy_web.ui.pages.licenses import licenses_page
from jobspy_web.ui.pages.not_found import not_found_page
from jobspy_web.ui.pages.saved_searches import saved_searches_page
from jobspy_web.ui.pages.search import search_page
from jobspy_web.ui.pages.tracker import tracker_page
from jobspy_web.ui.pages.usage import usage_page
from jobspy_web.ui.pwa import PWA_HEAD, offline_banner
from jobspy_web.ui.session_binding import SessionBinding
from jobspy_web.ui.signed_in_hint import head_script as signed_in_hint_script
from jobspy_web.ui.state.account import AccountState
from jobspy_web.ui.state.admin import AdminState
from jobspy_web.ui.state.alerts import AlertsState
from jobspy_web.ui.state.auth import AuthState
from jobspy_web.ui.state.billing import BillingState, CheckoutSuccessState, PayState, PricingState
from jobspy_web.ui.state.history import HistoryState
from jobspy_web.ui.state.insights import InsightsState
from jobspy_web.ui.state.licenses import LicensesState
from jobspy_web.ui.state.saved_searches import SavedSearchesState
from jobspy_web.ui.state.tracker import TrackerState
from jobspy_web.ui.state.usage import UsageState

get_settings()  # fail at start, naming the variable, when a setting is invalid
app_logging.configure()  # JSON lines in production, every library's through structlog
app_tracing.configure()  # OpenTelemetry when OTEL_* asks for it; before the first engine
app_tracing.configure_sentry()  # when SENTRY_DSN is set
log_redaction.install()  # no cookie, token or link in any log record, Reflex's included


async def _on_start() -> None:
    worker.start_in_process()  # without Redis, searches and schedules run on this loop
    with write_session() as session:
        runner.mark_interrupted(session=session)
    await asyncio.to_thread(scraping.warm_up)


def _static_assets(asgi_app: ASGIApp) -> ASGIApp:
    # Hashed /assets/* cached immutable; /login answered without a 307 to /login/.
    return static_assets.StaticAssets(asgi_app, lambda: get_web_dir() / constants.Dirs.STATIC)  # type: ignore[arg-type,return-value]


http_hardening.install(rx.App)  # security headers, CORS closed but for the extension, no Host in redirects
app = rx.App(
    api_transformer=[build_api(), _static_assets],
    # The signed-in hint's script first: "/" shows spinner or landing before the body paints.
    head_components=[signed_in_hint_script(), *PWA_HEAD],
)
# A calm offline line instead of Reflex's "Cannot connect to server: websocket error" toast.
app.app_wraps[(5, "Overlay")] = lambda stateful: offline_banner() if stateful else None
app.register_lifespan_task(_on_start)
app.register_lifespan_task(usage_lifespan)  # writes the usage events still queued on shutdown
# Before any handler runs: a client's state belongs to the sign-in it was made under.
app.add_middleware(SessionBinding(), index=0)
# "/" is the landing page for signed-out visitors and the search for everyone else.
app.add_page(search_page, route=routes.SEARCH, title="JobSpy Web: search every job board at once", on_load=AuthState.load_user)
app.add_page(not_found_page, route="404", title="Page not found · JobSpy Web", on_load=AuthState.load_user)
app.add_page(
    history_page,
    route=routes.HISTORY,
    title="Search history · JobSpy Web",
    on_load=[AuthState.require_user, HistoryState.load],
)
app.add_page(login_page, route=routes.LOGIN, title="Sign in · JobSpy Web", on_load=AuthState.load_user)
app.add_page(signup_page, route=routes.SIGNUP, title="Create an account · JobSpy Web", on_load=AuthState.load_user)
app.add_page(forgot_page, route=routes.FORGOT, title="Reset your password · JobSpy Web", on_load=AuthState.load_user)
app.add_page(reset_page, route=routes.RESET, title="Choose a new password · JobSpy Web", on_load=AuthState.load_user)
app.add_page(account_page, route=routes.ACCOUNT, title="Your account · JobSpy Web", on_load=AccountState.load)
app.add_page(admin_page, route=routes.ADMIN, title="Admin · JobSpy Web", on_load=AdminState.load)
app.add_page(pricing_page, route=routes.PRICING, title="Plans · JobSpy Web", on_load=PricingState.load)
app.add_page(billing_page, route=routes.BILLING, title="Billing · JobSpy Web", on_load=BillingState.load)
app.add_page(checkout_success_page, route=routes.BILLING_SUCCESS, title="Thank you · JobSpy Web", on_load=CheckoutSuccessState.load)
app.add_page(pay_page, route=routes.BILLING_PAY, title="Buy · JobSpy Web", on_load=PayState.load)
app.add_page(licenses_page, route=routes.LICENSES, title="Your licenses · JobSpy Web", on_load=LicensesState.load)
app.add_page(
    insights_page,
    route=routes.INSIGHTS,
    title="Salary insights · JobSpy Web",
    on_load=[AuthState.require_user, InsightsState.load],
)
app.add_page(usage_page, route=routes.USAGE, title="API usage · JobSpy Web", on_load=[AuthState.require_user, UsageState.load])
app.add_page(tracker_page, route=routes.TRACKER, title="Job tracker · JobSpy Web", on_load=TrackerState.load)

if get_settings().desktop_mode:
    # The desktop app (jobspy_web.desktop): its Settings page and the license's background
    # check. Imported only then, so the web app's state tree doesn't carry the page's state.
    from jobspy_web.accounts import local_mode
    from jobspy_web.ui.pages.desktop_settings import settings_page
    from jobspy_web.ui.state.desktop_settings import DesktopSettingsState

    app.add_page(settings_page, route=routes.SETTINGS, title="Settings · JobSpy Web", on_load=DesktopSettingsState.load)
    app.register_lifespan_task(local_mode.keep_license_checked)
app.add_page(
    saved_searches_page,
    route=routes.SAVED_SEARCHES,
    title="Saved searches · JobSpy Web",
    on_load=[AuthState.require_user, SavedSearchesState.load],
)
app.add_page(alerts_page, route=routes.ALERTS, title="Alerts · JobSpy Web", on_load=[AuthState.require_user, AlertsState.load])
app.add_page(alert_page, route=routes.ALERT, title="Alert · JobSpy Web", on_load=[AuthState.require_user, AlertsState.open_alert])
