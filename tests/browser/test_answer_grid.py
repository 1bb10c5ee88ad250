"""Issue 12: answering in one's own row of the grid, and a grid that scales.

Each participant answers in the first row of the grid (as in Rallly or Doodle), with the
mouse, a finger or the keyboard; each answer's control is named "Option — Answer" for
screen readers. A failed answer puts its list of problems in view; after answering, the row
for another answer is folded away; the grid can be sorted and filtered.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import Page, expect

from .conftest import PHONE, NewContext
from .pages import (
    answer_form,
    answer_poll,
    answer_radio,
    create_plain_poll,
    open_create_form,
    option_group,
    slot_label,
    submit_create_form,
    tab_to,
)

pytestmark = pytest.mark.browser

LUNCH = ["Lunch/Pizza", "Lunch/Sushi", "Salad"]
TWENTY = [f"2031-05-{day:02d} {time}" for day in range(4, 14) for time in ("09:00", "14:00")]


def in_viewport(page: Page, selector: str) -> bool:
    return bool(
        page.evaluate(
            """s => { const r = document.querySelector(s).getBoundingClientRect();
                      return r.top >= 0 && r.top < window.innerHeight; }""",
            selector,
        )
    )


def test_it_names_each_control_option_and_answer_and_saves_clicks(new_context: NewContext) -> None:
    alice = new_context().new_page()
    created = create_plain_poll(alice, "Lunch", "Free text", LUNCH)

    bob = new_context().new_page()
    bob.goto(created.public_url)
    form = answer_form(bob)
    # The answer row is part of the grid, not a separate list of cards below it.
    grid = form.get_by_role("table")
    expect(grid.get_by_role("radio", name="Lunch / Pizza — Yes", exact=True)).to_be_visible()
    expect(grid.get_by_role("radio", name="Salad — If need be", exact=True)).to_be_visible()
    expect(grid.get_by_role("textbox", name="Your name")).to_be_visible()
    expect(form.locator("fieldset")).to_have_count(0)
    answer_poll(bob, "Bob", {"Lunch / Pizza": "Yes", "Salad": "No"}, {"Salad": "too light"})

    # Each results cell carries its answer as text for screen readers; a skipped option a
    # visible dash and the words "no answer".
    row = bob.get_by_role("row").filter(has=bob.get_by_role("rowheader", name=re.compile("^Bob")))
    cells = row.get_by_role("cell")
    expect(cells).to_have_count(3)
    assert [c.text_content().strip().strip("*") for c in cells.all()] == ["Yes", "no answer", "No"]
    dash = cells.nth(1).evaluate("c => getComputedStyle(c, '::before').content")
    assert "\u2013" in dash


def test_it_folds_the_row_for_another_answer_after_answering(new_context: NewContext) -> None:
    alice = new_context().new_page()
    created = create_plain_poll(alice, "Folded lunch", "Free text", LUNCH)
    bob = new_context().new_page()
    bob.goto(created.public_url)
    answer_poll(bob, "Bob", {"Salad": "Yes"})
    form = bob.get_by_role("region", name="Add another answer")
    expect(form.get_by_role("textbox", name="Your name")).to_be_hidden()
    expect(form.get_by_role("button", name="Save my answer")).to_be_hidden()
    bob.get_by_label("Show a row to answer for someone else").check()
    expect(form.get_by_role("textbox", name="Your name")).to_be_visible()
    expect(answer_radio(option_group(form, "Salad"), "Yes")).to_be_visible()


def test_it_answers_with_the_keyboard_alone(new_context: NewContext) -> None:
    """Arrow keys move between options, y / m / n pick (and move on); each pick is announced."""
    alice = new_context().new_page()
    created = create_plain_poll(alice, "Keys", "Free text", [*LUNCH, "Soup"])
    dana = new_context().new_page()
    dana.goto(created.public_url)
    keys = dana.keyboard
    live = dana.locator("#answer-live")

    tab_to(dana, answer_form(dana).get_by_role("textbox", name="Your name"))
    keys.type("Dana")
    keys.press("Tab")  # the first option's group
    keys.press("y")  # Pizza: yes, and on to Sushi
    expect(live).to_have_text("Lunch / Pizza — Yes")
    keys.press("ArrowRight")  # skip Sushi
    keys.press("m")  # Salad: if need be, on to Soup
    expect(live).to_have_text("Salad — If need be")
    keys.press("ArrowLeft")
    keys.press("ArrowLeft")  # back to Sushi
    keys.press("n")
    expect(live).to_have_text("Lunch / Sushi — No")
    keys.press("End")
    keys.press("3")  # the digits pick by position: No
    expect(live).to_have_text("Soup — No")
    keys.press("Enter")  # submits the form, as Enter on a radio does

    expect(dana.get_by_text("Thank you, your answer is saved.")).to_be_visible()
    row = dana.get_by_role("row").filter(
        has=dana.get_by_role("rowheader", name=re.compile("^Dana"))
    )
    expect(row.get_by_role("cell")).to_have_text(["Yes", "No", "If need be", "No"])


def test_it_sets_every_option_or_a_whole_group_at_once(new_context: NewContext) -> None:
    alice = new_context().new_page()
    created = create_plain_poll(alice, "All at once", "Free text", [*LUNCH, "Dinner/Soup"])
    erin = new_context().new_page()
    erin.goto(created.public_url)
    form = answer_form(erin)
    form.get_by_role("button", name="If need be for all").click()
    for label in ("Lunch / Pizza", "Lunch / Sushi", "Salad", "Dinner / Soup"):
        expect(answer_radio(option_group(form, label), "If need be")).to_be_checked()
    # The heading over a group of columns sets that group alone.
    form.get_by_role("button", name="Yes for all of Lunch").click()
    expect(answer_radio(option_group(form, "Lunch / Pizza"), "Yes")).to_be_checked()
    expect(answer_radio(option_group(form, "Lunch / Sushi"), "Yes")).to_be_checked()
    expect(answer_radio(option_group(form, "Salad"), "If need be")).to_be_checked()
    expect(erin.locator("#answer-live")).to_have_text("Yes for all of Lunch")


def test_it_fits_twenty_options_on_a_phone_and_answers_by_touch(new_context: NewContext) -> None:
    alice = new_context().new_page()
    created = create_plain_poll(alice, "Twenty slots", "Dates and times", TWENTY)
    bob = new_context().new_page()
    bob.goto(created.public_url)
    first_slot = slot_label(dt.date(2031, 5, 4), "09:00")
    answer_poll(bob, "Bob", {first_slot: "Yes"})

    # German words are longer; the page must fit in both languages.
    for locale in ("de-DE", "en-US"):
        phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale=locale)
        phone = phone.new_page()
        phone.goto(created.public_url)
        height = phone.evaluate("document.documentElement.scrollHeight")
        assert height <= 2.5 * PHONE["height"], f"the answering page is {height} px tall ({locale})"
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page itself scrolls sideways ({locale})"
    form = answer_form(phone)
    form.get_by_role("textbox", name="Your name").fill("Phone person")
    first = form.get_by_role("radiogroup").first
    answer_radio(first, "Yes").tap()
    expect(answer_radio(first, "Yes")).to_be_checked()
    last = form.get_by_role("radiogroup").last
    last.scroll_into_view_if_needed()
    answer_radio(last, "If need be").tap()
    form.get_by_role("button", name="Save my answer").tap()
    expect(phone.get_by_text("Thank you, your answer is saved.")).to_be_visible()
    row = phone.get_by_role("row").filter(
        has=phone.get_by_role("rowheader", name=re.compile("^Phone person"))
    )
    cells = row.get_by_role("cell")
    expect(cells.first).to_have_text("Yes")
    expect(cells.last).to_have_text("If need be")
    # The name is not cut off: its cell is as wide as the name needs.
    header = row.get_by_role("rowheader")
    assert header.evaluate("h => h.scrollWidth <= h.clientWidth")


def test_it_shows_why_an_answer_was_refused_at_the_top(new_context: NewContext) -> None:
    """Issue 12 defects 4 and 5: the error list is in view and focused, the picks are kept."""
    alice = new_context().new_page()
    open_create_form(alice)
    alice.get_by_label("Title").fill("Everything counts")
    alice.get_by_role("radio", name="Dates and times", exact=True).check()
    alice.get_by_role("textbox", name="Options").fill("\n".join(TWENTY))
    alice.get_by_label("Every option needs an answer").check()
    created = submit_create_form(alice)

    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(created.public_url)
    form = answer_form(phone)
    form.get_by_role("textbox", name="Your name").fill("Hasty")
    answer_radio(form.get_by_role("radiogroup").first, "Yes").tap()
    form.get_by_role("button", name="Save my answer").tap()

    summary = phone.locator("#answer-errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Pick an answer for this option.")
    assert in_viewport(phone, "#answer-errors"), "the list of problems is out of view"
    expect(answer_radio(form.get_by_role("radiogroup").first, "Yes")).to_be_checked()
    expect(form.get_by_role("textbox", name="Your name")).to_have_value("Hasty")
    # Its links lead to the option concerned.
    summary.get_by_role("link").first.click()
    expect(form.get_by_role("radiogroup").nth(1).get_by_role("radio").first).to_be_focused()


def test_it_sorts_and_filters_a_wide_grid_on_a_wide_screen(new_context: NewContext) -> None:
    alice = new_context().new_page()
    created = create_plain_poll(
        alice, "Wide", "Free text", [f"Slot {c}" for c in "ABCDEFGHIJKLMNOPQRST"]
    )
    bob = new_context().new_page()
    bob.goto(created.public_url)
    answer_poll(bob, "Bob", {"Slot T": "Yes", "Slot S": "If need be", "Slot A": "No"})

    wide = new_context(viewport={"width": 1900, "height": 1000}).new_page()
    wide.goto(created.public_url)
    # The grid uses the window's width instead of stopping at the text column's.
    width = wide.locator(".grid-wrap").evaluate("e => e.getBoundingClientRect().width")
    assert width > 1200, width
    heads = wide.locator("#grid thead tr:last-child th[scope=col]")
    wide.get_by_label("Order of the options").select_option(label="Best first")
    expect(heads.nth(1)).to_contain_text("Slot T")
    expect(heads.nth(2)).to_contain_text("Slot S")
    wide.get_by_label("Show options").select_option(label="Score at least 50% of the best")
    expect(wide.locator("#grid thead tr:last-child th[scope=col]:visible")).to_have_count(3)
    # The names column stays in view while the grid scrolls sideways.
    sticky = wide.locator("#grid tbody th[scope=row]").first
    assert sticky.evaluate("h => getComputedStyle(h).position") == "sticky"


def test_it_changes_an_answer_in_the_same_grid_row(new_context: NewContext) -> None:
    """The edit page ("Change your answer") is the same row of the grid as answering: the
    controls are named "Option — Answer", the keys and the group buttons work alike."""
    alice = new_context().new_page()
    created = create_plain_poll(alice, "Change it", "Free text", LUNCH)
    dana = new_context().new_page()
    dana.goto(created.public_url)
    answer_poll(dana, "Dana", {"Lunch / Pizza": "Yes", "Lunch / Sushi": "No", "Salad": "No"})
    dana.get_by_role("link", name="Change my answer").click()
    expect(dana.get_by_role("heading", name="Change your answer")).to_be_visible()
    grid = dana.get_by_role("region", name="Table of answers").get_by_role("table")
    # One row of the grid, not a card per option; the saved answers are checked.
    expect(grid.get_by_role("radio", name="Lunch / Pizza — Yes", exact=True)).to_be_checked()
    expect(grid.get_by_role("radio", name="Salad — No", exact=True)).to_be_checked()
    expect(grid.get_by_role("textbox", name="Your name")).to_have_value("Dana")
    expect(dana.locator("fieldset.opt")).to_have_count(0)
    dana.get_by_role("button", name="If need be for all").click()
    dana.get_by_role("button", name="Yes for all of Lunch").click()
    expect(answer_radio(option_group(grid, "Lunch / Sushi"), "Yes")).to_be_checked()
    expect(answer_radio(option_group(grid, "Salad"), "If need be")).to_be_checked()

    keys = dana.keyboard
    live = dana.locator("#answer-live")
    tab_to(dana, option_group(grid, "Lunch / Pizza"))
    keys.press("n")  # Pizza: no, on to Sushi
    expect(live).to_have_text("Lunch / Pizza — No")
    keys.press("ArrowRight")  # on to Salad
    keys.press("y")
    expect(live).to_have_text("Salad — Yes")
    dana.get_by_role("button", name="Save changes").click()
    expect(dana.get_by_text("The answer is updated.")).to_be_visible()
    row = dana.get_by_role("row").filter(
        has=dana.get_by_role("rowheader", name=re.compile("^Dana"))
    )
    expect(row.get_by_role("cell")).to_have_text(["No", "Yes", "Yes"])
