"""Turn what a site did into a state and a sentence a person can act on."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from jobspy_web.services.scraping import SiteScrape


class SiteState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


class FailureReason(str, Enum):
    BLOCKED = "blocked"
    GEOBLOCKED = "geoblocked"
    TIMEOUT = "timeout"
    NETWORK = "network"
    UNEXPECTED_RESPONSE = "unexpected_response"
    ERROR = "error"


HINTS = {
    FailureReason.BLOCKED: "The site refused the request (rate limited or blocked). "
    "Wait a minute, ask for fewer results, or set JOBSPY_PROXIES to use a proxy.",
    FailureReason.GEOBLOCKED: "The site isn't available from this server's region. Use a proxy in the site's country (JOBSPY_PROXIES).",
    FailureReason.TIMEOUT: "The site didn't finish in time and was stopped. "
    "It may be slow or silently blocking: try fewer results or a proxy.",
    FailureReason.NETWORK: "Couldn't reach the site. Check the server's internet "
    "connection and proxy settings (JOBSPY_PROXIES, JOBSPY_CA_CERT).",
    FailureReason.UNEXPECTED_RESPONSE: "The site answered with a page we couldn't read; "
    "it may have changed or shown a captcha. Try again later.",
    FailureReason.ERROR: "The scraper failed unexpectedly. Try again; if it persists, report it.",
}
NO_RESULTS_HINT = "No jobs matched: try a broader search term, a larger distance or fewer filters."

_PATTERNS: list[tuple[FailureReason, re.Pattern[str]]] = [
    (FailureReason.GEOBLOCKED, re.compile(r"\b451\b|geo|region|not available in your", re.I)),
    (FailureReason.BLOCKED, re.compile(r"\b(429|403)\b|blocked|captcha|too many requests", re.I)),
    (
        FailureReason.NETWORK,
        re.compile(r"proxy|connect|resolve|ssl|certificate|timed out|timeout|network|reset by peer", re.I),
    ),
    (
        FailureReason.UNEXPECTED_RESPONSE,
        re.compile(
            r"json|expecting|decode|parse|line \d+ column \d+|api error|validation|not found|no jobs",
            re.I,
        ),
    ),
]
_CREDENTIALS = re.compile(r"(?<=//)[^/@\s:]+:[^/@\s]+@")


@dataclass
class SiteOutcome:
    """One site's part of a search, as stored in `searches.site_outcomes` and shown on a chip."""

    state: SiteState
    count: int = 0
    reason: FailureReason | None = None
    message: str = ""
    hint: str = ""
    warnings: list[str] | None = None
    elapsed_ms: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {key: getattr(value, "value", value) for key, value in asdict(self).items()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SiteOutcome:
        return cls(
            **{
                **raw,
                "state": SiteState(raw["state"]),
                "reason": FailureReason(raw["reason"]) if raw.get("reason") else None,
            }
        )


def redact(message: str) -> str:
    """Proxy URLs in error messages may carry user:password; never show or store them."""
    return _CREDENTIALS.sub("***@", message)


def classify(scrape: SiteScrape, *, stored: int, timeout_s: float) -> SiteOutcome:
    elapsed_ms = round(scrape.elapsed_s * 1000)
    if scrape.timed_out:
        return SiteOutcome(
            SiteState.FAILED,
            reason=FailureReason.TIMEOUT,
            message=f"no answer within {timeout_s:g} s",
            hint=HINTS[FailureReason.TIMEOUT],
            elapsed_ms=elapsed_ms,
        )
    warnings = [redact(text) for text in scrape.warnings] or None
    if scrape.error and not stored:
        message = redact(scrape.error)
        reason = next(
            (reason for reason, pattern in _PATTERNS if pattern.search(message)),
            FailureReason.ERROR,
        )
        return SiteOutcome(
            SiteState.FAILED,
            reason=reason,
            message=message[:300],
            hint=HINTS[reason],
            warnings=warnings,
            elapsed_ms=elapsed_ms,
        )
    # A site that failed part-way still keeps the jobs it found; say so on the chip.
    message = f"stopped early: {redact(scrape.error)[:200]}" if scrape.error else ""
    return SiteOutcome(
        SiteState.DONE,
        count=stored,
        message=message,
        hint="" if stored else NO_RESULTS_HINT,
        warnings=warnings,
        elapsed_ms=elapsed_ms,
    )
