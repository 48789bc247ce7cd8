"""Run one job site's scrape in its own process, so a hung site can really be stopped.

JobSpy's scrapers block in threads that cannot be cancelled (a single request may wait
~15 s), so each site runs in a child process forked from a preloaded forkserver: start-up
costs milliseconds, and a timeout or a cancel kills the child outright.

The child streams length-prefixed pickles over a pipe: a `Page` of rows whenever JobSpy
has read a page of postings, then the final `SiteScrape`. The parent reads that stream
with asyncio's own pipe transport, which handles a non-blocking fd and messages of any
size arriving in pieces (a blocking `Connection.recv` on a pipe that uvloop had switched
to non-blocking mode failed with EAGAIN on large results: the search hang).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import pickle
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from jobspy_web.search.probe import Observations, Probe

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["jobspy", "pandas", "jobspy_web.search.scraping"])
_HEADER = struct.Struct("!Q")


@dataclass
class Page:
    """Rows JobSpy has read so far and not handed over yet; the final SiteScrape repeats them."""

    rows: list[dict[str, Any]]


@dataclass
class SiteScrape:
    """What one site returned: JobSpy rows, or the reason it produced none."""

    site: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    timed_out: bool = False
    elapsed_s: float = 0.0
    seen: Observations = field(default_factory=Observations)


OnPage = Callable[[list[dict[str, Any]]], Awaitable[None]]
Target = Callable[[dict[str, Any], Callable[[Page], None]], SiteScrape]


def scrape_in_this_process(kwargs: dict[str, Any], on_page: Callable[[Page], None] | None = None) -> SiteScrape:
    """Call jobspy.scrape_jobs for a single site, handing over each page as it is read."""
    import jobspy

    (site,) = kwargs["site_name"]
    started = time.perf_counter()
    proxies = [kwargs["proxies"]] if isinstance(kwargs.get("proxies"), str) else list(kwargs.get("proxies") or [])
    annual = bool(kwargs.get("enforce_annual_salary"))

    def hand_over(posts: list[Any]) -> None:
        if on_page is not None:
            on_page(Page(_post_rows(posts, site=site, annual=annual)))

    probe = Probe(site, proxies, hand_over, first_page_size=min(_page_size(site), int(kwargs.get("results_wanted") or 15)))
    with probe.watching():
        try:
            # verbose=1: JobSpy's per-posting "skipping job" warnings reach the probe.
            frame = jobspy.scrape_jobs(**kwargs, verbose=1)
        except Exception as error:  # JobSpy reports most failures in attrs; this catches the rest
            return SiteScrape(site, error=f"{type(error).__name__}: {error}", elapsed_s=time.perf_counter() - started, seen=probe.seen)
    return SiteScrape(
        site,
        rows=_frame_rows(frame),
        error=frame.attrs.get("errors", {}).get(site),
        warnings=list(frame.attrs.get("warnings", {}).get(site, [])),
        elapsed_s=time.perf_counter() - started,
        seen=probe.seen,
    )


def _page_size(site: str) -> int:
    """How many postings JobSpy asks the site for per page (its own constant)."""
    import importlib

    from jobspy import SCRAPER_MAPPING, Site

    scraper_class = SCRAPER_MAPPING[Site(site)]
    try:
        constants = importlib.import_module(f"{scraper_class.__module__}.constant")
    except ImportError:
        constants = None
    return int(getattr(constants, "jobs_per_page", 0) or getattr(scraper_class, "jobs_per_page", 10))


def _post_rows(posts: list[Any], *, site: str, annual: bool) -> list[dict[str, Any]]:
    """JobPosts as scrape_jobs would have put them in its DataFrame."""
    import pandas as pd
    from jobspy.model import JobPost

    shaped = [(post.annualised() if annual else post).model_copy(update={"site": site}) for post in posts]
    return _frame_rows(pd.DataFrame([post.model_dump() for post in shaped], columns=list(JobPost.model_fields)))


def _frame_rows(frame: Any) -> list[dict[str, Any]]:
    return [{name: _plain(value) for name, value in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    """NaN and pandas' missing markers become None, so rows survive JSON and SQL."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value


def _child(target: Target, kwargs: dict[str, Any], sender: Connection) -> None:
    with open(sender.fileno(), "wb", closefd=False) as pipe:

        def send(message: Page | SiteScrape) -> None:
            body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
            pipe.write(_HEADER.pack(len(body)) + body)
            pipe.flush()

        try:
            send(target(kwargs, send))
        finally:
            sender.close()


def warm_up() -> None:
    """Start the forkserver now (it imports JobSpy once) so the first search doesn't wait."""
    process = _context.Process(target=time.sleep, args=(0,), daemon=True)
    process.start()
    process.join()


async def scrape_site(
    kwargs: dict[str, Any],
    *,
    timeout_s: float,
    on_page: OnPage | None = None,
    target: Target = scrape_in_this_process,
) -> SiteScrape:
    """Scrape one site in a child process; kill it after `timeout_s` or on cancellation.

    `on_page` is awaited with each page of rows as the child reads it; the returned
    SiteScrape holds every row. `target` runs in the child (tests swap it).
    """
    (site,) = kwargs["site_name"]
    receiver, sender = _context.Pipe(duplex=False)
    process = _context.Process(target=_child, args=(target, kwargs, sender), daemon=True)
    started = time.perf_counter()
    process.start()
    sender.close()
    stream, transport = await _stream_of(receiver)
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                message = await _next_message(stream)
                if message is None:  # the child died without answering (killed, out of memory, crashed)
                    await asyncio.to_thread(process.join, 5)
                    return SiteScrape(site, error=f"the scraper process exited with code {process.exitcode}")
                if isinstance(message, SiteScrape):
                    return message
                if on_page is not None:
                    await on_page(message.rows)
    except TimeoutError:
        return SiteScrape(site, timed_out=True, elapsed_s=time.perf_counter() - started)
    finally:
        transport.close()
        if process.is_alive():
            process.kill()
        await asyncio.to_thread(process.join, 5)


async def _stream_of(receiver: Connection) -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    pipe = open(os.dup(receiver.fileno()), "rb", buffering=0)  # noqa: SIM115 (the transport closes it)
    receiver.close()
    stream = asyncio.StreamReader(limit=1 << 20)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), pipe)
    return stream, transport


async def _next_message(stream: asyncio.StreamReader) -> Page | SiteScrape | None:
    try:
        (size,) = _HEADER.unpack(await stream.readexactly(_HEADER.size))
        message: Page | SiteScrape = pickle.loads(await stream.readexactly(size))
    except asyncio.IncompleteReadError:
        return None
    return message
