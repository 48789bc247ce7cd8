"""Watch JobSpy from inside one site's child process.

JobSpy reports a site's failures as a single `error` string and drops every posting it
can't parse with a log line only, so from outside a changed site looks like "no results"
and a captcha page like anything at all. This module is installed in the child (it
patches only that short-lived process) and observes three of JobSpy's own seams:

- `RotatingProxySession.request`, which every scraper's HTTP goes through: challenge
  pages are recognised here, whatever the status, and each proxy's successes and
  failures are counted (a failing proxy is skipped for the rest of the scrape);
- the site scraper's per-posting parse method (`_process_job`, Google's `_parse_job`):
  each posting JobSpy could read is kept, so pages can be handed over as they finish;
- the `skipping job: …` warning JobSpy logs for each posting it could not read.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import Any

# A challenge page's marks. Strong ones are conclusive anywhere in the page; weak ones
# only in a small HTML page (a real results page may mention "captcha" in a script).
_STRONG_CHALLENGE = re.compile(
    r"<title>\s*(just a moment|attention required|access denied|are you a robot|verify you are human|"
    r"security check|robot check|captcha)|cf-chl|challenge-platform|cf_chl_opt|_incapsula_resource|"
    r"px-captcha|perimeterx|g-recaptcha|h-captcha|hcaptcha\.com|captcha-delivery|"
    r"access to this page has been denied|request unsuccessful\. incapsula",
    re.I,
)
_WEAK_CHALLENGE = re.compile(
    r"captcha|enable javascript|javascript is (disabled|required)|unusual traffic|access denied|"
    r"are you a robot|not a robot|verify you are (a )?human|blocked",
    re.I,
)
_SMALL_PAGE = 20_000
_SCANNED = 60_000
_BLOCKING_STATUSES = {401, 403, 429}
# Requests through one proxy that fail in a row before the scrape stops using it.
PROXY_FAILURES_BEFORE_SKIP = 2
# Postings are handed over once none has arrived for PAGE_QUIET_S (a page is parsed in a
# tight loop), or when the oldest has waited PAGE_MAX_WAIT_S (a page slow to parse).
PAGE_QUIET_S = 0.025
PAGE_MAX_WAIT_S = 0.2


def challenge_in(status: int, content_type: str, text: str) -> str | None:
    """'challenge page (status 200)' when `text` is a bot check rather than the site's answer."""
    head = text[:_SCANNED]
    strong = _STRONG_CHALLENGE.search(head)
    weak = "html" in content_type.lower() and len(text) < _SMALL_PAGE and _WEAK_CHALLENGE.search(head)
    if strong or weak:
        return f"challenge page (status {status})"
    return None


@dataclass
class ProxyTally:
    ok: int = 0
    failed: int = 0
    failed_in_a_row: int = 0


@dataclass
class Observations:
    """What the probe saw during one site's scrape."""

    readable: int = 0
    unreadable: int = 0
    unreadable_sample: str | None = None
    blocked: str | None = None
    blocked_after: int | None = None  # postings read before the first block
    requests: int = 0
    first_page_read_at: float | None = None  # wall-clock time JobSpy had read its first page
    proxies: dict[str, ProxyTally] = field(default_factory=dict)


class _ProxyTurns:
    """Stands in for JobSpy's proxy cycle: the same rotation, minus proxies that keep failing."""

    def __init__(self, proxies: list[str], format_proxy: Callable[[str], dict[str, str]], tallies: dict[str, ProxyTally]) -> None:
        self._proxies = [(proxy, format_proxy(proxy)) for proxy in proxies]
        self._tallies = tallies
        self._turn = count()
        self.current: str | None = None

    def __iter__(self) -> _ProxyTurns:
        return self

    def __next__(self) -> dict[str, str]:
        healthy = [pair for pair in self._proxies if self._tallies[pair[0]].failed_in_a_row < PROXY_FAILURES_BEFORE_SKIP]
        proxy, formatted = (healthy or self._proxies)[next(self._turn) % len(healthy or self._proxies)]
        self.current = proxy
        return formatted

    @property
    def has_alternative(self) -> bool:
        return sum(self._tallies[proxy].failed_in_a_row < PROXY_FAILURES_BEFORE_SKIP for proxy, _ in self._proxies) > 0


