"""Every form control on every poll page has an accessible name; ids are unique.

A parser-level check, complementing the browser tests: it catches an input added without a
label before anyone has to tab through the page with a screen reader.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from .conftest import World

pytestmark = pytest.mark.django_db


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.ids: list[str] = []
        self.unlabelled: list[str] = []
        self._open_labels = 0
        self._pending: list[tuple[str, dict[str, str | None]]] = []
        self.tables_without_caption = 0
        self._in_table = False
        self._table_has_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "label":
            self._open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        if tag in ("input", "select", "textarea"):
            kind = a.get("type") or "text"
            if kind in ("hidden", "submit", "button"):
                return
            if self._open_labels or a.get("aria-label"):
                return
            self._pending.append((tag, a))
        if tag == "table":
            self._in_table, self._table_has_caption = True, False
        if tag == "caption":
            self._table_has_caption = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._open_labels -= 1
        if tag == "table":
            if not self._table_has_caption:
                self.tables_without_caption += 1
            self._in_table = False

    def close(self) -> None:
        super().close()
        self.unlabelled = [
            f"{tag} {a.get('name')}"
            for tag, a in self._pending
            if a.get("id") not in self.label_for
        ]


def _pages(world: World) -> list[tuple[str, object]]:
    return [
        ("/new/", world.dave.client),
        (world.public, world.dave.client),
        (world.public, world.bob.client),
        (world.public + "results/", world.bob.client),
        (world.edit_link(world.bob), world.bob.client),
        (world.admin, world.alice.client),
        (world.admin + "edit/", world.alice.client),
        (world.admin + "options/", world.alice.client),
        (world.admin + "scale/", world.alice.client),
        (world.admin + "copy/", world.alice.client),
        (world.admin + "delete/", world.alice.client),
    ]


def test_every_control_is_labelled_and_every_id_unique(world: World) -> None:
    for path, client in _pages(world):
        response = client.get(path)  # type: ignore[attr-defined]
        assert response.status_code == 200, path
        parser = _Controls()
        parser.feed(response.content.decode())
        parser.close()
        assert parser.unlabelled == [], path
        duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
        assert not duplicates, (path, duplicates)
        assert parser.tables_without_caption == 0, path


def test_the_grid_has_header_cells_with_scope(world: World) -> None:
    html = world.dave.client.get(world.public).content.decode()
    assert '<th scope="col">Participant' in html
    assert html.count("<th scope=row>") == 2
    assert 'role="region"' in html and 'tabindex="0"' in html
