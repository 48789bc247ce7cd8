"""Before the websocket: spinner or landing on "/", from the signed-in hint cookie.

"/" is prerendered with the landing (its largest paint comes with the HTML). A browser that
signed in has the hint cookie (login_sessions.HINT_COOKIE_NAME, set and cleared beside the
session cookie); this blocking script in the head marks <html> then, before the body paints,
and assets/app.css hides `.landing-before-check` and shows `.spinner-before-check` under
that class. The hint is no credential and grants nothing: the server decides who is signed
in from the HttpOnly session cookie alone; a stale hint only means a spinner, then the landing.
"""

from __future__ import annotations

import reflex as rx

from jobspy_web.accounts.login_sessions import HINT_COOKIE_NAME

HTML_CLASS = "signed-in-hint"

# A plain <script> (rx.el, not rx.script, which Helmet adds only after hydration).
_MARK_SIGNED_IN = f"""
if (/(?:^|; *){HINT_COOKIE_NAME}=1(?:;|$)/.test(document.cookie)) document.documentElement.classList.add("{HTML_CLASS}");
"""


def head_script() -> rx.Component:
    return rx.el.script(_MARK_SIGNED_IN)
