"""The prerendered pages ship no <link rel="modulepreload"> (ui.first_paint): their first
paint waits for the stylesheets only, and their module script still imports everything."""

from __future__ import annotations

from pathlib import Path

import rxconfig
from jobspy_web.ui.first_paint import SPA_FALLBACK, DropModulePreloads, drop_modulepreloads

PAGE = (
    '<html><head><link href="/app.css" rel="stylesheet"/>'
    '<link rel="modulepreload" href="/assets/manifest-7d9447cb.js"/>'
    '<link rel="modulepreload" href="/assets/entry.client-C28ssRlw.js" crossorigin="anonymous"/>'
    '<link rel="preload" as="image" href="/icon-192.png"/></head><body><h1>Hi</h1>'
    '<script type="module" async="">import "/assets/manifest-7d9447cb.js";\nimport("/assets/entry.client-C28ssRlw.js");</script>'
    "</body></html>"
)


def test_the_modulepreload_links_go_and_nothing_else_does():
    lean = drop_modulepreloads(PAGE)
    assert "modulepreload" not in lean
    assert lean == PAGE.replace(
        '<link rel="modulepreload" href="/assets/manifest-7d9447cb.js"/>'
        '<link rel="modulepreload" href="/assets/entry.client-C28ssRlw.js" crossorigin="anonymous"/>',
        "",
    )
    assert '<link rel="preload" as="image" href="/icon-192.png"/>' in lean  # other preloads stay
    assert 'import("/assets/entry.client-C28ssRlw.js")' in lean  # the page still hydrates


def test_post_build_rewrites_every_prerendered_page_but_the_spa_fallback(tmp_path: Path):
    (tmp_path / "login").mkdir()
    for name in ("index.html", "login/index.html", "login.html", SPA_FALLBACK):
        (tmp_path / name).write_text(PAGE, encoding="utf-8")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "entry.client-C28ssRlw.js").write_text('"modulepreload"', encoding="utf-8")
    DropModulePreloads().post_build(static_dir=tmp_path)
    for name in ("index.html", "login/index.html", "login.html"):
        assert "modulepreload" not in (tmp_path / name).read_text(encoding="utf-8"), name
    assert (tmp_path / SPA_FALLBACK).read_text(encoding="utf-8") == PAGE  # no content before its scripts
    assert (tmp_path / "assets" / "entry.client-C28ssRlw.js").read_text(encoding="utf-8") == '"modulepreload"'


def test_the_app_builds_with_the_plugin():
    assert any(isinstance(plugin, DropModulePreloads) for plugin in rxconfig.config.plugins)
