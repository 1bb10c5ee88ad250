"""Without JavaScript and on a phone: the core flows still work and the page still fits."""

from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import Page, expect

from .conftest import PHONE, NewContext
from .pages import answer_poll, answer_radio, create_plain_poll, option_group, slot_label

pytestmark = pytest.mark.browser

SLOTS = ["2031-03-03 09:00-10:00", "2031-03-03 14:00", "2031-03-04 09:00-10:00"]


def test_it_creates_and_answers_a_poll_without_javascript(new_context: NewContext) -> None:
    alice = new_context(java_script_enabled=False).new_page()
    created = create_plain_poll(alice, "Board meeting", "Dates and times", SLOTS)
    expect(alice.get_by_text("Times are in UTC.")).to_be_visible()
    # The copy buttons need JavaScript, so they stay out of the way.
    expect(alice.get_by_role("button", name="Copy")).to_have_count(0)

    bob = new_context(java_script_enabled=False).new_page()
    bob.goto(created.public_url)
    # The month calendar is JavaScript's; the options are just there to answer.
    expect(bob.get_by_role("button", name="Next month")).to_have_count(0)
    first = slot_label(dt.date(2031, 3, 3), "09:00\u201310:00")
    answer_poll(bob, "Bob", {first: "Yes"})
    # Changing the answer is the same grid row, plain radios that need no script.
    second = slot_label(dt.date(2031, 3, 3), "14:00")
    bob.get_by_role("link", name="Change my answer").click()
    expect(answer_radio(option_group(bob, first), "Yes")).to_be_checked()
    answer_radio(option_group(bob, second), "If need be").check()
    bob.get_by_role("button", name="Save changes").click()
    expect(bob.get_by_text("The answer is updated.")).to_be_visible()
    bob.get_by_role("link", name="Change my answer").click()
    expect(answer_radio(option_group(bob, second), "If need be")).to_be_checked()

    alice.goto(created.admin_url)
    expect(alice.get_by_role("paragraph").filter(has_text="Best so far:")).to_contain_text(first)
    entries = alice.get_by_role("table", name="Every answer, with links to change or delete it")
    expect(entries.get_by_role("rowheader")).to_have_text(["Bob"])


def page_width(page: Page) -> int:
    """How wide the document is. On a phone the browser widens the layout viewport to fit
    overflowing content, so compare with the device width, not the viewport's."""
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_it_fits_the_poll_page_on_a_phone(new_context: NewContext) -> None:
    alice = new_context().new_page()
    days = (7, 8, 9, 10)
    slots = [f"2031-04-{day:02d} {slot}" for day in days for slot in ("09:00-10:30", "18:00")]
    created = create_plain_poll(
        alice, "A long poll title that has to wrap on a narrow phone", "Dates and times", slots
    )
    # The best option in the last column, far to the right of a phone's screen.
    last = slot_label(dt.date(2031, 4, 10), "18:00")
    bob = new_context().new_page()
    bob.goto(created.public_url)
    answer_poll(bob, "Someone with a rather long name", {last: "Yes"})

    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(created.public_url)
    expect(phone.get_by_role("paragraph").filter(has_text="Best so far:")).to_contain_text(last)
    # The grid scrolls inside its own region; the page itself must not.
    expect(phone.get_by_role("region", name="Results").last).to_be_visible()
    assert page_width(phone) <= PHONE["width"], "the poll page scrolls sideways on a phone"
    phone.goto("/new/")
    expect(phone.get_by_role("heading", name="Create a poll")).to_be_visible()
    assert page_width(phone) <= PHONE["width"], "the create page scrolls sideways on a phone"
