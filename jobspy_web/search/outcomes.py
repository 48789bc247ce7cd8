"""Turn what a site did into a state, one sentence a person reads, and what to do about it.

A chip says what happened ("LinkedIn: 40 jobs, then blocked"); `message` is one short
sentence, `hint` what to do, and `detail` the technical text behind a "details" toggle
(redacted: proxy credentials never leave the server).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from jobspy_web.core.sites import SITES
from jobspy_web.search.scraping import SiteScrape


class SiteState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"  # left alone for now: it kept blocking this server (board_health)


class FailureReason(str, Enum):
    BLOCKED = "blocked"
    GEOBLOCKED = "geoblocked"
    TIMEOUT = "timeout"
    NETWORK = "network"
    SITE_CHANGED = "site_changed"
    UNEXPECTED_RESPONSE = "unexpected_response"
    ERROR = "error"


HINTS = {
    FailureReason.BLOCKED: "Wait a few minutes, ask for fewer results, or set JOBSPY_PROXIES to search through a proxy.",
    FailureReason.GEOBLOCKED: "Use a proxy in the site's country (JOBSPY_PROXIES).",
    FailureReason.TIMEOUT: "The site may be slow or silently blocking: try fewer results or a proxy.",
    FailureReason.NETWORK: "Check the server's internet connection and proxy settings (JOBSPY_PROXIES, JOBSPY_CA_CERT).",
    FailureReason.SITE_CHANGED: "Other sites are unaffected; updating python-jobspy usually fixes it.",
    FailureReason.UNEXPECTED_RESPONSE: "Try again later; if it keeps happening the site may have changed.",
    FailureReason.ERROR: "Try again; if it persists, report it with the details below.",
}
# What a chip says after "N jobs, then …" when a site stopped part-way.
STOPPED_BY = {
    FailureReason.BLOCKED: "blocked",
    FailureReason.GEOBLOCKED: "geoblocked",
    FailureReason.TIMEOUT: "stopped (too slow)",
    FailureReason.NETWORK: "the connection failed",
    FailureReason.SITE_CHANGED: "unreadable pages",
    FailureReason.UNEXPECTED_RESPONSE: "an unreadable page",
    FailureReason.ERROR: "an error",
}
NO_RESULTS_HINT = "No jobs matched: try a broader search term, a larger distance or fewer filters."

_PATTERNS: list[tuple[FailureReason, re.Pattern[str]]] = [
    (FailureReason.GEOBLOCKED, re.compile(r"\b451\b|geo|region|not available in your", re.I)),
    (FailureReason.BLOCKED, re.compile(r"\b(429|403|401)\b|blocked|captcha|too many requests|challenge page", re.I)),
    (FailureReason.SITE_CHANGED, re.compile(r"validation errors? for|field required|extra inputs are not permitted", re.I)),
    (
        FailureReason.NETWORK,
        re.compile(r"proxy|connect|resolve|ssl|certificate|timed out|timeout|network|reset by peer", re.I),
    ),
    (
        FailureReason.UNEXPECTED_RESPONSE,
        re.compile(r"status code 5\d\d|json|expecting|decode|parse|line \d+ column \d+|api error|not found|no jobs|no job data", re.I),
    ),
]
_CREDENTIALS = re.compile(r"(?<=//)[^/@\s:]+:[^/@\s]+@")


@dataclass
class SiteOutcome:
    """One site's part of a search, as stored in `searches.site_outcomes` and shown on a chip."""

    state: SiteState
    count: int = 0
    reason: FailureReason | None = None  # on a done site: what stopped it part-way
    message: str = ""
    hint: str = ""
    warnings: list[str] | None = None
    elapsed_ms: int | None = None
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {key: getattr(value, "value", value) for key, value in asdict(self).items()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SiteOutcome:
        known = {name: value for name, value in raw.items() if name in cls.__dataclass_fields__}
        return cls(
            **{
                **known,
                "state": SiteState(raw["state"]),
                "reason": FailureReason(raw["reason"]) if raw.get("reason") else None,
            }
        )

    @property
    def stopped_early(self) -> bool:
        return self.state == SiteState.DONE and self.reason is not None


def redact(message: str) -> str:
    """Proxy URLs in error messages may carry user:password; never show or store them."""
    return _CREDENTIALS.sub("***@", message)


def reason_for(error: str) -> FailureReason:
    return next((reason for reason, pattern in _PATTERNS if pattern.search(error)), FailureReason.ERROR)


def _sentence(reason: FailureReason, name: str, timeout_s: float) -> str:
    return {
        FailureReason.BLOCKED: f"{name} blocked this server.",
        FailureReason.GEOBLOCKED: f"{name} isn't available from this server's region.",
        FailureReason.TIMEOUT: f"{name} didn't finish within {timeout_s:g} s and was stopped.",
        FailureReason.NETWORK: f"Couldn't reach {name}.",
        FailureReason.SITE_CHANGED: f"{name} answered, but in a format this version can't read; the site probably changed.",
        FailureReason.UNEXPECTED_RESPONSE: f"{name} answered with a page that couldn't be read.",
        FailureReason.ERROR: f"The {name} scraper failed unexpectedly.",
    }[reason]


def classify(scrape: SiteScrape, *, stored: int, timeout_s: float) -> SiteOutcome:
    """The outcome of one site: `stored` is how many of its jobs are in the search."""
    name = SITES.get(scrape.site, scrape.site)
    seen = scrape.seen
    warnings = [redact(text) for text in scrape.warnings]
    if seen.unreadable and seen.readable:
        warnings.append(f"{seen.unreadable} of {seen.readable + seen.unreadable} {name} postings could not be read.")
    details = [
        redact(part)
        for part in (scrape.error, seen.blocked, seen.unreadable_sample and f"first unreadable posting: {seen.unreadable_sample}")
        if part
    ]
    if scrape.timed_out:
        reason: FailureReason | None = FailureReason.TIMEOUT
        details.insert(0, f"no answer within {timeout_s:g} s")
    elif seen.blocked:  # a challenge page or a refusal, whatever JobSpy made of it
        reason = FailureReason.BLOCKED
    elif seen.unreadable and not seen.readable:
        reason = FailureReason.SITE_CHANGED
    elif scrape.error:
        reason = reason_for(redact(scrape.error))
    else:
        reason = None
    common = {"warnings": warnings or None, "elapsed_ms": round(scrape.elapsed_s * 1000), "detail": " · ".join(details)[:600]}
    if reason is None:
        return SiteOutcome(SiteState.DONE, count=stored, hint="" if stored else NO_RESULTS_HINT, **common)  # type: ignore[arg-type]
    if stored:
        return SiteOutcome(
            SiteState.DONE,
            count=stored,
            reason=reason,
            message=f"Stopped early, after {stored} job{'s' if stored != 1 else ''}: {_sentence(reason, name, timeout_s)}",
            hint=HINTS[reason],
            **common,  # type: ignore[arg-type]
        )
    return SiteOutcome(SiteState.FAILED, reason=reason, message=_sentence(reason, name, timeout_s), hint=HINTS[reason], **common)  # type: ignore[arg-type]
