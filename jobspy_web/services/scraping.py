"""Run one job site's scrape in its own process, so a hung site can really be stopped.

JobSpy's scrapers block in threads that cannot be cancelled (a single request may wait
~15 s), so each site runs in a child process forked from a preloaded forkserver: start-up
costs milliseconds, and a timeout or a cancel kills the child outright.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["jobspy", "pandas", "jobspy_web.services.scraping"])


@dataclass
class SiteScrape:
    """What one site returned: JobSpy rows, or the reason it produced none."""

    site: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    timed_out: bool = False
    elapsed_s: float = 0.0


def scrape_in_this_process(kwargs: dict[str, Any]) -> SiteScrape:
    """Call jobspy.scrape_jobs for a single site and flatten its DataFrame to rows."""
    import jobspy

    (site,) = kwargs["site_name"]
    started = time.perf_counter()
    try:
        frame = jobspy.scrape_jobs(**kwargs, verbose=0)
    except Exception as error:  # JobSpy reports most failures in attrs; this catches the rest
        return SiteScrape(site, error=f"{type(error).__name__}: {error}")
    rows = [{name: _plain(value) for name, value in row.items()} for row in frame.to_dict("records")]
    return SiteScrape(
        site,
        rows=rows,
        error=frame.attrs.get("errors", {}).get(site),
        warnings=list(frame.attrs.get("warnings", {}).get(site, [])),
        elapsed_s=time.perf_counter() - started,
    )


def _plain(value: Any) -> Any:
    """NaN and pandas' missing markers become None, so rows survive JSON and SQL."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value


def _child(kwargs: dict[str, Any], sender: Connection) -> None:
    try:
        sender.send(scrape_in_this_process(kwargs))
    finally:
        sender.close()


def warm_up() -> None:
    """Start the forkserver now (it imports JobSpy once) so the first search doesn't wait."""
    process = _context.Process(target=time.sleep, args=(0,), daemon=True)
    process.start()
    process.join()


async def scrape_site(kwargs: dict[str, Any], *, timeout_s: float) -> SiteScrape:
    """Scrape one site in a child process; kill it after `timeout_s` or on cancellation."""
    (site,) = kwargs["site_name"]
    receiver, sender = _context.Pipe(duplex=False)
    process = _context.Process(target=_child, args=(kwargs, sender), daemon=True)
    started = time.perf_counter()
    process.start()
    sender.close()
    try:
        await asyncio.wait_for(_readable(receiver), timeout_s)
        result: SiteScrape = await asyncio.to_thread(receiver.recv)
        return result
    except TimeoutError:
        return SiteScrape(site, timed_out=True, elapsed_s=time.perf_counter() - started)
    except EOFError:  # the child died without answering (killed, out of memory, crashed)
        return SiteScrape(site, error=f"the scraper process exited with code {process.exitcode}")
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        await asyncio.to_thread(process.join, 5)


async def _readable(connection: Connection) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(connection.fileno(), wake)
    try:
        await ready
    finally:
        loop.remove_reader(connection.fileno())
