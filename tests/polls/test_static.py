"""Templates and static files keep to the strict CSP and draw every answer with an icon."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bitpoll
from bitpoll.polls.models import Choice

PACKAGE = Path(bitpoll.__file__).parent
TEMPLATES = [
    *sorted((PACKAGE / "polls" / "templates").rglob("*.html")),
    PACKAGE / "core" / "templates" / "core" / "home.html",
]
CSS = (PACKAGE / "static" / "bitpoll" / "css" / "polls.css").read_text()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    assert "style=" not in text
    assert not re.search(r"<script(?![^>]*\bsrc=)", text)
    assert not re.search(r"\son[a-z]+=", text)


def test_every_cell_class_has_a_colour_and_an_icon() -> None:
    for colour in Choice.Colour.values:
        for icon in Choice.Icon.values:
            css = Choice(colour=colour, icon=icon).css
            rules = [r for r in CSS.split("}") if f'td[class="{css}"]' in r]
            assert any("--cs:" in r for r in rules), (colour, icon)
            assert any("mask-image" in r for r in rules), (colour, icon)


@pytest.mark.parametrize("icon", Choice.Icon.values)
def test_every_icon_has_an_svg(icon: str) -> None:
    assert (PACKAGE / "static" / "bitpoll" / "icons" / f"{icon}.svg").is_file()
