"""Steps that several browser tests share: creating a poll and answering it, as a person would."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from bitpoll.polls import when

ANSWERS = ("Yes", "If need be", "No")


@dataclass
class CreatedPoll:
    public_url: str
    admin_url: str


def date_label(day: dt.date) -> str:
    """How the server writes a day in English, e.g. "Thu 10 Dec 2026"."""
    with translation.override("en"):
        return when.day(day)


def slot_label(day: dt.date, times: str) -> str:
    """How the server writes a slot in English, e.g. "Thu 10 Dec 2026, 09:00\u201310:00"."""
    return f"{date_label(day)}, {times}"


def calendar_day_name(day: dt.date) -> str:
    """The calendar button's accessible name in an en-US browser, e.g. "Thursday, December 10"."""
    return f"{calendar.day_name[day.weekday()]}, {calendar.month_name[day.month]} {day.day}"


def shown_month(page: Page) -> dt.date:
    """The first day of the month the calendar shows, read from its heading ("December 2026")."""
    heading = page.get_by_role("heading", level=3).filter(has_text=re.compile(r"\d{4}$"))
    month_name, year = heading.inner_text().rsplit(" ", 1)
    return dt.date(int(year), list(calendar.month_name).index(month_name), 1)


def open_create_form(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Create a poll").click()
    expect(page.get_by_role("heading", name="Create a poll")).to_be_visible()


def submit_create_form(page: Page) -> CreatedPoll:
    page.get_by_role("button", name="Create the poll").click()
    expect(page.get_by_text("Your poll is ready.")).to_be_visible()
    public_url = page.get_by_label("Public link").input_value()
    admin_url = page.get_by_label("Admin link").input_value()
    assert "/admin/" in admin_url and admin_url != public_url
    return CreatedPoll(public_url=public_url, admin_url=admin_url)


def create_plain_poll(page: Page, title: str, kind: str, lines: list[str]) -> CreatedPoll:
    """Fill in the form with the plain inputs only (what works with and without JavaScript)."""
    open_create_form(page)
    page.get_by_label("Title").fill(title)
    page.get_by_role("radio", name=kind, exact=True).check()
    page.get_by_role("textbox", name="Options").fill("\n".join(lines))
    return submit_create_form(page)


def answer_form(page: Page) -> Locator:
    return page.get_by_role("region", name="Your answer")


def option_group(scope: Page | Locator, label: str) -> Locator:
    """The radio group for one option, a cell in the first row of the grid. The name only
    starts with the label, so that a label the page writes longer still matches."""
    # Playwright writes the pattern between slashes, so a slash in it must be escaped too.
    pattern = "^" + re.escape(label).replace("/", "\\/")
    # The poll page and the edit page alike: a radiogroup per option in the answer row.
    return scope.get_by_role("radiogroup", name=re.compile(pattern))


def answer_radio(group: Locator, choice: str) -> Locator:
    """One answer in an option's group: its name is "Option — Answer"."""
    pattern = re.escape(f" \u2014 {choice}") + "$"
    return group.get_by_role("radio", name=re.compile(pattern))


def answer_poll(
    page: Page, name: str, answers: dict[str, str], comments: dict[str, str] | None = None
) -> None:
    form = answer_form(page)
    form.get_by_role("textbox", name="Your name").fill(name)
    for label, choice in answers.items():
        answer_radio(option_group(form, label), choice).check()
    if comments:
        form.get_by_text("Comments on single options").click()
        for label, text in comments.items():
            form.get_by_role("textbox", name=label, exact=True).fill(text)
    form.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_text("Thank you, your answer is saved.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"You answered as {name}")).to_be_visible()


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Press Tab until the focus is on (or inside) `target`, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("node => node.contains(document.activeElement)"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")
