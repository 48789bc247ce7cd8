"""How one fake job site answers: normally, with an error status, not at all, ..."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from .catalog import INDEX_SPAN

Mode = Literal["ok", "status", "hang", "malformed", "empty", "drifted", "partial", "challenge"]
MODES: tuple[str, ...] = get_args(Mode)
ChallengeKind = Literal["cloudflare", "captcha", "access_denied"]
CHALLENGE_KINDS: tuple[str, ...] = get_args(ChallengeKind)

DEFAULT_JOB_COUNT = 1000
MAX_JOB_COUNT = INDEX_SPAN
"""Job ids keep the posting's index in their last five digits."""
DEFAULT_STATUS = {"status": 429, "challenge": 200}
"""The status an answer has when `status` is None, by mode; 200 for the others."""


@dataclass
class SiteBehaviour:
    mode: Mode = "ok"
    """ok: normal answers; status: every answer is `status`; hang: no answer ever;
    malformed: 200 with a truncated body; empty: normal answers with no jobs;
    drifted: normal answers in which every posting lacks fields JobSpy requires
    (each site's module says which), so JobSpy skips each one; partial: like
    drifted, for every `unreadable_every`-th posting only; challenge: a bot
    challenge page (`challenge_kind`) with `status`, for every request.
    Scrapers read page after page of a drifted site, and JobSpy sleeps between
    pages on most sites: give drifted and partial sites few `jobs` (20 is at
    most two pages on every site)."""
    delay: float = 0.0
    """Seconds added before every answer."""
    status: int | None = None
    """The status of modes status and challenge; None: 429 and 200."""
    jobs: int | None = None
    """How many distinct jobs the site has for any search; None: DEFAULT_JOB_COUNT."""
    unreadable_every: int = 3
    """Mode partial: the postings at index unreadable_every - 1, 2 * unreadable_every - 1,
    ... (0-based, the site's order) are drifted: with 3, the 3rd, 6th, 9th, ..."""
    challenge_kind: ChallengeKind = "cloudflare"
    """Mode challenge: cloudflare ("Just a moment..."), captcha ("unusual traffic",
    reCAPTCHA) or access_denied (an Akamai-style "Access Denied")."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} is not one of {MODES}")
        if self.jobs is not None and not 0 <= self.jobs <= MAX_JOB_COUNT:
            raise ValueError(f"jobs must be between 0 and {MAX_JOB_COUNT}")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("status must be between 100 and 599")
        if self.unreadable_every < 1:
            raise ValueError("unreadable_every must be at least 1")
        if self.challenge_kind not in CHALLENGE_KINDS:
            raise ValueError(f"challenge_kind {self.challenge_kind!r} is not one of {CHALLENGE_KINDS}")

    @property
    def job_count(self) -> int:
        if self.mode == "empty":
            return 0
        return DEFAULT_JOB_COUNT if self.jobs is None else self.jobs

    @property
    def answer_status(self) -> int:
        """The status the proxy answers with in modes status and challenge."""
        return self.status if self.status is not None else DEFAULT_STATUS.get(self.mode, 200)

    def unreadable(self, index: int) -> bool:
        """Whether the site sends the posting at `index` (0-based) drifted."""
        if self.mode == "drifted":
            return True
        return self.mode == "partial" and (index + 1) % self.unreadable_every == 0

    def unreadable_among(self, count: int) -> int:
        """How many of the site's first `count` postings are drifted."""
        return sum(self.unreadable(index) for index in range(count))
