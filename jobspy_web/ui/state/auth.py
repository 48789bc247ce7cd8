"""Who is signed in. Every page state that touches a user's data inherits from AuthState.

The session cookie is HttpOnly: the browser never shows it to scripts, and the backend
reads it from the websocket's request headers. Handlers that touch owned data call
`_require_user_id()`, which checks the cookie again, so a sign-out elsewhere counts at once.
"""

from __future__ import annotations

import uuid
from http.cookies import SimpleCookie
from urllib.parse import quote

import reflex as rx

from jobspy_web.accounts import login_sessions
from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.accounts.oauth_login import configured_providers
from jobspy_web.accounts.users import AccountError
from jobspy_web.db import write_session
from jobspy_web.models import Role, User
from jobspy_web.settings import get_settings
from jobspy_web.ui import routes

NOTICES = {
    # After sign-up, for a new and a taken address alike: the mailed link signs the new person in.
    "check_email": "Check your email to confirm your address: the link we sent signs you in.",
    "verified": "Thanks, your email address is confirmed. You are signed in.",
    "signed_out": "You are signed out.",
    "account_deleted": "Your account is deleted: its searches, tokens and sessions are erased. Thanks for trying JobSpy Web.",
    "reset_sent": "If that address has an account, a reset link is on its way.",
    "password_reset": "Your password is changed. Sign in with the new one.",
}
# What the sign-in routes themselves refuse; an account's own refusals (?error=WEAK_PASSWORD,
# ...) are shown in the sentence accounts.users gives their code (error_sentence).
ERRORS = {
    "INVALID_CREDENTIALS": "That email and password don't match an account.",
    "RATE_LIMITED": "Too many attempts. Wait a minute and try again.",
    "THROTTLED": "Too many wrong passwords for this account. Wait a few seconds (the wait grows with each miss, "
    "up to a minute), or reset your password: the emailed link works at once.",
    "SIGNUP_RATE_LIMITED": "Too many new accounts from this network in the last hour. Try again in an hour.",
    "CSRF": "That form came from another site, so we ignored it.",
    "OAUTH_UNAVAILABLE": "That sign-in provider isn't set up on this server.",
    "OAUTH_STATE": "That sign-in took too long or came from elsewhere. Please try again.",
    "OAUTH_DENIED": "The sign-in was cancelled.",
    "OAUTH_FAILED": "The provider didn't confirm who you are. Please try again.",
    "OAUTH_NO_EMAIL": "The provider didn't share a verified email address with us.",
    "OAUTH_NEEDS_LINK": "An account with this email exists. Sign in with your password, then connect the provider from your account page.",
    "OAUTH_LINKED_ELSEWHERE": "That login is already connected to another account.",
}


def forget_signed_in_hint() -> rx.event.EventSpec:
    """Clear the signed-in hint in the browser (it is not HttpOnly, so a script may)."""
    return rx.remove_cookie(login_sessions.HINT_COOKIE_NAME, {"path": "/"})


def error_sentence(code: str) -> str:
    """The sentence for a sign-in page's `?error=` code: the domain's own for its codes."""
    return ERRORS.get(code) or AccountError.sentence_for(code) or ""


