"""The operator's pages and footer link, and the public poll list, on a configured server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import Browser, expect

from serverutil import serving

from .conftest import PHONE
from .pages import create_plain_poll

pytestmark = pytest.mark.browser

IMPRINT = "Run by **Example e.V.**\n\nMusterstraße 1, 12345 Musterstadt\n"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    (root / "imprint.md").write_text(IMPRINT, encoding="utf-8")
    data = root / "data"
    data.mkdir(mode=0o700)
    env = {
        "BITPOLL_IMPRINT_FILE": str(root / "imprint.md"),
        "BITPOLL_FOOTER_LINK_URL": "https://example.org/help",
        "BITPOLL_FOOTER_LINK_TEXT": "Help desk",
    }
    with serving(data, env) as server:
        yield f"http://127.0.0.1:{server.port}"


def test_the_footer_leads_to_the_imprint_and_the_operators_link(
    browser: Browser, site_url: str
) -> None:
    context = browser.new_context(base_url=site_url, locale="de-DE", viewport=PHONE)
    page = context.new_page()
    page.goto("/")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="Help desk")).to_have_attribute(
        "href", "https://example.org/help"
    )
    expect(footer.get_by_role("link", name="Datenschutzerklärung")).to_have_count(0)
    footer.get_by_role("link", name="Impressum").click()
    expect(page.get_by_role("heading", name="Impressum", level=1)).to_be_visible()
    expect(page.get_by_text("Example e.V.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_a_poll_listed_publicly_appears_on_the_home_page(browser: Browser, site_url: str) -> None:
    context = browser.new_context(base_url=site_url, locale="en-US")
    page = context.new_page()
    page.goto("/new/")
    page.get_by_label("Title").fill("Open to everyone")
    page.get_by_role("radio", name="Free text").check()
    page.get_by_role("textbox", name="Options").fill("Yes please\nNo thanks")
    page.get_by_label("List this poll publicly on the home page").check()
    page.get_by_role("button", name="Create the poll").click()
    public_url = page.get_by_label("Public link").input_value()
    create_plain_poll(page, "Kept quiet", "Free text", ["A", "B"])
    page.goto("/")
    listing = page.get_by_role("region", name="Open polls on this site")
    expect(listing.get_by_role("link")).to_have_text(["Open to everyone"])
    listing.get_by_role("link", name="Open to everyone").click()
    assert page.url == public_url
    context.close()
