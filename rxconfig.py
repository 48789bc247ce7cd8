import os

import reflex as rx

from jobspy_web.infra import server_limits
from jobspy_web.infra.origins import page_origins
from jobspy_web.settings import get_settings

# Reflex's shared state (several workers) lives in REDIS_STATE_URL, else REDIS_URL;
# REFLEX_REDIS_URL, if set, still wins because Reflex reads it after this file.
redis_url = os.environ.get("REDIS_STATE_URL") or os.environ.get("REDIS_URL") or None
_settings = get_settings()
# Reflex starts Granian without options of its own: header-read/idle timeout, HTTP/1.1 and a
# concurrency cap come from here (infra.server_limits; README "Security notes").
server_limits.install()

config = rx.Config(
    app_name="jobspy_web",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    redis_url=redis_url,
    state_manager_mode="redis" if redis_url else "disk",
    # The websocket (and Reflex's HTTP routes) answer only our own pages: Socket.IO refuses
    # any other Origin, scheme included. CORS for the extension's routes: api/http_hardening.
    cors_allowed_origins=page_origins(_settings),
    # Behind FORWARDED_ALLOW_IPS proxies, the websocket's client IP is the forwarded one.
    trusted_proxy_hops=1 if _settings.forwarded_allow_ips else 0,
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
)
