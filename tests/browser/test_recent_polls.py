"""Without an account, the home page lists the polls this browser created or answered, and
forgets them on request; nothing of it reaches the server."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import expect

from .conftest import NewContext
from .pages import answer_poll, create_plain_poll

pytestmark = pytest.mark.browser


def test_the_home_page_lists_created_and_answered_polls_and_forgets_them(
    new_context: NewContext, base_url: str
) -> None:
    alice = new_context().new_page()
    created = create_plain_poll(alice, "Choir trip", "Free text", ["Rome", "Vienna"])
    alice.goto(base_url + "/")
    recent = alice.locator("#recent-polls")
    expect(recent).to_be_visible()
    link = recent.get_by_role("link", name="Choir trip")
    expect(link).to_have_attribute("href", created.admin_url)
    expect(recent).to_contain_text("you manage it")

    bob = new_context().new_page()
    bob.goto(base_url + "/")
    expect(bob.locator("#recent-polls")).to_be_hidden()  # another browser knows nothing
    bob.goto(created.public_url)
    answer_poll(bob, "Bob", {"Rome": "Yes"})
    bob.goto(base_url + "/")
    bob_recent = bob.locator("#recent-polls")
    expect(bob_recent).to_contain_text("you answered it")
    href = bob_recent.get_by_role("link", name="Choir trip").get_attribute("href") or ""
    assert "/entry/" in href
    bob.goto(href)
    expect(bob.get_by_role("heading", name="Choir trip").first).to_be_visible()

    alice.goto(base_url + "/")
    alice.locator("#recent-polls").get_by_role("button", name="Forget: Choir trip").click()
    expect(alice.locator("#recent-polls")).to_be_hidden()
    alice.reload()
    expect(alice.locator("#recent-polls")).to_be_hidden()
