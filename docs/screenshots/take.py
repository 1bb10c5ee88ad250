"""Take the README's screenshots: a real `bitpoll serve` with a sample poll, driven by chromium.

Run from the repository with the development environment (bitpoll installed, playwright
available):

    python docs/screenshots/take.py [chromium executable]

It writes the PNG files next to this script. Desktop shots are 1280x800, phone shots
390x844; the dark ones use the browser's dark colour scheme, "poll-de" German.

The pictures come out the same from run to run: the server runs under libfaketime (Debian
package `faketime`; FAKETIME_LIB names the library if it is elsewhere) from a fixed moment,
and the browser's clock is fixed to the same moment, so the calendar's month, "deadline
passed" and the times of answers and comments do not depend on the day of the run.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))

from serverutil import serving  # noqa: E402

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
# Fixed dates keep the pictures the same from run to run.
SLOTS = [
    f"2027-03-{day} {slot}" for day in ("15", "16", "17") for slot in ("10:00-11:30", "14:00-15:30")
]
PEOPLE = {
    # name: answers per slot, y = yes, m = if need be, n = no
    "Anna": "yynmyy",
    "Ben": "ymnnyn",
    "Chiara": "myyyyn",
    "Dmitri": "nnymym",
    "Emre": "yymnyy",
}
CHOICE = {"y": "Yes", "m": "If need be", "n": "No"}
# The fixed moment: two weeks before the first slot, on a Monday morning in Berlin.
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def faketime_library() -> str:
    found = [os.environ.get("FAKETIME_LIB", "")]
    found += sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    found += sorted(glob.glob("/usr/lib/faketime/libfaketime.so.1"))
    for path in found:
        if path and Path(path).is_file():
            return path
    sys.exit("take.py: libfaketime not found (Debian: apt install faketime; or set FAKETIME_LIB)")


def fixed_clock_env() -> dict[str, str]:
    """The server's environment for a clock that starts at NOW and runs on from there.

    An offset rather than libfaketime's "@start" form: with that, gunicorn's select() and
    sleep() failed with EINVAL."""
    offset = int((NOW - dt.datetime.now(dt.UTC)).total_seconds())
    return {"LD_PRELOAD": faketime_library(), "FAKETIME": f"{offset:+d}s", "TZ": "UTC"}


def context(browser: Browser, base_url: str, **options: Any) -> Page:
    settings: dict[str, Any] = {
        "base_url": base_url,
        "locale": "en-GB",
        "timezone_id": "Europe/Berlin",
        "viewport": DESKTOP,
        **options,
    }
    made = browser.new_context(**settings)
    made.clock.set_fixed_time(NOW)
    return made.new_page()


def shoot(page: Page, name: str) -> None:
    path = HERE / f"{name}.png"
    # No hover effect under the pointer, no transition caught halfway.
    page.mouse.move(0, 0)
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    print(f"{path.name}: {path.stat().st_size // 1024} KB")


def create_poll(page: Page) -> tuple[str, str]:
    page.goto("/new/")
    page.get_by_label("Title").fill("Team offsite: when do we meet?")
    page.get_by_label("Description").fill(
        "Three days in the mountains to plan the next release. "
        "Pick **every** slot that could work for you."
    )
    page.get_by_role("radio", name="Dates and times").check()
    page.get_by_role("textbox", name="Options").fill("\n".join(SLOTS))
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Custom link name").fill("team-offsite")
    page.get_by_role("button", name="Create the poll").click()
    expect(page.get_by_text("Your poll is ready.")).to_be_visible()
    return (
        page.get_by_label("Public link").input_value(),
        page.get_by_label("Admin link").input_value(),
    )


def answer(page: Page, public_url: str, name: str, pattern: str) -> None:
    page.goto(public_url)
    form = page.locator("#answer")
    another = page.locator("#another")
    if another.is_visible():  # this browser answered already: the row is folded away
        another.check()
    form.get_by_role("textbox", name="Your name").fill(name)
    # Each option is a radio group in the first row of the grid; a radio is "Option — Answer".
    for group, letter in zip(form.get_by_role("radiogroup").all(), pattern, strict=True):
        group.get_by_role("radio", name=re.compile(f" \u2014 {CHOICE[letter]}$")).check()
    if name == "Dmitri":
        form.get_by_text("Comments on single options").click()
        form.locator(".answer-notes input").nth(3).fill("can join from 14:30")
    form.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_text("Thank you, your answer is saved.")).to_be_visible()
    if name == "Chiara":
        comment = page.locator("#comment-form")
        comment.get_by_label("Your name").fill(name)
        comment.get_by_label("Comment", exact=True).fill(
            "The **16th** works best for me; the train plan is at https://example.org/trains"
        )
        comment.get_by_role("button", name="Post comment").click()
        expect(page.locator("#comments .comment")).to_have_count(1)


def main() -> None:
    executable = sys.argv[1] if len(sys.argv) > 1 else shutil.which("chromium")
    if not executable:
        sys.exit("take.py: no chromium found; pass its path as the first argument")
    with tempfile.TemporaryDirectory(prefix="bitpoll-screenshots-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir(mode=0o700)
        with serving(data_dir, fixed_clock_env()) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
            base_url = f"http://127.0.0.1:{server.port}"

            page = context(browser, base_url)
            page.goto("/")
            shoot(page, "home")

            public_url, admin_url = create_poll(page)
            for name, pattern in PEOPLE.items():
                answer(context(browser, base_url), public_url, name, pattern)

            page.goto("/new/")
            page.get_by_label("Title").fill("Team offsite: when do we meet?")
            page.get_by_role("radio", name="Dates and times").check()
            page.get_by_role("button", name="Next month").click()
            page.get_by_label("Times for the days you pick next").fill("10:00-11:30, 14:00-15:30")
            for day in ("10", "11", "12"):
                page.locator("#picker-grid").get_by_text(day, exact=True).click()
            # Start the picture at the options card: the calendar, slots and options lines.
            page.get_by_role("heading", name="Options", exact=True).evaluate(
                "h => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 40)"
            )
            shoot(page, "create")

            visitor = context(browser, base_url)
            visitor.goto(public_url)
            shoot(visitor, "poll")
            dark = context(browser, base_url, color_scheme="dark")
            dark.goto(public_url)
            shoot(dark, "poll-dark")

            page.goto(admin_url)
            # The port and the admin secret change from run to run: show a sample site's.
            for label, shown in (
                ("Public link", "https://polls.example.org/team-offsite/"),
                (
                    "Admin link",
                    "https://polls.example.org/team-offsite/admin/Qm9va3MtYXJlLWZ1bi10by1yZWFk/",
                ),
            ):
                page.get_by_label(label).evaluate(
                    "(input, value) => { input.value = value; }", shown
                )
            shoot(page, "admin")

            german = context(browser, base_url, locale="de-DE")
            german.goto(public_url)
            shoot(german, "poll-de")

            answer(context(browser, base_url), public_url, "Farid", "yyyynm")
            phone = context(browser, base_url, viewport=PHONE, is_mobile=True, has_touch=True)
            phone.goto(public_url)
            shoot(phone, "phone")
            phone_dark = context(
                browser,
                base_url,
                viewport=PHONE,
                is_mobile=True,
                has_touch=True,
                color_scheme="dark",
            )
            phone_dark.goto(public_url)
            shoot(phone_dark, "phone-dark")
            browser.close()


if __name__ == "__main__":
    main()
