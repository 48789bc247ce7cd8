"""Which browser origins are ours, and who the client is behind trusted proxies.

`page_origins` is the one list the websocket's Origin check (rxconfig), the form posts'
CSRF check and CORS share: PUBLIC_URL's origin, plus in development the same page on
localhost and 127.0.0.1 (and Reflex's dev frontend port), since people open either.
An origin is compared whole: scheme, host and port (http://ours is not https://ours).
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from jobspy_web.settings import Settings

__all__ = ["client_address", "origin_of", "page_origins"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
DEV_FRONTEND_PORT = 3000  # Reflex's dev server, when PUBLIC_URL points elsewhere


def origin_of(url: str) -> str:
    """The URL's origin, scheme://host[:port], in lower case without a default port; "" if not a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if not parts.scheme or not parts.hostname:
        return ""
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


def page_origins(settings: Settings) -> list[str]:
    public = origin_of(settings.public_url)
    origins = [public]
    if settings.environment == "development":
        parts = urlsplit(settings.public_url)
        ports = {parts.port or _DEFAULT_PORTS.get(parts.scheme, 80), DEV_FRONTEND_PORT}
        if (frontend := os.environ.get("REFLEX_FRONTEND_PORT", "")).isdigit():
            ports.add(int(frontend))
        for host in ("localhost", "127.0.0.1"):
            origins += [origin_of(f"http://{host}:{port}") for port in sorted(ports)]
    return list(dict.fromkeys(origin for origin in origins if origin))


def _trusted(address: str, trusted: list[str]) -> bool:
    if "*" in trusted:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(peer: str | None, forwarded_for: str, trusted: list[str]) -> str:
    """The client's IP: the peer's, unless the peer is a trusted proxy (FORWARDED_ALLOW_IPS),
    then the nearest X-Forwarded-For hop that isn't one. An untrusted peer's header is
    ignored: anyone can send X-Forwarded-For."""
    address = peer or "unknown"
    if not trusted or not _trusted(address, trusted):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        address = hop
        if not _trusted(hop, trusted):
            break
    return address
