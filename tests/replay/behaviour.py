"""How one fake job site answers: normally, with an error status, not at all, ..."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from .catalog import INDEX_SPAN

Mode = Literal["ok", "status", "hang", "malformed", "empty"]
MODES: tuple[str, ...] = get_args(Mode)

DEFAULT_JOB_COUNT = 1000
MAX_JOB_COUNT = INDEX_SPAN
"""Job ids keep the posting's index in their last five digits."""


@dataclass
class SiteBehaviour:
    mode: Mode = "ok"
    """ok: normal answers; status: every answer is `status`; hang: no answer ever;
    malformed: 200 with a truncated body; empty: normal answers with no jobs."""
    delay: float = 0.0
    """Seconds added before every answer."""
    status: int = 429
    jobs: int | None = None
    """How many distinct jobs the site has for any search; None: DEFAULT_JOB_COUNT."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} is not one of {MODES}")
        if self.jobs is not None and not 0 <= self.jobs <= MAX_JOB_COUNT:
            raise ValueError(f"jobs must be between 0 and {MAX_JOB_COUNT}")
        if self.delay < 0:
            raise ValueError("delay must not be negative")

    @property
    def job_count(self) -> int:
        if self.mode == "empty":
            return 0
        return DEFAULT_JOB_COUNT if self.jobs is None else self.jobs
