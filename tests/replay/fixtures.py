"""The recorded-shape templates in tests/fixtures/replay/.

HTML templates use string.Template's $name; JSON templates are JSON in which a
string "$name" stands for a value of any JSON type.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "replay"


def fill_html(name: str, **values: object) -> str:
    """The HTML template `name` filled in; values are inserted as they are, so escape them."""
    return _html_template(name).substitute(values)


def fill_json(name: str, **values: object) -> Any:
    """The JSON template `name` with each "$key" string replaced by values[key]."""

    def fill(node: object) -> object:
        if isinstance(node, dict):
            return {key: fill(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, str) and node.startswith("$"):
            return values[node[1:]]
        return node

    return fill(_json_template(name))


@cache
def _html_template(name: str) -> Template:
    return Template((FIXTURES_DIR / name).read_text(encoding="utf-8"))


@cache
def _json_template(name: str) -> object:
    return json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))
