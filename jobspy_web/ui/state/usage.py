"""The usage dashboard: a user's API calls over 30 days; an admin may see everyone's."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobspy_web.core.tiers import rules_for
from jobspy_web.ui.state.auth import AuthState
from jobspy_web.usage import usage_summary

PREMIUM_PREFIX = "/premium/"


class UsageState(AuthState):
    everyone: bool = False  # an admin's view across users
    per_day: list[dict[str, Any]] = []
    by_endpoint: list[dict[str, str]] = []
    top_users: list[dict[str, str]] = []
    calls: int = 0
    quota_text: str = ""
    quota_percent: int = 0

    @rx.event
    def load(self) -> Any:
        user = self._current_user()
        if user is None:
            return None
        self.everyone = self.everyone and self.is_admin
        summary = usage_summary(user_id=None if self.everyone else user.id, endpoint_prefix=PREMIUM_PREFIX)
        self.per_day = [{"day": day["day"][5:], "calls": day["calls"], "errors": day["errors"]} for day in summary["per_day"]]
        self.by_endpoint = [
            {"endpoint": row["endpoint"], "calls": f"{row['calls']:,}", "errors": f"{row['errors']:,}", "p95": f"{row['p95_ms']:.0f} ms"}
            for row in summary["by_endpoint"]
        ]
        self.top_users = [{"user_id": row["user_id"], "calls": f"{row['calls']:,}"} for row in summary.get("top_users", [])]
        self.calls = summary["calls"]
        allowed = rules_for(self.tier).api_calls_per_day if self.tier else 0
        used = summary["calls_today"]
        if self.everyone:
            self.quota_text, self.quota_percent = f"{used:,} premium calls today, all users", 0
        elif allowed:
            self.quota_text, self.quota_percent = f"{used:,} of {allowed:,} premium calls today", min(100, round(used * 100 / allowed))
        else:
            self.quota_text, self.quota_percent = "Your plan has no premium API calls.", 0
        return None

    @rx.event
    def toggle_everyone(self) -> Any:
        self.everyone = not self.everyone
        return UsageState.load
