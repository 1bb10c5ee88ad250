"""Every page checked by a real accessibility engine: axe-core, injected through Playwright.

axe-core comes from npm into a cache directory, outside the project (no npm at run time):
    npm install --prefix "$HOME/.cache/bitpoll-axe" axe-core@4.10.3
or point AXE_CORE_JS at an axe.min.js. Without it the test skips with that reason.
Serious and critical violations fail; the others are printed for a person to judge.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import Page, expect

from .conftest import PHONE, NewContext
from .pages import answer_poll, create_plain_poll, slot_label

pytestmark = pytest.mark.browser

AXE_VERSION = "4.10.3"
INSTALL = f'npm install --prefix "$HOME/.cache/bitpoll-axe" axe-core@{AXE_VERSION}'


def axe_script() -> Path | None:
    configured = os.environ.get("AXE_CORE_JS")
    candidates = [Path(configured)] if configured else []
    candidates.append(
        Path.home() / ".cache/bitpoll-axe/node_modules/axe-core/axe.min.js",
    )
    return next((p for p in candidates if p.is_file()), None)


def violations(page: Page, script: Path) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(script))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
                resultTypes: ["violations"],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return found


@pytest.fixture(scope="module")
def script() -> Path:
    found = axe_script()
    if found is None:
        pytest.skip(f"axe-core is not installed: {INSTALL} (or set AXE_CORE_JS)")
    return found


def test_every_page_has_no_serious_or_critical_violations(
    new_context: NewContext, script: Path
) -> None:
    # The CSP forbids inline scripts, which is how Playwright injects axe: bypass it here only.
    alice = new_context(bypass_csp=True).new_page()
    created = create_plain_poll(
        alice,
        "Accessible planning",
        "Dates and times",
        ["2031-05-05 09:00-10:00", "2031-05-06 14:00"],
    )
    bob = new_context(bypass_csp=True).new_page()
    bob.goto(created.public_url)
    answer_poll(bob, "Bob", {slot_label(dt.date(2031, 5, 5), "09:00\u201310:00"): "Yes"})
    comment = bob.locator("#comment-form")
    comment.get_by_label("Your name").fill("Bob")
    comment.get_by_label("Comment", exact=True).fill("See **you** at https://example.org")
    comment.get_by_role("button", name="Post comment").click()
    expect(bob.locator("#comments .comment")).to_have_count(1)
    edit_link = bob.get_by_label("Your edit link").input_value()
    admin = created.admin_url
    pages = {
        "home": "/",
        "create": "/new/",
        "poll (answered)": created.public_url,
        "results as text": created.public_url + "results/",
        "change an answer": edit_link,
        "admin overview": admin,
        "admin settings": admin + "edit/",
        "admin options": admin + "options/",
        "admin scale": admin + "scale/",
        "admin copy": admin + "copy/",
        "admin delete": admin + "delete/",
        "not found": "/no-such-poll-here/",
    }
    report: dict[str, list[dict[str, Any]]] = {}
    for name, url in pages.items():
        bob.goto(url)
        report[name] = violations(bob, script)
    # A viewer elsewhere gets the time zone switch; a phone gets the narrow layout.
    elsewhere = new_context(bypass_csp=True, timezone_id="America/Los_Angeles").new_page()
    elsewhere.goto(created.public_url)
    expect(elsewhere.locator("#zone-switch")).to_be_visible()
    report["poll (other zone)"] = violations(elsewhere, script)
    phone = new_context(bypass_csp=True, viewport=PHONE, is_mobile=True).new_page()
    phone.goto(created.public_url)
    report["poll (phone)"] = violations(phone, script)
    dark = new_context(bypass_csp=True, color_scheme="dark").new_page()
    dark.goto(created.public_url)
    report["poll (dark)"] = violations(dark, script)

    for name, found in report.items():
        for v in found:
            print(f"{name}: {v['impact']} {v['id']}: {v['help']} {v['targets']}")
    serious = {
        name: [v for v in found if v["impact"] in ("serious", "critical")]
        for name, found in report.items()
    }
    assert {name: found for name, found in serious.items() if found} == {}
    # Moderate, yet a screen reader's list of landmarks needs a distinct name for each.
    assert {
        name: [v for v in found if v["id"] == "landmark-unique"] for name, found in report.items()
    } == {name: [] for name in report}