class AuthState(rx.State):
    # Which sign-in this client's state belongs to (a hash of the session cookie): the
    # client token alone is not a credential. ui.session_binding wipes the state whenever
    # an event arrives with another cookie (or none).
    _bound_session: str = ""
    user_id: str = ""
    user_email: str = ""
    user_name: str = ""
    tier: str = ""
    is_admin: bool = False
    email_verified: bool = False
    notice: str = ""
    error: str = ""
    oauth_providers: list[str] = []
    # False until the server has looked at the cookie: "/" shows neither the landing page nor
    # the search page before it knows which one this visitor gets.
    user_checked: bool = False

    def _cookie(self, name: str) -> str:
        cookie = SimpleCookie()
        try:
            cookie.load(self.router.headers.cookie or "")
        except Exception:  # a malformed Cookie header means: not signed in
            return ""
        morsel = cookie.get(name)
        return morsel.value if morsel else ""

    def _cookie_secret(self) -> str:
        return self._cookie(login_sessions.COOKIE_NAME)

    def _sync_signed_in_hint(self, signed_in: bool) -> rx.event.EventSpec | None:
        """Make the browser's signed-in hint (login_sessions.HINT_COOKIE_NAME, which only
        picks spinner or landing on "/" before this check) agree with the session: gone
        once the session has ended elsewhere or expired, set for a sign-in made before the
        hint existed. Never read to decide anything here: the session cookie decides."""
        has_hint = bool(self._cookie(login_sessions.HINT_COOKIE_NAME))
        if signed_in and not has_hint:
            max_age = get_settings().session_days * 86400
            return rx.call_script(
                f"document.cookie = '{login_sessions.HINT_COOKIE_NAME}=1; Path=/; Max-Age={max_age}; SameSite=Lax'"
                " + (location.protocol === 'https:' ? '; Secure' : '')"
            )
        if not signed_in and has_hint:
            return forget_signed_in_hint()
        return None

    def _session_fingerprint(self) -> str:
        secret = self._cookie_secret()
        return login_sessions.fingerprint(secret) if secret else ""

    def _forget_shown(self, *names: str) -> None:
        """Blank fields the browser has just been sent, without sending a change.

        For secrets shown once (a new API token, a license key, a mailed link): the page
        keeps showing what it received until it reloads, while the state, which the state
        manager stores (Redis, disk) and a later hydrate would send again, no longer
        holds them. Call it after a `yield` that delivered the value.
        """
        for name in names:
            field = type(self).__fields__[name]
            self.__dict__[name] = field.default_value()

    def _current_user(self) -> User | None:
        with write_session() as session:
            user = login_sessions.user_for_secret(session=session, secret=self._cookie_secret())
            if user is not None:
                tier = tier_for_user(session=session, user=user).value
                self._show_user(user, tier)
            else:
                self._show_user(None, "")
            return user

    def _show_user(self, user: User | None, tier: str) -> None:
        self.user_id = str(user.id) if user else ""
        self.user_email = user.email if user else ""
        self.user_name = (user.full_name or "") if user else ""
        self.tier = tier
        self.is_admin = bool(user and user.role == Role.ADMIN)
        self.email_verified = bool(user and user.email_verified_at)
        self.user_checked = True

    def _require_user_id(self) -> uuid.UUID:
        user = self._current_user()
        if user is None:
            raise PermissionError("not signed in")
        return user.id

    def _read_messages(self) -> None:
        self.oauth_providers = configured_providers()
        query = self.router.url.query_parameters
        self.notice = NOTICES.get(query.get("notice", ""), "")
        self.error = error_sentence(query.get("error", ""))

    @rx.event
    def load_user(self) -> rx.event.EventSpec | None:
        self._read_messages()
        return self._sync_signed_in_hint(self._current_user() is not None)

    @rx.event
    def require_user(self) -> rx.event.EventSpec | None:
        """on_load for pages that need a signed-in user: off to sign in otherwise."""
        self._read_messages()
        if self._current_user() is None:
            return rx.redirect(f"{routes.LOGIN}?next={quote(self.router.url.path or '/')}")
        return None

    @rx.event
    def require_admin(self) -> rx.event.EventSpec | None:
        self._read_messages()
        user = self._current_user()
        if user is None:
            return rx.redirect(f"{routes.LOGIN}?next={quote(routes.ADMIN)}")
        if user.role != Role.ADMIN:
            return rx.redirect(routes.SEARCH)
        return None

    @rx.var
    def next_path(self) -> str:
        # Empty until known: the sign-in route then reads `next` from the page's address.
        return self.router.url.query_parameters.get("next", "")

    @rx.var
    def link_token(self) -> str:
        return self.router.url.query_parameters.get("token", "")

    @rx.var
    def prefill_email(self) -> str:
        return self.router.url.query_parameters.get("email", "")
