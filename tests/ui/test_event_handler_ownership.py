"""The websocket is an authenticated channel: every event handler of every state, called
anonymously or by another signed-in person with the victim's ids, gets nothing of the
victim's and changes nothing of theirs.

The handlers are found, not listed: a state or handler added later is covered the day it
lands. Each is called on a fresh state tree whose router carries the caller's cookie (or
none), with every string argument set to each of the victim's ids in turn and every form
filled with the victim's details; afterwards neither the state the browser would get nor
the events returned may hold a victim's secret, and the database must be as it was.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from reflex.state import State
from sqlmodel import select

import jobspy_web.jobspy_web  # noqa: F401  (registers every page and state)
from jobspy_web.accounts import api_tokens, login_sessions, users
from jobspy_web.db import read_session, write_session
from jobspy_web.licensing import licenses
from jobspy_web.models import ApiToken, License, LoginSession, OutboxMessage, Role, Search, User
from jobspy_web.search import jobs, runner
from jobspy_web.search.params import parse_search_params
from jobspy_web.ui.session_binding import app_states

PASSWORD = "correct horse battery"
VICTIM_EMAIL = "victim-owner@example.com"
VICTIM_TITLE = "Victim Only Staff Engineer"
HANDLER_TIMEOUT_S = 1.5  # a handler that polls (waits for a webhook) is cut off: it got nothing by then


@dataclass
class Victim:
    user_id: uuid.UUID
    cookie: str
    session_id: uuid.UUID
    token_id: uuid.UUID
    token_secret: str
    license_id: uuid.UUID
    license_key: str
    search_id: uuid.UUID
    job_id: uuid.UUID
    mail_id: uuid.UUID
    mail_token: str

    def ids(self) -> list[str]:
        ids = (self.user_id, self.session_id, self.token_id, self.license_id, self.search_id, self.job_id, self.mail_id)
        return [str(value) for value in ids]

    def secrets(self) -> list[str]:
        """What must never reach another caller's state or events (ids the caller sent may echo back)."""
        return [
            VICTIM_EMAIL,
            VICTIM_TITLE,
            self.cookie,
            self.token_secret,
            self.token_secret[: api_tokens.SHOWN_PREFIX_CHARS],
            self.license_key,
            self.mail_token,
            "Victim Person",  # their name
            "victim-browser",  # their session's device
            "victim laptop",  # their token's name
            "203.0.113.9",  # their IP
        ]


def _make_victim() -> Victim:
    with write_session() as session:
        user = users.sign_up(session=session, email=VICTIM_EMAIL, password=PASSWORD, full_name="Victim Person")
        user.email_verified_at = user.created_at
        cookie = login_sessions.start_session(session=session, user=user, ip="203.0.113.9", user_agent="victim-browser")
        created = api_tokens.create_api_token(session=session, user=user, name="victim laptop")
        issued = licenses.issue_license(session=session, license_type="pro", user_id=user.id)
        search = runner.create_search(session=session, params=parse_search_params({"search_term": "staff"}), owner_id=user.id)
        session.flush()
        row = {
            "id": "victim-1",
            "site": "indeed",
            "job_url": "https://www.indeed.com/viewjob?jk=victim",
            "title": VICTIM_TITLE,
            "company": "Victim Co",
            "location": "Austin, TX, US",
            "date_posted": date(2026, 11, 20),
            "description": "secret project",
        }
        jobs.store_site_jobs(session=session, search_id=search.id, site="indeed", rows=[row])
        mail = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == VICTIM_EMAIL)).first()
        user_id, search_id, license_id = user.id, search.id, issued.license.id
        token_id, token_secret, license_key = created.token_row.id, created.secret, issued.key
    with read_session() as session:
        (job_row,) = jobs.search_rows(session=session, search_id=search_id)
        session_id = session.exec(select(LoginSession.id).where(LoginSession.user_id == user_id)).one()
    assert mail is not None and "token=" in mail.body
    return Victim(
        user_id=user_id,
        cookie=cookie,
        session_id=session_id,
        token_id=token_id,
        token_secret=token_secret,
        license_id=license_id,
        license_key=license_key or "",
        search_id=search_id,
        job_id=uuid.UUID(job_row.id),
        mail_id=mail.id,
        mail_token=mail.body.split("token=", 1)[1].split()[0],
    )


def _make_attacker() -> str:
    with write_session() as session:
        user = users.sign_up(session=session, email="attacker@example.com", password=PASSWORD)
        return login_sessions.start_session(session=session, user=user)


def _fresh_tree(cookie: str | None) -> State:
    root = State(_reflex_internal_init=True)
    headers = {"cookie": f"{login_sessions.COOKIE_NAME}={cookie}"} if cookie else {}
    router_data = {"headers": headers, "pathname": "/", "query": {}, "ip": "198.51.100.7", "token": "client-token"}
    root.router_data = root._update_router_vars(router_data, {})
    return root


