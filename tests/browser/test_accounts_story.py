"""The accounts story in a browser: register, verify by mail, log in, create a poll, hand it to
a group, limit it to invited people; another member manages it; a stranger may not answer."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")

from playwright.sync_api import Page, expect

from serverutil import Server, run_bitpoll, serving
from smtpsink import SmtpSink

from .conftest import NewContext
from .pages import create_plain_poll

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    running = SmtpSink().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("accounts-browser") / "data"
    data_dir.mkdir(mode=0o700)
    env = {
        "BITPOLL_ACCOUNTS_ENABLED": "true",
        "BITPOLL_EMAIL_URL": sink.url,
        "BITPOLL_MAIL_SENDER": "external",  # the test runs the sender when it wants the mail
    }
    with serving(data_dir, env) as running:
        made = run_bitpoll(
            [
                "shell",
                "--no-imports",
                "-c",
                "from django.contrib.auth import get_user_model; "
                f"get_user_model().objects.create_user('mia', 'mia@example.org', {PASSWORD!r})",
            ],
            running.env,
        )
        assert made.returncode == 0, made.stderr
        yield running


@pytest.fixture(scope="module")
def base_url(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"


def _log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My polls")).to_be_visible()


def test_register_verify_and_share_a_poll_with_a_group(
    new_context: NewContext, sink: SmtpSink, server: Server
) -> None:
    olga = new_context().new_page()
    olga.goto("/accounts/login/")
    olga.get_by_role("link", name="Create an account").click()
    olga.get_by_label("Username").fill("olga")
    olga.get_by_label("E-mail address").fill("olga@example.org")
    olga.get_by_label("Display name").fill("Olga O.")
    olga.get_by_label("Password", exact=True).fill(PASSWORD)
    olga.get_by_label("Password confirmation").fill(PASSWORD)
    olga.get_by_role("button", name="Create account").click()
    expect(olga.get_by_text("Almost done")).to_be_visible()

    # The verification mail waits in the outbox until the sender runs, as its service would.
    sent = run_bitpoll(["send-mail"], server.env)
    assert sent.returncode == 0, sent.stderr
    (mail,) = sink.wait_for(1)
    link = re.search(r"https?://[^/\s]+(/accounts/verify/\S+)", mail.get_content())
    assert link, mail.get_content()
    olga.goto(link.group(1))
    olga.get_by_role("button", name="Verify").click()
    expect(olga.get_by_text("Your address is verified.")).to_be_visible()
    _log_in(olga, "olga")

    created = create_plain_poll(olga, "Council retreat", "Free text", ["Lake", "Mountains"])
    olga.get_by_role("link", name="Groups").click()
    olga.get_by_role("link", name="Create a group").click()
    olga.get_by_label("Name", exact=True).fill("Council")
    olga.get_by_label("Short name").fill("council")
    olga.get_by_role("button", name="Create group").click()
    olga.get_by_label("User name or e-mail address").fill("mia")
    olga.get_by_role("button", name="Add member").click()
    expect(olga.locator("#members")).to_contain_text("mia")

    olga.goto(created.admin_url)
    olga.get_by_role("link", name="Access and owner").click()
    olga.get_by_label("Hand it to a group").select_option("council")
    olga.locator("#transfer-submit").click()
    expect(olga.get_by_text("The poll now belongs to Council")).to_be_visible()
    olga.get_by_role("radio", name="Only invited people").check()
    olga.locator("#access-submit").click()
    expect(olga.get_by_text("Who may answer is updated.")).to_be_visible()

    stranger = new_context().new_page()
    stranger.goto(created.public_url)
    expect(stranger.get_by_text("Only invited people may answer this poll.")).to_be_visible()
    expect(stranger.locator("#answer-form")).to_have_count(0)

    mia = new_context().new_page()
    _log_in(mia, "mia")
    groups = mia.locator("#group-polls")
    groups.get_by_role("link", name="Manage").click()
    expect(mia.get_by_role("heading", name="Council retreat")).to_be_visible()
    mia.get_by_role("button", name="Close the poll").click()
    expect(mia.get_by_role("button", name="Reopen the poll")).to_be_visible()