class Probe:
    """Install with `watching()`; `on_page(posts)` is called from a helper thread."""

    def __init__(self, site: str, proxies: list[str], on_page: Callable[[list[Any]], None], *, first_page_size: int = 1) -> None:
        self.site = site
        self._first_page_size = first_page_size
        self.seen = Observations(proxies={proxy: ProxyTally() for proxy in proxies})
        self._proxies = proxies
        self._on_page = on_page
        self._pending: list[Any] = []
        self._last_post_at = self._oldest_pending_at = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @contextmanager
    def watching(self) -> Iterator[Probe]:
        from jobspy import SCRAPER_MAPPING, Site
        from jobspy.util import RotatingProxySession

        scraper_class = SCRAPER_MAPPING[Site(self.site)]
        parse_name = "_process_job" if hasattr(scraper_class, "_process_job") else "_parse_job"
        original_parse = getattr(scraper_class, parse_name)
        original_request = RotatingProxySession.request
        probe = self

        def parse(scraper: Any, *args: Any, **kwargs: Any) -> Any:
            post = original_parse(scraper, *args, **kwargs)  # raises → JobSpy logs "skipping job"
            if post is not None:
                probe._keep(post)
            return post

        def request(session: Any, *args: Any, **kwargs: Any) -> Any:
            return probe._request(session, original_request, args, kwargs)

        handler = _SkippedPostings(self)
        logger = logging.getLogger("jobspy")
        setattr(scraper_class, parse_name, parse)
        RotatingProxySession.request = request  # type: ignore[method-assign,assignment]
        logger.addHandler(handler)
        flusher = threading.Thread(target=self._flush_when_quiet, daemon=True)
        flusher.start()
        try:
            yield self
        finally:
            self._stop.set()
            flusher.join()
            logger.removeHandler(handler)
            setattr(scraper_class, parse_name, original_parse)
            RotatingProxySession.request = original_request  # type: ignore[method-assign]

    def _keep(self, post: Any) -> None:
        with self._lock:
            self.seen.readable += 1
            if self.seen.readable == self._first_page_size:
                self.seen.first_page_read_at = time.time()
            if not self._pending:
                self._oldest_pending_at = time.monotonic()
            self._pending.append(post)
            self._last_post_at = time.monotonic()

    def skipped(self, message: str) -> None:
        with self._lock:
            self.seen.unreadable += 1
            self.seen.unreadable_sample = self.seen.unreadable_sample or message[:300]

    def _flush_when_quiet(self) -> None:
        while not self._stop.wait(PAGE_QUIET_S / 2):
            with self._lock:
                now = time.monotonic()
                due = now - self._last_post_at >= PAGE_QUIET_S or now - self._oldest_pending_at >= PAGE_MAX_WAIT_S
                page, self._pending = (self._pending, []) if due and self._pending else ([], self._pending)
            if page:
                self._on_page(page)

    def _request(self, session: Any, original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        turns = self._turns_of(session)
        attempts = len(self._proxies) if turns is not None else 1
        for attempt in range(attempts):
            self.seen.requests += 1
            try:
                response = original(session, *args, **kwargs)
            except Exception:
                if not self._count(turns, ok=False) or attempt == attempts - 1:
                    raise
                continue
            blocked = self._blocked_by(response)
            if blocked is None:
                self._count(turns, ok=True)
                return response
            if not self._count(turns, ok=False) or attempt == attempts - 1:
                self._record_block(blocked)
                return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _turns_of(self, session: Any) -> _ProxyTurns | None:
        if not self._proxies or getattr(session, "proxy_cycle", None) is None:
            return None
        if not isinstance(session.proxy_cycle, _ProxyTurns):
            session.proxy_cycle = _ProxyTurns(self._proxies, session.format_proxy, self.seen.proxies)
        turns: _ProxyTurns = session.proxy_cycle
        return turns

    def _count(self, turns: _ProxyTurns | None, *, ok: bool) -> bool:
        """Tally the proxy just used; True when another proxy is worth a retry."""
        if turns is None or turns.current is None:
            return False
        tally = self.seen.proxies[turns.current]
        if ok:
            tally.ok, tally.failed_in_a_row = tally.ok + 1, 0
            return False
        tally.failed, tally.failed_in_a_row = tally.failed + 1, tally.failed_in_a_row + 1
        return len(self._proxies) > 1 and turns.has_alternative

    def _blocked_by(self, response: Any) -> str | None:
        status = getattr(response, "status_code", 200)
        try:
            text = response.text or ""
        except Exception:  # undecodable bodies are the parser's business, not ours
            text = ""
        content_type = str(response.headers.get("content-type", ""))
        # Any status: Cloudflare and Akamai serve challenges as 403, 429 and 503 as well as 200.
        challenge = challenge_in(status, content_type, text)
        if challenge:
            return challenge
        return f"status {status}" if status in _BLOCKING_STATUSES else None

    def _record_block(self, blocked: str) -> None:
        with self._lock:
            if self.seen.blocked is None:
                self.seen.blocked, self.seen.blocked_after = blocked, self.seen.readable


class _SkippedPostings(logging.Handler):
    def __init__(self, probe: Probe) -> None:
        super().__init__(logging.WARNING)
        self._probe = probe

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("skipping job"):
            self._probe.skipped(message.removeprefix("skipping job: "))
