import dataclasses
import os
from typing import Any

import reflex as rx

from jobspy_web.infra import server_limits
from jobspy_web.infra.origins import page_origins
from jobspy_web.settings import get_settings
from jobspy_web.ui.first_paint import DropModulePreloads

# Reflex's shared state (several workers) lives in REDIS_STATE_URL, else REDIS_URL;
# REFLEX_REDIS_URL, if set, still wins because Reflex reads it after this file.
redis_url = os.environ.get("REDIS_STATE_URL") or os.environ.get("REDIS_URL") or None
_settings = get_settings()
# Reflex starts Granian without options of its own: header-read/idle timeout, HTTP/1.1 and a
# concurrency cap come from here (infra.server_limits; README "Security notes").
server_limits.install()

# Radix Themes' styles.css carries the colour scales of all 31 colours (tokens.css, 35 KiB of
# its 86 KiB compressed). The pages use these: the accent (indigo), its gray (slate), the
# plain gray and the badge/callout colours; a colour_scheme added to a page must be added here.
RADIX_COLORS = ("gray", "slate", "indigo", "amber", "blue", "green", "orange", "red", "violet")


@dataclasses.dataclass
class RadixThemesUsedColors(rx.plugins.RadixThemesPlugin):
    """Radix Themes with only the colour scales the app uses: the same rules otherwise
    (base tokens, components, utilities), as Radix documents for a smaller bundle."""

    def get_stylesheet_paths(self, **context: Any) -> tuple[str, ...]:
        if not self.enabled:
            return ()
        colors = tuple(f"@radix-ui/themes/tokens/colors/{color}.css" for color in RADIX_COLORS)
        return ("@radix-ui/themes/tokens/base.css", *colors, "@radix-ui/themes/components.css", "@radix-ui/themes/utilities.css")


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
    # The prerendered pages paint before their ~300 KiB of modules arrive (ui.first_paint).
    plugins=[RadixThemesUsedColors(theme=rx.theme(accent_color="indigo", radius="medium")), DropModulePreloads()],
    # Sidecars served by Reflex's static files in place of the plain file: brotli to browsers
    # that send `br` (over HTTPS), gzip to the rest.
    frontend_compression_formats=["brotli", "gzip"],
    # Reflex would otherwise `import * as` every bundled library (all of Radix Themes) into
    # the root of every page, for dynamic components that read window.__reflex: the app has
    # none, so those load only if one is ever evaluated.
    frontend_lazy_bundled_libraries=True,
)
