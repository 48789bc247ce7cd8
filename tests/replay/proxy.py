"""An in-process HTTPS proxy that answers for the job sites JobSpy scrapes.

Clients send CONNECT host:443; the proxy accepts the tunnel for a known job
site, ends TLS itself with a certificate its own CA issued for that host (only
HTTP/1.1 is offered, so curl_cffi's Chrome impersonation falls back from h2)
and answers each request from the site's fake in `sites`, or as the site's
behaviour says (an error status, a challenge page from `challenges`, ...).
Anything else, an unknown host or a plain-HTTP request, gets 502: nothing
reaches the internet.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import tempfile
import threading
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

import trustme

from .behaviour import SiteBehaviour
from .challenges import challenge_response
from .http11 import Request, Response, read_request, status_response, write_response
from .sites import FakeSite, site_for_host

log = logging.getLogger(__name__)

UNKNOWN_SITE = "unknown"
BROKEN_BODY = b'{"data": {"results": [{"job": {"title": "Senior Pyth'
"""What a "malformed" site sends: cut off mid-JSON, and no HTML job cards either."""
CLOSE_TIMEOUT = 1.0


class SeenRequest(NamedTuple):
    site: str
    """JobSpy's site value, or UNKNOWN_SITE."""
    method: str
    path: str
    """The path in a tunnel; the request target as sent for an unknown site."""


class ReplayProxy:
    """Usage: `with ReplayProxy() as proxy: scrape_jobs(..., proxies=[proxy.url],
    ca_cert=proxy.ca_cert_path)`. `scenario` maps JobSpy site values to their
    behaviour, may be changed at any time, and a site it lacks behaves "ok"."""

    def __init__(
        self,
        scenario: dict[str, SiteBehaviour] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.scenario: dict[str, SiteBehaviour] = dict(scenario or {})
        self._bind = (host, port)
        self._ca = trustme.CA()
        self._tls_contexts: dict[str, ssl.SSLContext] = {}
        self._seen: list[SeenRequest] = []
        self._seen_lock = threading.Lock()
        self._connections: set[asyncio.Task[None]] = set()
        self._cert_dir: tempfile.TemporaryDirectory[str] | None = None
        self._ca_cert: Path | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """The value for scrape_jobs(proxies=[...])."""
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def ca_cert_path(self) -> str:
        """The CA's PEM file, for scrape_jobs(ca_cert=...)."""
        if self._ca_cert is None:
            raise RuntimeError("the proxy is not started")
        return str(self._ca_cert)

    @property
    def requests_seen(self) -> list[SeenRequest]:
        """Every request so far, oldest first (a copy)."""
        with self._seen_lock:
            return list(self._seen)

    def start(self) -> ReplayProxy:
        if self._thread:
            raise RuntimeError("the proxy is already started")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="replay-proxy", daemon=True)
        self._thread.start()
        try:
            listening = asyncio.start_server(self._serve_connection, *self._bind)
            self._server = asyncio.run_coroutine_threadsafe(listening, self._loop).result()
        except BaseException:
            self.stop()
            raise
        self._cert_dir = tempfile.TemporaryDirectory(prefix="replay-proxy-")
        self._ca_cert = Path(self._cert_dir.name) / "replay-ca.pem"
        self._ca.cert_pem.write_to_path(self._ca_cert)
        return self

    def stop(self) -> None:
        if not (self._loop and self._thread):
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
        if self._cert_dir:
            self._cert_dir.cleanup()
        self._loop = self._thread = self._server = self._cert_dir = self._ca_cert = None

    def __enter__(self) -> ReplayProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def _shutdown(self) -> None:
        if self._server:
            self._server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server:
            await self._server.wait_closed()

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass  # the client went away (or broke TLS) or spoke something else than HTTP/1.1
        except asyncio.CancelledError:
            # stopping: drop the connection, as a client holding the tunnel open
            # won't answer TLS's close; not re-raised, as this task is the top
            # level and asyncio logs a connection task that ends cancelled
            writer.transport.abort()
        finally:
            self._connections.discard(task)
            await _close(writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connect = await read_request(reader)
        if connect is None:
            return
        host, _, port = connect.target.rpartition(":")
        site = site_for_host(host) if connect.method == "CONNECT" else None
        if site is None or port != "443":
            self._record(UNKNOWN_SITE, connect.method, connect.target)
            await write_response(writer, status_response(502))
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await writer.start_tls(self._tls_context(host))
        while request := await read_request(reader):
            await write_response(writer, await self._answer(site, host, request))
            if request.headers.get("connection", "").lower() == "close":
                return

    async def _answer(self, site: FakeSite, host: str, request: Request) -> Response:
        self._record(site.name, request.method, request.path)
        behaviour = self.scenario.get(site.name) or SiteBehaviour()
        await asyncio.sleep(behaviour.delay)
        if behaviour.mode == "hang":
            await asyncio.Event().wait()  # until the proxy stops
        if behaviour.mode == "status":
            return status_response(behaviour.answer_status)
        if behaviour.mode == "challenge":
            return challenge_response(behaviour.challenge_kind, behaviour.answer_status, request, host)
        if behaviour.mode == "malformed":
            return Response(body=BROKEN_BODY, content_type="application/json")
        try:
            # ok, empty, drifted and partial: the site's fake, which drifts postings
            return site.respond(request, behaviour)
        except Exception:
            log.exception("the fake %s failed on %s %s", site.name, request.method, request.target)
            return status_response(500)

    def _tls_context(self, host: str) -> ssl.SSLContext:
        if host not in self._tls_contexts:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ca.issue_cert(host).configure_cert(context)
            context.set_alpn_protocols(["http/1.1"])
            self._tls_contexts[host] = context
        return self._tls_contexts[host]

    def _record(self, site: str, method: str, path: str) -> None:
        with self._seen_lock:
            self._seen.append(SeenRequest(site, method, path))


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with suppress(OSError, asyncio.TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)
    writer.transport.abort()  # no-op once closed; ends a TLS close the client ignores
