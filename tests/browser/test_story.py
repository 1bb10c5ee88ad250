"""The whole story of issue 3 in a real browser, JavaScript on.

alice creates a date-and-time poll with the month calendar and time slots, bob and carol
answer from their own browsers, bob changes his answer through his secret edit link on
another device, and alice, through the admin link, sees the option that now wins and
exports the results as CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import Page, expect

from .conftest import NewContext
from .pages import (
    answer_form,
    answer_poll,
    answer_radio,
    calendar_day_name,
    date_label,
    open_create_form,
    option_group,
    shown_month,
    slot_label,
    submit_create_form,
    tab_to,
)

pytestmark = pytest.mark.browser


def pick_days_and_slots(page: Page) -> list[str]:
    """Use the calendar: next month's 10th and 11th, two slots each. Returns the labels the
    poll will show for the four options, in order."""
    page.get_by_role("radio", name="Dates and times").check()
    page.get_by_role("button", name="Next month").click()
    month = shown_month(page)
    days = [month.replace(day=10), month.replace(day=11)]
    page.get_by_label("Times for the days you pick next").fill("09:00-10:00, 14:00")
    for day in days:
        button = page.get_by_role("button", name=calendar_day_name(day), exact=True)
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("textbox", name="Options")).to_have_value(
        "\n".join(f"{d:%Y-%m-%d} {slot}" for d in days for slot in ("09:00-10:00", "14:00"))
    )
    return [slot_label(d, slot) for d in days for slot in ("09:00\u201310:00", "14:00")]


def csv_rows(page: Page) -> list[list[str]]:
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export results (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_it_walks_from_creating_to_the_best_option_and_the_csv(new_context: NewContext) -> None:
    alice = new_context().new_page()
    open_create_form(alice)
    alice.get_by_label("Title").fill("Team offsite planning")
    alice.get_by_label("Description").fill("Pick *every* slot that works for you.")
    labels = pick_days_and_slots(alice)
    # The browser's zone replaces the UTC default, so the slots mean Berlin time.
    expect(alice.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    created = submit_create_form(alice)
    expect(alice.get_by_role("heading", name="Team offsite planning", level=1)).to_be_visible()
    expect(alice.get_by_text("Times are in Europe/Berlin.")).to_be_visible()
    expect(alice.get_by_text("Nobody has answered yet.")).to_be_visible()

    bob = new_context().new_page()
    bob.goto(created.public_url)
    expect(bob.get_by_role("emphasis")).to_have_text("every")
    one, two, three, four = labels
    answer_poll(bob, "Bob", {one: "Yes", two: "Yes", three: "No", four: "No"})
    edit_link = bob.get_by_label("Your edit link").input_value()

    carol = new_context(timezone_id="America/New_York").new_page()
    carol.goto(created.public_url)
    # Carol's browser is elsewhere, so the page shows her own zone's times; she switches
    # to the poll's zone, in which the others speak of the slots.
    expect(
        carol.get_by_text("Times are shown in your time zone, America/New_York.")
    ).to_be_visible()
    carol.get_by_role("radio", name="the poll\u2019s time zone (Europe/Berlin)").check()
    expect(carol.get_by_text("Times are in Europe/Berlin.")).to_be_visible()
    answer_poll(
        carol,
        "Carol",
        {one: "Yes", two: "No", three: "If need be", four: "No"},
        comments={three: "only until 9:45"},
    )
    expect(carol.get_by_role("paragraph").filter(has_text="Best so far:")).to_contain_text(one)

    # Bob, on another device without his cookie, opens the secret edit link.
    bob_phone = new_context().new_page()
    bob_phone.goto(edit_link)
    expect(bob_phone.get_by_role("heading", name="Change the answer of Bob")).to_be_visible()
    first = option_group(bob_phone, one)
    expect(answer_radio(first, "Yes")).to_be_checked()
    answer_radio(first, "No").check()
    answer_radio(option_group(bob_phone, three), "Yes").check()
    bob_phone.get_by_role("button", name="Save changes").click()
    expect(bob_phone.get_by_text("The answer is updated.")).to_be_visible()

    alice.goto(created.admin_url)
    best = alice.get_by_role("paragraph").filter(has_text="Best so far:")
    expect(best).to_contain_text(three)
    expect(best).not_to_contain_text(one)
    # The grid groups slots under their day; only one slot header is marked as the best.
    best_headers = alice.get_by_role("columnheader", name=re.compile(r"\(best\)"))
    expect(best_headers).to_have_count(1)
    expect(best_headers).to_have_accessible_name("09:00\u201310:00 (best)")
    score_row = alice.get_by_role("row").filter(has=alice.get_by_role("rowheader", name="Score"))
    expect(score_row.get_by_role("cell")).to_have_text(["1", "1", "1.5", "0"])
    entries = alice.get_by_role("table", name="Every answer, with links to change or delete it")
    expect(entries.get_by_role("rowheader")).to_have_text(["Bob", "Carol"])

    rows = csv_rows(alice)
    assert rows[0] == ["Participant", *labels]
    by_name = {row[0]: row[1:] for row in rows[1:]}
    assert by_name["Bob"] == ["No", "Yes", "Yes", "No"]
    assert by_name["Carol"] == ["Yes", "No", "If need be (only until 9:45)", "No"]
    assert by_name["Score"] == ["1", "1", "1.5", "0"]


def test_it_lets_a_participant_answer_with_the_keyboard_alone(new_context: NewContext) -> None:
    """In the answer row: Space picks, up and down change, right moves on; Enter sends."""
    alice = new_context().new_page()
    open_create_form(alice)
    alice.get_by_label("Title").fill("Keyboard lunch")
    alice.get_by_role("radio", name="Free text").check()
    alice.get_by_role("textbox", name="Options").fill("Lunch/Pizza\nLunch/Sushi\nSalad")
    created = submit_create_form(alice)

    dana = new_context().new_page()
    dana.goto(created.public_url)
    keys = dana.keyboard

    tab_to(dana, answer_form(dana).get_by_role("textbox", name="Your name"))
    keys.type("Dana")
    keys.press("Tab")  # first option (Pizza): the first radio, "Yes"
    keys.press("Space")
    keys.press("ArrowRight")  # second option (Sushi): "Yes", then one step down to "If need be"
    keys.press("Space")
    keys.press("ArrowDown")
    keys.press("Tab")  # third option (Salad): "Yes", two steps down to "No"
    keys.press("ArrowDown")
    keys.press("ArrowDown")
    tab_to(dana, dana.get_by_text("Comments on single options"))
    keys.press("Enter")  # opens the comment fields
    keys.press("Tab")  # the first option's comment
    keys.type("no olives")
    keys.press("Enter")  # sends the form, as Enter in any text field does

    expect(dana.get_by_text("Thank you, your answer is saved.")).to_be_visible()
    expect(dana.get_by_role("heading", name="You answered as Dana")).to_be_visible()
    tab_to(dana, dana.get_by_role("link", name="Change my answer"))
    keys.press("Enter")
    expect(dana.get_by_role("heading", name="Change your answer")).to_be_visible()
    for label, choice in (
        ("Lunch / Pizza", "Yes"),
        ("Lunch / Sushi", "If need be"),
        ("Salad", "No"),
    ):
        expect(answer_radio(option_group(dana, label), choice)).to_be_checked()
    # The comments on single options are open, as one is there.
    expect(dana.get_by_role("textbox", name="Lunch / Pizza", exact=True)).to_have_value("no olives")


def test_it_lets_the_creator_pick_days_with_the_keyboard_alone(new_context: NewContext) -> None:
    """The month calendar is one tab stop; arrows move by day and week, Space and Enter pick."""
    alice = new_context().new_page()
    alice.goto("/new/")
    keys = alice.keyboard
    tab_to(alice, alice.get_by_label("Title"))
    keys.type("Picked by keyboard")
    calendar = alice.get_by_role("group").filter(has=alice.get_by_role("button", pressed=False))
    tab_to(alice, calendar)
    keys.press("ArrowRight")
    keys.press("Space")
    expect(alice.get_by_role("button", pressed=True)).to_have_count(1)
    # A week later; that may be in the next month, which the calendar then shows.
    keys.press("ArrowDown")
    keys.press("Enter")
    expect(alice.get_by_role("button", pressed=True).last).to_be_focused()

    options = alice.get_by_role("textbox", name="Options")
    expect(options).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}\n\d{4}-\d{2}-\d{2}$"))
    first, second = (dt.date.fromisoformat(line) for line in options.input_value().split("\n"))
    assert second - first == dt.timedelta(days=7)
    tab_to(alice, alice.get_by_role("button", name="Create the poll"))
    keys.press("Enter")
    expect(alice.get_by_text("Your poll is ready.")).to_be_visible()
    alice.goto(alice.get_by_label("Public link").input_value())
    for day in (first, second):
        expect(option_group(answer_form(alice), date_label(day))).to_be_visible()
