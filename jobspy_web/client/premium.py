"""The Premium API and tracker sync for a licensed desktop install, signed in by its key.

POST /auth/token {"grant_type": "license_key", ...} trades the key (and this machine's
fingerprint) for a short-lived token speaking for the license's owner at its tier; that
token then reads GET /premium/salary-insights and syncs GET/POST /api/tracker/changes and
GET/POST /api/saved-searches/changes.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from jobspy_web.client.fingerprint import hardware_fingerprint
from jobspy_web.client.licensing import CLIENT_VERSION, LicenseClientError

__all__ = ["PremiumClient", "PremiumError"]


class PremiumError(LicenseClientError):
    """The server refused (its sentence), or can't be reached."""


class PremiumClient:
    def __init__(
        self,
        server_url: str,
        *,
        license_key: str,
        fingerprint: str | None = None,
        app_version: str = CLIENT_VERSION,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        self._grant = {
            "grant_type": "license_key",
            "license_key": license_key,
            "hardware_fp": fingerprint or hardware_fingerprint(),
            "app_version": app_version,
        }
        self._http = httpx.Client(base_url=server_url, transport=transport, timeout=timeout_s)
        self._token: tuple[str, float] | None = None  # (token, when it stops being used)
        self.tier = ""

    def close(self) -> None:
        self._http.close()

    def salary_insights(self, *, title: str, location: str | None = None) -> dict[str, Any]:
        params = {"title": title, **({"location": location} if location else {})}
        return self._call("GET", "/premium/salary-insights", params=params)

    def tracker_changes(self, *, since: str | None) -> dict[str, Any]:
        return self._call("GET", "/api/tracker/changes", params={"since": since} if since else {})

    def push_tracker(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        return self._call("POST", "/api/tracker/changes", json={"items": items})

    def saved_search_changes(self, *, since: str | None) -> dict[str, Any]:
        return self._call("GET", "/api/saved-searches/changes", params={"since": since} if since else {})

    def push_saved_searches(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        return self._call("POST", "/api/saved-searches/changes", json={"items": items})

    def _access_token(self) -> str:
        if self._token is None or time.monotonic() >= self._token[1]:
            issued = self._send("POST", "/auth/token", json=self._grant)
            self.tier = str(issued.get("tier", ""))
            self._token = (str(issued["access_token"]), time.monotonic() + max(10, int(issued.get("expires_in", 60)) - 30))
        return self._token[0]

    def _call(self, method: str, path: str, **arguments: Any) -> dict[str, Any]:
        return self._send(method, path, headers={"Authorization": f"Bearer {self._access_token()}"}, **arguments)

    def _send(self, method: str, path: str, **arguments: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **arguments)
        except httpx.TransportError:
            raise PremiumError("The server can't be reached; try again when you're online.") from None
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            message = (body.get("error") or {}).get("message") if isinstance(body.get("error"), dict) else None
            raise PremiumError(message or f"The server answered HTTP {response.status_code}.")
        return body