def _arguments(handler_fn: Any, candidate: str, victim: Victim) -> list[Any]:
    form = {
        "email": VICTIM_EMAIL,
        "confirm_email": VICTIM_EMAIL,
        "password": PASSWORD,
        "current_password": PASSWORD,
        "new_password": "another long passphrase",
        "full_name": "Renamed by attacker",
        "name": "attacker token",
        "license_type": "team",
        "days": "30",
    }
    values: list[Any] = []
    for parameter in list(inspect.signature(handler_fn).parameters.values())[1:]:
        annotation = str(parameter.annotation)
        if "dict" in annotation or parameter.name in {"form", "form_data"}:
            values.append(form)
        elif parameter.name == "action":
            values.append("revoke")
        elif parameter.name == "role":
            values.append(Role.FREE.value)
        elif parameter.name == "fingerprint":
            values.append("victim-machine")
        elif parameter.name in {"export_format", "format"}:
            values.append("json")
        elif "bool" in annotation:
            values.append(True)
        else:
            values.append(candidate)
    return values


async def _call(handler_fn: Any, state: Any, arguments: list[Any]) -> list[Any]:
    """Run a handler like Reflex does (plain, generator, coroutine, async generator), return what it emitted."""

    async def run() -> list[Any]:
        result = handler_fn(state, *arguments)
        if inspect.isasyncgen(result):
            return [item async for item in result]
        if inspect.isgenerator(result):
            return list(result)
        if inspect.isawaitable(result):
            return [await result]
        return [result]

    try:
        return await asyncio.wait_for(run(), HANDLER_TIMEOUT_S)
    except (PermissionError, ValueError, KeyError, TypeError, TimeoutError):
        return []  # refused (Reflex shows a generic error) or still waiting: either way, nothing


def _database_facts(victim: Victim) -> dict[str, Any]:
    with read_session() as session:
        user = session.get(User, victim.user_id)
        return {
            "user": (user.role, user.full_name, user.is_active, user.password_hash) if user else None,
            "session_ended": session.get(LoginSession, victim.session_id).ended_at,
            "token_revoked": session.get(ApiToken, victim.token_id).revoked_at,
            "license": (lambda item: (item.status, item.license_type, item.expires_at, item.license_key_hash))(
                session.get(License, victim.license_id)
            ),
            "search_cancel": session.get(Search, victim.search_id).cancel_requested,
        }


def _handlers() -> list[tuple[type, str, Any]]:
    found = []
    for cls in app_states():
        for name, handler in cls.event_handlers.items():
            if name == "setvar" or handler.fn.__qualname__.split(".")[0] != cls.__name__:
                continue  # Reflex's own setter, or inherited (tested on the class defining it)
            found.append((cls, name, handler.fn))
    return found


def test_every_handler_is_found():
    names = {f"{cls.__name__}.{name}" for cls, name, _ in _handlers()}
    # A sample of the ones that touch owned data, so an empty discovery can't pass.
    assert {"AccountState.revoke_token", "SearchState.open_detail", "AdminState.reveal_mail", "LicensesState.regenerate_key"} <= names


@pytest.mark.parametrize("caller", ["anonymous", "another_user"])
async def test_anonymous_and_cross_user_calls_get_nothing(db, caller: str):
    victim = _make_victim()
    cookie = _make_attacker() if caller == "another_user" else None
    before = _database_facts(victim)
    leaks: list[str] = []
    for cls, name, handler_fn in _handlers():
        takes_text = len(inspect.signature(handler_fn).parameters) > 1
        for candidate in victim.ids() if takes_text else [""]:
            root = _fresh_tree(cookie)
            state = root.get_substate(cls.get_full_name().split(".")[1:])
            emitted = await _call(handler_fn, state, _arguments(handler_fn, candidate, victim))
            shown = json.dumps(root.dict(), default=str) + repr(emitted)
            leaks += [f"{cls.__name__}.{name}({candidate}) showed {secret!r}" for secret in victim.secrets() if secret and secret in shown]
    assert leaks == []
    assert _database_facts(victim) == before


async def test_the_owner_gets_their_job_details(db):
    """The same harness, with the victim's own cookie, does see their data: the checks above can fail."""
    victim = _make_victim()
    root = _fresh_tree(victim.cookie)
    from jobspy_web.ui.state.search import SearchState

    state = root.get_substate(SearchState.get_full_name().split(".")[1:])
    await _call(SearchState.open_detail.fn, state, [str(victim.job_id)])
    assert state.detail["title"] == VICTIM_TITLE


async def test_search_state_open_detail_anonymous_gets_nothing(db):
    victim = _make_victim()
    from jobspy_web.ui.state.search import SearchState

    state = _fresh_tree(None).get_substate(SearchState.get_full_name().split(".")[1:])
    with pytest.raises(PermissionError):
        SearchState.open_detail.fn(state, str(victim.job_id))
    assert state.detail == {} and not state.detail_open
