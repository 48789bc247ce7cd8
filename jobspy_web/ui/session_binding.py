"""The websocket is an authenticated channel: a client's state belongs to one sign-in.

Reflex keys a client's state by the client token, which travels in the websocket URL's
query string (and so in proxies' logs). Holding it must not be enough to read that
client's state: before every event (the first hydrate included) this middleware compares
the session cookie the event came with against the one the state was bound to, and on any
difference wipes every state of ours before the event runs. The handlers then check the
cookie again for owned data (AuthState._require_user_id), so a stolen token meets an
empty, anonymous state.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from reflex.middleware import Middleware

from jobspy_web.ui.state.auth import AuthState

__all__ = ["SessionBinding", "app_states"]


def app_states() -> list[type[rx.State]]:
    """Every state class this app defines (Reflex's own internal ones left out)."""
    found: list[type[rx.State]] = []
    pending: list[type[rx.State]] = [rx.State]
    while pending:
        cls = pending.pop()
        for sub in cls.get_substates():
            pending.append(sub)
            if sub.__module__.startswith("jobspy_web."):
                found.append(sub)
    return found


@dataclasses.dataclass(init=True)
class SessionBinding(Middleware):
    async def preprocess(self, app: Any, state: Any, event: Any) -> None:
        auth = await state.get_state(AuthState)
        fingerprint = auth._session_fingerprint()
        if auth._bound_session == fingerprint:
            return None
        for cls in app_states():
            (await state.get_state(cls)).reset()
        auth._bound_session = fingerprint
        return None
