"""Bounds for the web server Reflex starts: how long a connection may take to send a
request's headers (which also ends idle keep-alive connections), HTTP/1.1 only, and a cap
on the requests in flight per web worker.

Reflex 0.10 builds `granian.server.Server(...)` itself (`reflex.utils.exec.
run_granian_backend_prod`, and `run_granian_backend` in development) with only the target,
address, port, interface, log settings and workers; Granian reads no environment variables
outside its own CLI (GRANIAN_WORKERS and GRANIAN_LOG_LEVEL are Reflex's own reads). So
`install()`, called from rxconfig.py (Reflex loads it in the process that starts Granian,
before it does), puts a subclass in `granian.server.Server` that fills in our options
wherever the caller passed none; Reflex looks the name up when it starts the server.
"""

from __future__ import annotations

from typing import Any

from jobspy_web.settings import get_settings


def server_options() -> dict[str, Any]:
    """The Granian options we set, from HTTP_HEADER_TIMEOUT_SECONDS and HTTP_MAX_CONCURRENT_REQUESTS."""
    from granian.constants import HTTPModes
    from granian.http import HTTP1Settings

    settings = get_settings()
    return {
        # Hyper's header-read timer runs from the connection's start and again after each
        # answer on a kept-alive connection: one bound for slow headers and for idling.
        "http1_settings": HTTP1Settings(header_read_timeout=int(settings.http_header_timeout_seconds * 1000)),
        # HTTP/2 (cleartext, prior knowledge) has no idle bound in Granian; the TLS proxy in
        # front speaks HTTP/2 to browsers and HTTP/1.1 to us.
        "http": HTTPModes.http1,
        "backpressure": settings.http_max_concurrent_requests,
    }


def install() -> None:
    """Make every Granian server started in this process use server_options() (idempotent)."""
    import granian
    import granian.server

    base = granian.server.Server
    if getattr(base, "jobspy_bounded", False):
        return

    class BoundedServer(base):  # type: ignore[misc,valid-type]
        jobspy_bounded = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            for name, value in server_options().items():
                if kwargs.get(name) is None:
                    kwargs[name] = value
            super().__init__(*args, **kwargs)

    granian.server.Server = BoundedServer  # type: ignore[misc]
    if getattr(granian, "Granian", None) is base:
        granian.Granian = BoundedServer  # type: ignore[attr-defined,misc]
