"""The signed-in hint cookie agrees with the session: "/" decides spinner or landing from it
before the websocket, and the server decides who is signed in from the session alone."""

from __future__ import annotations

from reflex.state import State

import jobspy_web.jobspy_web  # noqa: F401  (registers every page and state)
from jobspy_web.accounts import login_sessions, users
from jobspy_web.db import write_session
from jobspy_web.ui.signed_in_hint import HTML_CLASS, head_script
from jobspy_web.ui.state.account import AccountState
from jobspy_web.ui.state.auth import AuthState

PASSWORD = "correct horse battery"
HINT = f"{login_sessions.HINT_COOKIE_NAME}=1"


def _state(cls: type[State], cookie: str) -> State:
    root = State(_reflex_internal_init=True)
    root.router_data = root._update_router_vars({"headers": {"cookie": cookie}, "pathname": "/", "query": {}}, {})
    return root.get_substate(cls.get_full_name().split(".")[1:])


def _session(email: str = "ada@example.com") -> str:
    with write_session() as session:
        user = users.sign_up(session=session, email=email, password=PASSWORD)
        return login_sessions.start_session(session=session, user=user)


def _names(events: object) -> list[str]:
    listed = events if isinstance(events, list) else [events] if events is not None else []
    return [spec.handler.fn.__qualname__ for spec in listed]


def test_a_signed_in_visit_with_the_hint_sends_nothing(db):
    auth = _state(AuthState, f"{login_sessions.COOKIE_NAME}={_session()}; {HINT}")
    assert AuthState.load_user.fn(auth) is None and auth.user_id != ""


def test_a_stale_hint_is_cleared_once_the_server_finds_no_session(db):
    secret = _session()
    with write_session() as session:
        login_sessions.end_session(session=session, secret=secret)  # ended elsewhere, or expired
    auth = _state(AuthState, f"{login_sessions.COOKIE_NAME}={secret}; {HINT}")
    event = AuthState.load_user.fn(auth)
    assert auth.user_id == "" and auth.user_checked
    assert _names(event) == ["_remove_cookie"] and login_sessions.HINT_COOKIE_NAME in str(event.args)


def test_the_hint_alone_signs_nobody_in(db):
    auth = _state(AuthState, HINT)
    AuthState.load_user.fn(auth)
    assert auth.user_id == "" and auth.user_email == ""


def test_a_sign_in_from_before_the_hint_gets_it(db):
    auth = _state(AuthState, f"{login_sessions.COOKIE_NAME}={_session()}")
    event = AuthState.load_user.fn(auth)
    assert _names(event) == ["_call_script"] and HINT in str(event.args)


def test_deleting_the_account_clears_the_hint(db):
    account = _state(AccountState, f"{login_sessions.COOKIE_NAME}={_session()}; {HINT}")
    events = AccountState.delete_account.fn(account, {"confirm_email": "ada@example.com", "password": PASSWORD})
    assert _names(events) == ["_remove_cookie", "_redirect"]


def test_the_head_script_marks_the_page_only_for_the_hint():
    code = str(head_script().render())
    assert login_sessions.HINT_COOKIE_NAME in code and HTML_CLASS in code
