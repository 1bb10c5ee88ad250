"""A whole session in a real browser against `bitpoll serve`: no token reaches a log line or a
Referer header, and the forms of the secret pages still pass Django's CSRF checks."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from serverutil import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.slow, pytest.mark.browser]

pytest.importorskip("playwright.sync_api")

# The browser tests' own fixture: one chromium per module, skipped with the reason when missing.
from browser.conftest import browser  # noqa: E402, F401
from browser.pages import answer_poll, create_plain_poll, slot_label  # noqa: E402


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_whole_session_leaves_no_token_in_logs_or_referers(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    log_format: str,
) -> None:
    from playwright.sync_api import expect

    env = {"BITPOLL_LOG_FORMAT": log_format, "BITPOLL_LOG_LEVEL": "debug"}
    with serving(tmp_path / "data", env) as server:
        base = f"http://127.0.0.1:{server.port}"
        referers: list[str] = []

        def context():  # type: ignore[no-untyped-def]
            made = browser.new_context(base_url=base, locale="en-US", timezone_id="UTC")
            made.set_default_timeout(15_000)
            made.on("request", lambda r: referers.append(r.headers.get("referer", "")))
            return made

        alice = context().new_page()
        day = dt.date(2031, 4, 7)
        created = create_plain_poll(
            alice, "Hygiene", "Dates and times", [f"{day.isoformat()} 18:00"]
        )
        admin_token = created.admin_url.rstrip("/").rsplit("/", 1)[-1]

        bob = context().new_page()
        bob.goto(created.public_url)
        answer_poll(bob, "Bob", {slot_label(day, "18:00"): "Yes"})
        edit_link = bob.get_by_label("Your edit link").input_value()
        edit_token = edit_link.rstrip("/").rsplit("/", 1)[-1]

        # Through the edit link, on another device; its form posts from the secret page.
        phone = context().new_page()
        phone.goto(edit_link)
        phone.get_by_role("radio", name=re.compile(" \u2014 No$")).first.check()
        phone.get_by_role("button", name="Save changes").click()
        expect(phone.get_by_text("The answer is updated.")).to_be_visible()

        # The admin's pages, a form posted from one of them, and the export.
        alice.goto(created.admin_url)
        alice.get_by_role("link", name="Title and settings").click()
        alice.get_by_label("Title").fill("Hygiene, renamed")
        alice.get_by_role("button", name="Save", exact=True).click()
        expect(alice.get_by_role("heading", name="Hygiene, renamed").first).to_be_visible()
        alice.goto(created.admin_url)
        with alice.expect_download() as download:
            alice.get_by_role("link", name="Export results (CSV)").click()
        assert "Bob" in Path(download.value.path()).read_text(encoding="utf-8-sig")
        for page in (alice, bob, phone):
            page.context.close()
        server.stop()
        log = server.log()

    assert len(admin_token) >= 40 and len(edit_token) >= 40
    assert admin_token not in log
    assert edit_token not in log
    # The requests were logged, with their secrets replaced.
    assert re.search(r"/admin/\[redacted\]/edit/", log)
    assert re.search(r"/entry/\d+/\[redacted\]/", log)
    if log_format == "json":
        for line in log.splitlines():
            json.loads(line)
    # The pages' own styles, scripts and icons were requested with the origin as Referer.
    assert any(referer == base + "/" for referer in referers)
    assert not [r for r in referers if admin_token in r or edit_token in r]
