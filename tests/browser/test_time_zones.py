"""Slots in the viewer's own time zone, on both sides of the date line, with a switch back.

A poll in Berlin with a slot at 23:00 on Tuesday 8 December and one at 01:00 on Wednesday 9:
in Los Angeles both are on Tuesday afternoon; on Kiritimati (UTC+14) both are on Wednesday.
"""

from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import Page, expect

from .conftest import NewContext
from .pages import answer_form, answer_radio, create_plain_poll, option_group

pytestmark = pytest.mark.browser

SLOTS = ["2026-12-08 23:00", "2026-12-09 01:00-02:00"]
POLL_ZONE = "Europe/Berlin"


def day_headings(page: Page) -> list[str]:
    return page.locator("#grid thead th[scope=colgroup]").all_inner_texts()


def time_headings(page: Page) -> list[str]:
    return page.locator("#grid thead time").all_inner_texts()


def test_it_shows_slots_in_the_viewers_zone_with_the_right_weekday(
    new_context: NewContext,
) -> None:
    alice = new_context(timezone_id=POLL_ZONE).new_page()
    created = create_plain_poll(alice, "Across the date line", "Dates and times", SLOTS)
    # In the poll's own zone nothing is converted and no switch is offered.
    expect(alice.get_by_text(f"Times are in {POLL_ZONE}.")).to_be_visible()
    expect(alice.locator("#zone-switch")).to_have_count(0)
    assert day_headings(alice) == ["Tue 8 Dec 2026", "Wed 9 Dec 2026"]
    # A comment's time names its zone, the poll's here and the viewer's elsewhere.
    alice.goto(created.public_url)
    comment = alice.locator("#comment-form")
    comment.get_by_label("Your name").fill("Alice")
    comment.get_by_label("Comment", exact=True).fill("Either works for me.")
    comment.get_by_role("button", name="Post comment").click()
    expect(alice.locator("#comments time")).to_contain_text(f"({POLL_ZONE})")

    los_angeles = new_context(timezone_id="America/Los_Angeles").new_page()
    los_angeles.goto(created.public_url)
    zone_note = "Times are shown in your time zone, America/Los_Angeles."
    expect(los_angeles.get_by_text(zone_note)).to_be_visible()
    expect(los_angeles.locator("#grid .grid-zone")).to_have_text("America/Los_Angeles")
    assert day_headings(los_angeles) == ["Tue 8 Dec 2026"]
    assert time_headings(los_angeles) == ["14:00", "16:00\u201317:00"]
    expect(los_angeles.locator("#comments time")).to_contain_text("(America/Los_Angeles)")
    form = answer_form(los_angeles)
    expect(option_group(form, "Tue 8 Dec 2026, 16:00\u201317:00")).to_be_visible()

    # The switch goes back to the poll's zone, and the choice is remembered.
    los_angeles.get_by_role("radio", name=f"the poll\u2019s time zone ({POLL_ZONE})").check()
    expect(los_angeles.get_by_text(f"Times are in {POLL_ZONE}.")).to_be_visible()
    assert day_headings(los_angeles) == ["Tue 8 Dec 2026", "Wed 9 Dec 2026"]
    assert time_headings(los_angeles) == ["23:00", "01:00\u201302:00"]
    expect(option_group(form, "Wed 9 Dec 2026, 01:00\u201302:00")).to_be_visible()
    los_angeles.reload()
    expect(
        los_angeles.get_by_role("radio", name=f"the poll\u2019s time zone ({POLL_ZONE})")
    ).to_be_checked()
    assert time_headings(los_angeles) == ["23:00", "01:00\u201302:00"]

    kiritimati = new_context(timezone_id="Pacific/Kiritimati").new_page()
    kiritimati.goto(created.public_url)
    expect(
        kiritimati.get_by_text("Times are shown in your time zone, Pacific/Kiritimati.")
    ).to_be_visible()
    assert day_headings(kiritimati) == ["Wed 9 Dec 2026"]
    assert time_headings(kiritimati) == ["12:00", "14:00\u201315:00"]


def test_the_buttons_over_day_headings_survive_a_switch_of_zone(new_context: NewContext) -> None:
    """when.js rebuilds the day headings on a switch; the "Yes for all of <day>" buttons
    over them must come back, and act on the columns under the new headings."""
    alice = new_context(timezone_id=POLL_ZONE).new_page()
    # Berlin: all three on Wednesday. Los Angeles: 16:00 on Tuesday, 00:00 and 01:00 on Wednesday.
    slots = ["2026-12-09 01:00", "2026-12-09 09:00", "2026-12-09 10:00"]
    created = create_plain_poll(alice, "Day buttons", "Dates and times", slots)
    page = new_context(timezone_id="America/Los_Angeles").new_page()
    page.goto(created.public_url)
    form = answer_form(page)
    wednesday = form.get_by_role("button", name="Yes for all of Wed 9 Dec 2026")
    tuesday = option_group(form, "Tue 8 Dec 2026, 16:00")
    late = [option_group(form, f"Wed 9 Dec 2026, {t}") for t in ("00:00", "01:00")]
    viewer = page.get_by_role("radio", name="your time zone (America/Los_Angeles)")
    poll = page.get_by_role("radio", name=f"the poll\u2019s time zone ({POLL_ZONE})")
    for _ in range(2):  # back and forth, twice
        poll.check()
        expect(page.locator("#grid thead th[scope=colgroup]")).to_have_text(["Wed 9 Dec 2026"])
        form.get_by_role("button", name="No for all").click()
        wednesday.click()
        for time in ("01:00", "09:00", "10:00"):
            expect(
                answer_radio(option_group(form, f"Wed 9 Dec 2026, {time}"), "Yes")
            ).to_be_checked()
        viewer.check()
        expect(page.locator("#grid thead th[scope=colgroup]")).to_have_text(
            ["Tue 8 Dec 2026", "Wed 9 Dec 2026"]
        )
        form.get_by_role("button", name="No for all").click()
        expect(wednesday).to_have_count(1)
        wednesday.click()
        expect(answer_radio(tuesday, "No")).to_be_checked()
        for group in late:
            expect(answer_radio(group, "Yes")).to_be_checked()
