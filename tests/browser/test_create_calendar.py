"""The month calendar of the create page and of the admin's options page (issue 12).

Picked days are written into the options at once, so "Create the poll" never loses them; a
form error keeps the picks and the month shown; each day can have its own times; days in
the past need a confirmation; the month buttons are big and beside the month's name.
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
    calendar_day_name,
    create_plain_poll,
    date_label,
    open_create_form,
    option_group,
    shown_month,
    slot_label,
    submit_create_form,
)

pytestmark = pytest.mark.browser


def months_ahead(page: Page, count: int) -> dt.date:
    for _ in range(count):
        page.get_by_role("button", name="Next month").click()
    return shown_month(page)


def pick(page: Page, day: dt.date) -> None:
    button = page.get_by_role("button", name=calendar_day_name(day), exact=True)
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def test_it_creates_the_poll_from_picked_days_without_another_button(
    new_context: NewContext,
) -> None:
    alice = new_context().new_page()
    open_create_form(alice)
    alice.get_by_label("Title").fill("Picked and created")
    month = months_ahead(alice, 1)
    days = [month.replace(day=3), month.replace(day=17)]
    for day in days:
        pick(alice, day)
    expect(alice.get_by_role("textbox", name="Options")).to_have_value(
        "\n".join(d.isoformat() for d in days)
    )
    created = submit_create_form(alice)
    alice.goto(created.public_url)
    for day in days:
        expect(option_group(answer_form(alice), date_label(day))).to_be_visible()


def test_it_keeps_the_picks_and_the_month_after_a_form_error(new_context: NewContext) -> None:
    alice = new_context().new_page()
    open_create_form(alice)
    month = months_ahead(alice, 3)
    days = [month.replace(day=5), month.replace(day=6)]
    for day in days:
        pick(alice, day)
    # No title: the form comes back with an error.
    alice.get_by_role("button", name="Create the poll").click()
    expect(alice.get_by_text("This field is required.")).to_be_visible()
    assert shown_month(alice) == month
    for day in days:
        expect(
            alice.get_by_role("button", name=calendar_day_name(day), exact=True)
        ).to_have_attribute("aria-pressed", "true")
    alice.get_by_label("Title").fill("After the error")
    created = submit_create_form(alice)
    alice.goto(created.public_url)
    for day in days:
        expect(option_group(answer_form(alice), date_label(day))).to_be_visible()


def test_it_gives_each_day_its_own_times(new_context: NewContext) -> None:
    alice = new_context().new_page()
    open_create_form(alice)
    alice.get_by_label("Title").fill("Different times per day")
    alice.get_by_role("radio", name="Dates and times").check()
    month = months_ahead(alice, 1)
    first, second, third = (month.replace(day=d) for d in (8, 9, 10))
    alice.get_by_label("Times for the days you pick next").fill("09:00-10:00, 14:00")
    pick(alice, first)
    pick(alice, second)
    # The second day gets other times; the third day none yet, then its own.
    second_times = alice.get_by_label(f"Times on {calendar_day_name(second)}")
    expect(second_times).to_have_value("09:00-10:00, 14:00")
    second_times.fill("18:00-19:30")
    alice.get_by_label("Times for the days you pick next").fill("")
    pick(alice, third)
    expect(alice.get_by_text("Add at least one time")).to_be_visible()
    alice.get_by_label(f"Times on {calendar_day_name(third)}").fill("07:30")
    expect(alice.get_by_role("textbox", name="Options")).to_have_value(
        f"{first} 09:00-10:00\n{first} 14:00\n{second} 18:00-19:30\n{third} 07:30"
    )
    # Taking a day out drops its lines.
    alice.get_by_role("button", name=f"Remove {calendar_day_name(first)}").click()
    expect(alice.get_by_role("textbox", name="Options")).to_have_value(
        f"{second} 18:00-19:30\n{third} 07:30"
    )
    created = submit_create_form(alice)
    alice.goto(created.public_url)
    form = answer_form(alice)
    expect(option_group(form, slot_label(second, "18:00\u201319:30"))).to_be_visible()
    expect(option_group(form, slot_label(third, "07:30"))).to_be_visible()
    expect(option_group(form, date_label(first))).to_have_count(0)


def test_it_gives_every_picked_day_the_same_times_on_request(new_context: NewContext) -> None:
    alice = new_context().new_page()
    open_create_form(alice)
    alice.get_by_role("radio", name="Dates and times").check()
    month = months_ahead(alice, 1)
    first, second = month.replace(day=20), month.replace(day=21)
    pick(alice, first)
    pick(alice, second)
    alice.get_by_label("Times for the days you pick next").fill("10:00, 16:00-17:00")
    alice.get_by_role("button", name="Give every picked day these times").click()
    expect(alice.get_by_role("textbox", name="Options")).to_have_value(
        f"{first} 10:00\n{first} 16:00-17:00\n{second} 10:00\n{second} 16:00-17:00"
    )
    expect(alice.get_by_label(f"Times on {calendar_day_name(second)}")).to_have_value(
        "10:00, 16:00-17:00"
    )


def test_it_asks_before_keeping_days_in_the_past(new_context: NewContext) -> None:
    alice = new_context().new_page()
    open_create_form(alice)
    alice.get_by_label("Title").fill("Looking back")
    alice.get_by_role("button", name="Previous month").click()
    last_month = shown_month(alice)
    pick(alice, last_month.replace(day=15))
    alice.get_by_role("button", name="Create the poll").click()
    expect(alice.get_by_text("These options are in the past:")).to_be_visible()
    keep = alice.get_by_label("Keep the options in the past")
    keep.check()
    created = submit_create_form(alice)
    assert created.public_url


def test_it_puts_big_month_buttons_beside_the_month(new_context: NewContext) -> None:
    for viewport in (None, PHONE):
        page = new_context(**({"viewport": viewport} if viewport else {})).new_page()
        page.goto("/new/")
        title = page.locator("#picker-title").bounding_box()
        assert title is not None
        for name in ("Previous month", "Next month"):
            box = page.get_by_role("button", name=name).bounding_box()
            assert box is not None
            assert box["width"] >= 44 and box["height"] >= 44, (name, box)
            # On the title's line, and touching its box within a small gap.
            assert abs((box["y"] + box["height"] / 2) - (title["y"] + title["height"] / 2)) < 8
            gap = (
                title["x"] - (box["x"] + box["width"])
                if name.startswith("Prev")
                else (box["x"] - (title["x"] + title["width"]))
            )
            assert 0 <= gap <= 16, (name, gap)


def test_it_adds_options_later_with_the_same_calendar(new_context: NewContext) -> None:
    alice = new_context().new_page()
    today = dt.date.today()
    there = (today.replace(day=1) + dt.timedelta(days=62)).replace(day=4)
    created = create_plain_poll(alice, "Add later", "Dates", [there.isoformat()])
    alice.goto(created.admin_url)
    alice.get_by_role("link", name="Options", exact=True).click()
    month = months_ahead(alice, 2)
    assert month == there.replace(day=1)
    # The day that already has an option is marked, in words too.
    expect(
        alice.get_by_role("button", name=f"{calendar_day_name(there)} (already an option)")
    ).to_have_attribute("aria-pressed", "false")
    days = [month.replace(day=11), month.replace(day=12)]
    for day in days:
        pick(alice, day)
    expect(alice.get_by_role("textbox", name="Add options")).to_have_value(
        "\n".join(d.isoformat() for d in days)
    )
    alice.get_by_role("button", name="Add", exact=True).click()
    expect(alice.get_by_text("2 options added.")).to_be_visible()
    table = alice.get_by_role("table", name=re.compile("^Every option"))
    for day in days:
        expect(table.get_by_role("rowheader", name=date_label(day))).to_be_visible()


def test_it_adds_options_later_without_javascript(new_context: NewContext) -> None:
    alice = new_context(java_script_enabled=False).new_page()
    created = create_plain_poll(
        alice, "Add later, by hand", "Dates and times", ["2031-05-01 09:00"]
    )
    alice.goto(created.admin_url)
    alice.get_by_role("link", name="Options", exact=True).click()
    expect(alice.get_by_role("button", name="Next month")).to_have_count(0)
    alice.get_by_role("textbox", name="Add options").fill("2031-05-02 10:00")
    alice.get_by_role("button", name="Add", exact=True).click()
    expect(alice.get_by_text("1 option added.")).to_be_visible()
