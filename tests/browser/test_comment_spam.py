"""Comment spam in a real browser: the honeypot stays out of sight, out of the accessibility
tree and out of the tab order, and the admin clears a wave of comments in one go."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import expect

from .conftest import NewContext
from .pages import create_plain_poll

pytestmark = pytest.mark.browser


def test_people_never_meet_the_honeypot_and_the_admin_clears_comments(
    new_context: NewContext,
) -> None:
    alice = new_context().new_page()
    created = create_plain_poll(alice, "Summer party", "Free text", ["Lake", "Park"])

    dave = new_context().new_page()
    dave.goto(created.public_url)
    expect(dave.locator('input[name="website"]')).to_have_count(1)
    expect(dave.locator('input[name="website"]')).to_be_hidden()
    expect(dave.get_by_role("textbox", name="Leave this field empty")).to_have_count(0)
    form = dave.locator("#comment-form")
    for text in ("Lake!", "Buy cheap watches", "Visit my shop"):
        form.get_by_role("textbox", name="Your name").fill("Dave")
        form.get_by_role("textbox", name="Comment").fill(text)
        # From the comment box, the next stop of the Tab key is the button, not the trap.
        form.get_by_role("textbox", name="Comment").focus()
        dave.keyboard.press("Tab")
        expect(form.get_by_role("button", name="Post comment")).to_be_focused()
        dave.keyboard.press("Enter")
        expect(dave.get_by_text("Your comment is posted.")).to_be_visible()
    expect(dave.locator("article.comment")).to_have_count(3)

    alice.goto(created.admin_url)
    alice.get_by_role("checkbox", name="Select the comment by Dave").nth(1).check()
    alice.get_by_role("checkbox", name="Select the comment by Dave").nth(2).check()
    alice.once("dialog", lambda dialog: dialog.accept())
    alice.get_by_role("button", name="Delete the selected comments").click()
    expect(alice.get_by_text("2 comments deleted.")).to_be_visible()
    expect(alice.locator("article.comment")).to_have_count(1)
    expect(alice.locator("article.comment")).to_contain_text("Lake!")
