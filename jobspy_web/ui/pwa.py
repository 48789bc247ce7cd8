"""What makes the app installable: manifest, icons, theme colour and the service worker."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.core.banner import has_connection_errors

# The app may hydrate after the load event has fired, so register at once in that case.
_REGISTER_WORKER = """
if ('serviceWorker' in navigator) {
  const register = () => navigator.serviceWorker.register('/sw.js').catch(() => {});
  if (document.readyState === 'complete') register(); else window.addEventListener('load', register);
}
"""

PWA_HEAD = [
    rx.el.link(rel="manifest", href="/manifest.json"),
    rx.el.meta(name="theme-color", content="#3e63dd"),
    rx.el.meta(name="viewport", content="width=device-width, initial-scale=1, viewport-fit=cover"),
    rx.el.meta(name="apple-mobile-web-app-capable", content="yes"),
    rx.el.link(rel="apple-touch-icon", href="/icon-192.png"),
    rx.el.link(rel="icon", href="/favicon.ico"),
    rx.el.meta(
        name="description",
        content="Search Indeed, LinkedIn, Glassdoor, ZipRecruiter, Google, Bayt, Naukri and BDJobs at once, "
        "watch each site's results arrive, then filter, sort and export them.",
    ),
    rx.el.link(rel="stylesheet", href="/app.css"),
    rx.script(_REGISTER_WORKER),
    # Keeps the last results shown for the offline page (and forgets them on sign-out).
    rx.script(src="/offline.js", defer=True),
]


def offline_banner() -> rx.Component:
    """Instead of Reflex's "Cannot connect to server: websocket error…" toast: a calm line
    while the connection is down (offline, or the server restarting); the page keeps what
    it showed and reconnects by itself."""
    return rx.cond(
        has_connection_errors,
        rx.box(
            rx.callout(
                "Offline: showing saved results. The page reconnects by itself when the connection is back.",
                icon="wifi_off",
                color_scheme="gray",
                size="1",
                role="status",
                id="offline-banner",
            ),
            position="fixed",
            bottom="12px",
            left="12px",
            right="12px",
            z_index="50",
            max_width="640px",
            margin_x="auto",
        ),
    )
