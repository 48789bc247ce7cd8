"""A client's state belongs to one sign-in; secrets shown once never stay in the state."""

from __future__ import annotations

import pickle

from reflex.state import State

import jobspy_web.jobspy_web  # noqa: F401  (registers every page and state)
from jobspy_web.accounts import login_sessions, users
from jobspy_web.db import write_session
from jobspy_web.ui.session_binding import SessionBinding
from jobspy_web.ui.state.account import AccountState
from jobspy_web.ui.state.auth import AuthState

PASSWORD = "correct horse battery"


def _tree(cookie: str | None) -> State:
    root = State(_reflex_internal_init=True)
    headers = {"cookie": f"{login_sessions.COOKIE_NAME}={cookie}"} if cookie else {}
    root.router_data = root._update_router_vars({"headers": headers, "pathname": "/account", "query": {}}, {})
    return root


def _reconnect(root: State, cookie: str | None) -> None:
    """The same client token, a new connection: other headers, the stored state."""
    headers = {"cookie": f"{login_sessions.COOKIE_NAME}={cookie}"} if cookie else {}
    root.router_data = root._update_router_vars({"headers": headers, "pathname": "/account", "query": {}}, root.router_data)


def _signed_in_user(email: str = "owner@example.com") -> str:
    with write_session() as session:
        user = users.sign_up(session=session, email=email, password=PASSWORD)
        return login_sessions.start_session(session=session, user=user)


async def test_the_client_token_is_not_a_credential(db):
    cookie = _signed_in_user()
    root = _tree(cookie)
    account = root.get_substate(AccountState.get_full_name().split(".")[1:])
    await SessionBinding().preprocess(None, root, None)
    AccountState.load.fn(account)
    assert account.user_email == "owner@example.com" and account.sessions

    _reconnect(root, None)  # someone who only has the client token (no cookie)
    await SessionBinding().preprocess(None, root, None)
    assert account.user_email == "" and account.sessions == [] and account.tokens == []
    assert "owner@example.com" not in repr(root.dict())


async def test_another_cookie_on_the_same_client_token_gets_an_empty_state(db):
    owner, other = _signed_in_user(), _signed_in_user("other@example.com")
    root = _tree(owner)
    account = root.get_substate(AccountState.get_full_name().split(".")[1:])
    await SessionBinding().preprocess(None, root, None)
    AccountState.load.fn(account)
    _reconnect(root, other)
    await SessionBinding().preprocess(None, root, None)
    assert account.user_email == "" and account.sessions == []


async def test_the_same_sign_in_keeps_its_state(db):
    cookie = _signed_in_user()
    root = _tree(cookie)
    account = root.get_substate(AccountState.get_full_name().split(".")[1:])
    await SessionBinding().preprocess(None, root, None)
    AccountState.load.fn(account)
    _reconnect(root, cookie)
    await SessionBinding().preprocess(None, root, None)
    assert account.user_email == "owner@example.com"
    assert (root.get_substate(AuthState.get_full_name().split(".")[1:]))._bound_session == login_sessions.fingerprint(cookie)


async def test_an_api_token_secret_leaves_the_state_once_shown(db):
    cookie = _signed_in_user()
    root = _tree(cookie)
    account = root.get_substate(AccountState.get_full_name().split(".")[1:])
    steps = AccountState.create_token.fn(account, {"name": "laptop"})
    next(steps)  # Reflex sends the delta of this step to the browser
    secret = account.new_token_secret
    assert secret.startswith("jsw_") and "new_token_secret" in account.dirty_vars
    account._clean()
    list(steps)
    assert account.new_token_secret == ""
    assert "new_token_secret" not in account.dirty_vars  # no second delta: the page keeps showing it
    assert secret.encode() not in pickle.dumps(account)  # what a state manager stores
