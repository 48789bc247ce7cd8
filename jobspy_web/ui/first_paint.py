"""The prerendered pages paint before their scripts: no <link rel="modulepreload"> in them.

React Router's <Scripts> puts one modulepreload link in the head for every module the page
will hydrate with (about 20 on "/", ~300 KiB compressed), and has no option to leave them
out or lower their priority. The pages are prerendered, so what a visitor reads is in the
HTML and waits only for the stylesheets; but the browser fetches those modules at high
priority beside the stylesheets and, once they arrive, runs them before it paints. Measured
(bench/ui.py, Lighthouse 12 mobile, issue 17, medians of 9 runs on a shared 2-core machine):
without the links, Lighthouse's first contentful paint ~3.4 -> ~1.1 s on all three pages,
throttled first paint of /login 1628 -> ~900 ms, performance "/" 83 -> 91, /login 90 -> 94,
/pricing 84-90 -> 88 (98-100 when the machine is quiet: what is left is total blocking
time, the hydration that now runs after the paint). Kept at fetchpriority="low", the scripts
still landed and ran before the paint (LCP unchanged). The cost: the page's inline module
script finds its imports itself, a couple of round trips later, so hydration (not the first
paint) comes later on a slow network: the throttled load event of "/" ~2.9 -> ~3.3 s.

`DropModulePreloads.post_build` (Reflex's hook after the production build, before the
.gz/.br sidecars are made) takes the links out of every prerendered page but the SPA
fallback, which has no content before its scripts and keeps them. Nothing else changes: the
inline `<script type="module">` still imports the same modules.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import reflex as rx
from reflex_base import constants

__all__ = ["DropModulePreloads", "drop_modulepreloads"]

_MODULEPRELOAD = re.compile(r"<link\b[^>]*\brel=\"modulepreload\"[^>]*>")
# React Router's shell for routes that are not prerendered (dynamic segments, and 404.html
# copied from it): nothing to show before its scripts, so its preloads stay.
SPA_FALLBACK = constants.ReactRouter.SPA_FALLBACK


def drop_modulepreloads(html: str) -> str:
    """The page without its <link rel="modulepreload"> tags, all else as it was."""
    return _MODULEPRELOAD.sub("", html)


@dataclasses.dataclass
class DropModulePreloads(rx.plugins.Plugin):
    """Reflex plugin: prerendered pages without modulepreload links (see the module docstring)."""

    def post_build(self, **context: Any) -> None:
        static_dir: Path = context["static_dir"]
        for page in static_dir.rglob("*.html"):
            if page.name == SPA_FALLBACK:
                continue
            html = page.read_text(encoding="utf-8")
            lean = drop_modulepreloads(html)
            if lean != html:
                page.write_text(lean, encoding="utf-8")
