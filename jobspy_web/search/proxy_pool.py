"""Which of the configured proxies (JOBSPY_PROXIES) work for which board.

A board that refuses one proxy may accept another, so health is kept per (board, proxy)
in the app cache, shared by every worker when Redis is configured:

  record(site, results)    after a scrape: each proxy's successful and failed requests.
  usable(site, proxies)    before a scrape: the proxies minus those set aside for the board.
  status(proxies)          for the admin page, with proxies shown as host:port only.

A proxy that failed FAILURES_TO_SET_ASIDE requests for a board without one success in
between is set aside for that board for SET_ASIDE_BASE, doubling each time it happens
again, at most SET_ASIDE_CAP; one success forgets its failures. Health is advisory: two
scrapes of the same board recording at the same moment may lose one of the two counts.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jobspy_web.core.sites import SITES
from jobspy_web.infra.cache import get_cache

__all__ = [
    "FAILURES_TO_SET_ASIDE",
    "SET_ASIDE_BASE_S",
    "SET_ASIDE_CAP_S",
    "ProxyHealth",
    "ProxySiteHealth",
    "display_name",
    "record",
    "status",
    "usable",
]

FAILURES_TO_SET_ASIDE = 3
SET_ASIDE_BASE_S = 10 * 60.0
SET_ASIDE_CAP_S = 60 * 60.0
# Counts are forgotten a day after a proxy's last scrape for a board.
ENTRY_TTL_S = 24 * 3600.0
_KEY_PREFIX = "proxy_pool"


@dataclass(frozen=True)
class ProxySiteHealth:
    site: str
    ok: int  # requests that worked, over the last day of use
    failed: int
    failing: int  # failed requests since the last one that worked (or it was set aside)
    set_asides: int  # times set aside since it last worked
    set_aside_until: datetime | None  # None: in use

    @property
    def state(self) -> str:
        """'set aside', 'on trial' (back from being set aside), 'failing', 'working' or 'untested'."""
        if self.set_aside_until is not None:
            return "set aside"
        if self.set_asides:
            return "on trial"
        if self.failing:
            return "failing"
        return "working" if self.ok else "untested"

    def as_json(self) -> dict[str, Any]:
        until = self.set_aside_until.isoformat() if self.set_aside_until else None
        return {"site": self.site, "ok": self.ok, "failed": self.failed, "state": self.state, "set_aside_until": until}


@dataclass(frozen=True)
class ProxyHealth:
    proxy: str  # host:port: never the user or password a proxy URL may carry
    sites: list[ProxySiteHealth]  # boards it was used for, in SITES order

    def as_json(self) -> dict[str, Any]:
        return {"proxy": self.proxy, "sites": [site.as_json() for site in self.sites]}


def record(site: str, results: dict[str, tuple[int, int]], now: datetime | None = None) -> None:
    """Add one scrape's requests: `results` maps each proxy, exactly as configured, to
    (ok_requests, failed_requests). Proxies with neither are left as they were."""
    now_s = _seconds(now)
    cache = get_cache()
    for proxy, (ok, failed) in results.items():
        if ok <= 0 and failed <= 0:
            continue
        key = _key(site, proxy)
        cache.set(key, _updated(_entry(cache.get(key)), ok=ok, failed=failed, now_s=now_s), ttl_s=ENTRY_TTL_S)


def usable(site: str, proxies: list[str], now: datetime | None = None) -> list[str]:
    """The proxies to use for `site`, in the configured order, without those set aside.

    When every proxy is set aside, all of them: a board is still tried rather than
    scraped with no proxy at all. Empty only when no proxy is configured.
    """
    now_s = _seconds(now)
    cache = get_cache()
    kept = [proxy for proxy in proxies if not _set_aside(_entry(cache.get(_key(site, proxy))), now_s)]
    return kept or list(proxies)


def status(proxies: list[str], now: datetime | None = None) -> list[ProxyHealth]:
    """Each configured proxy, redacted, with the boards it has been used for."""
    now_s = _seconds(now)
    cache = get_cache()
    report = []
    for proxy in proxies:
        sites = []
        for site in SITES:
            raw = cache.get(_key(site, proxy))
            if raw is None:
                continue
            entry = _entry(raw)
            until = entry["until"] if _set_aside(entry, now_s) else None
            sites.append(
                ProxySiteHealth(
                    site=site,
                    ok=entry["ok"],
                    failed=entry["failed"],
                    failing=entry["failing"],
                    set_asides=entry["set_asides"],
                    set_aside_until=datetime.fromtimestamp(until, UTC) if until is not None else None,
                )
            )
        report.append(ProxyHealth(proxy=display_name(proxy), sites=sites))
    return report


def display_name(proxy: str) -> str:
    """host:port of a proxy as configured (`user:pass@host:port`, `http://...`): no credentials."""
    without_scheme = proxy.split("://", 1)[-1]
    host_port = without_scheme.rsplit("@", 1)[-1]
    return host_port.split("/", 1)[0] or "(unnamed proxy)"


def _key(site: str, proxy: str) -> str:
    # Hashed: the proxy string may carry a password, which must not become a Redis key name.
    return f"{_KEY_PREFIX}:{site}:{hashlib.sha256(proxy.encode()).hexdigest()[:24]}"


def _entry(raw: Any) -> dict[str, Any]:
    entry = {"ok": 0, "failed": 0, "failing": 0, "set_asides": 0, "until": None}
    if isinstance(raw, dict):
        entry.update({name: raw[name] for name in entry if name in raw})
    return entry


def _updated(entry: dict[str, Any], *, ok: int, failed: int, now_s: float) -> dict[str, Any]:
    entry = {**entry, "ok": entry["ok"] + ok, "failed": entry["failed"] + failed}
    if ok:
        # It works for this board again: forget its failures and how often it was set aside.
        return {**entry, "failing": 0, "set_asides": 0, "until": None}
    entry["failing"] += failed
    if entry["failing"] >= FAILURES_TO_SET_ASIDE:
        entry["set_asides"] += 1
        lasts_s = min(SET_ASIDE_BASE_S * 2 ** min(entry["set_asides"] - 1, 16), SET_ASIDE_CAP_S)
        # Counted afresh once it is back in use, so it gets a few requests before the next time.
        entry.update(failing=0, until=now_s + lasts_s)
    return entry


def _set_aside(entry: dict[str, Any], now_s: float) -> bool:
    return entry["until"] is not None and entry["until"] > now_s


def _seconds(now: datetime | None) -> float:
    return now.timestamp() if now is not None else time.time()
