"""The print layout: the question and the results grid on paper, without forms or navigation."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import expect

from .conftest import NewContext
from .pages import answer_poll, create_plain_poll

pytestmark = pytest.mark.browser


def test_it_prints_the_grid_without_forms_or_navigation(new_context: NewContext) -> None:
    page = new_context().new_page()
    created = create_plain_poll(page, "Notice board", "Free text", ["Pizza", "Sushi"])
    # Someone else answers: after answering, one's own page folds the answer row away.
    bob = new_context().new_page()
    bob.goto(created.public_url)
    answer_poll(bob, "Bob", {"Pizza": "Yes", "Sushi": "No"})
    page.goto(created.public_url)
    grid = page.get_by_role("table").first
    save = page.get_by_role("button", name="Save my answer")
    form = page.locator("form").filter(has=save)
    footer = page.get_by_role("contentinfo")
    expect(form).to_be_visible()
    expect(save).to_be_visible()
    expect(footer).to_be_visible()

    page.emulate_media(media="print")
    expect(grid).to_be_visible()
    expect(grid.get_by_role("rowheader", name="Bob")).to_be_visible()
    expect(page.get_by_role("heading", name="Notice board", level=1)).to_be_visible()
    expect(save).to_be_hidden()
    expect(form).to_be_hidden()
    expect(page.locator("#new-answer")).to_be_hidden()
    expect(footer).to_be_hidden()
    expect(page.get_by_label("Language")).to_be_hidden()
    # Wide polls must not be cut at a scroll box's edge.
    overflow = grid.evaluate("table => getComputedStyle(table.parentElement).overflowX")
    assert overflow == "visible"

    page.emulate_media(media="screen")
    expect(save).to_be_visible()
