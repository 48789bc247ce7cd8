"""What the first load carries: each page's components in its own bundle, the Radix colour
scales the pages use and no others, and no component that drags a whole library in."""

from __future__ import annotations

import re
from pathlib import Path

import jobspy_web.jobspy_web as composition
import rxconfig
from jobspy_web.ui.components.search_form import search_form

ROOT = Path(__file__).resolve().parents[2]
RADIX_ALL_COLORS = [
    "gray",
    "mauve",
    "slate",
    "sage",
    "olive",
    "sand",
    "tomato",
    "red",
    "ruby",
    "crimson",
    "pink",
    "plum",
    "purple",
    "violet",
    "iris",
    "indigo",
    "blue",
    "cyan",
    "teal",
    "jade",
    "green",
    "grass",
    "bronze",
    "gold",
    "brown",
    "orange",
    "amber",
    "yellow",
    "lime",
    "mint",
    "sky",
]


def test_every_page_is_compiled_into_its_own_modules_file_not_the_shared_layout():
    modules = {route: page._source_module for route, page in composition.app._unevaluated_pages.items()}
    assert modules["index"] == "jobspy_web.ui.pages.search"
    assert modules["login"] == "jobspy_web.ui.pages.auth"
    assert modules["usage"] == "jobspy_web.ui.pages.usage"  # the charts stay on the usage page
    assert all(module and module.startswith("jobspy_web.ui.pages.") for module in modules.values()), modules


def test_the_radix_stylesheets_name_files_that_exist_and_every_colour_a_page_uses():
    plugin = next(plugin for plugin in rxconfig.config.plugins if isinstance(plugin, rxconfig.RadixThemesUsedColors))
    sheets = plugin.get_stylesheet_paths()
    assert "@radix-ui/themes/styles.css" not in sheets
    assert "@radix-ui/themes/components.css" in sheets and "@radix-ui/themes/utilities.css" in sheets
    used = set()
    for source in (ROOT / "jobspy_web").rglob("*.py"):
        used |= {color for color in re.findall(r'"([a-z]+)"', source.read_text(encoding="utf-8")) if color in RADIX_ALL_COLORS}
    used |= {"indigo", "slate"}  # the accent and the gray Radix pairs with it
    assert used <= set(rxconfig.RADIX_COLORS), f"add to rxconfig.RADIX_COLORS: {sorted(used - set(rxconfig.RADIX_COLORS))}"
    web = ROOT / ".web" / "node_modules" / "@radix-ui" / "themes"
    if web.exists():  # after a first build: the files are Radix's own
        for sheet in sheets:
            assert (web / sheet.removeprefix("@radix-ui/themes/")).is_file(), sheet


def test_the_advanced_toggle_uses_static_icons_not_lucides_dynamic_map():
    lucide = [
        (var.tag, var.package_path)
        for library, found in search_form()._get_all_imports().items()
        if library.startswith("lucide")
        for var in found
    ]
    assert ("ChevronDown", "/dist/esm/icons/chevron-down.mjs") in lucide  # one icon, one file
    assert all(path and path.startswith("/dist/esm/icons/") for _, path in lucide), lucide  # not /dynamic.mjs


def test_markdown_descriptions_load_no_katex_and_no_syntax_highlighter():
    from jobspy_web.ui.components import results

    libraries = " ".join(results.job_detail()._get_all_imports())
    assert "react-markdown" in libraries  # descriptions are still markdown
    assert "katex" not in libraries and "react-syntax-highlighter" not in libraries


def test_lazy_bundled_libraries_keep_radix_out_of_every_pages_root():
    assert rxconfig.config.frontend_lazy_bundled_libraries is True
    assert rxconfig.config.frontend_compression_formats[:2] == ["brotli", "gzip"]
