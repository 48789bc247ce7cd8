import os

import reflex as rx

# One REDIS_URL serves the app's cache and Reflex's shared state (several workers);
# REFLEX_REDIS_URL, if set, still wins because Reflex reads it after this file.
redis_url = os.environ.get("REDIS_URL") or None

config = rx.Config(
    app_name="jobspy_web",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    redis_url=redis_url,
    state_manager_mode="redis" if redis_url else "disk",
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
)
