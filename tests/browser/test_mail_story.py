"""The story of issue 14 in a real browser, with a real SMTP server and the real sender.

alice creates a poll with her e-mail address, invites three people, two of them answer
through the personal links their mails carry, alice announces the decision, and each
invitee (and alice, who watches her poll) gets the decision with a valid .ics; the poll
page shows the decision on top.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

pytest.importorskip("playwright", reason="the playwright package is not installed")
from playwright.sync_api import expect

from serverutil import Server, run_bitpoll, serving
from smtpsink import SmtpSink

from .conftest import NewContext
from .pages import answer_poll, date_label, open_create_form, submit_create_form

pytestmark = pytest.mark.browser
icalendar = pytest.importorskip("icalendar", reason="the icalendar package is not installed")

MAIL_BASE = "http://polls.test"
INVITEES = ["ann@example.org", "ben@example.org", "cat@example.org"]


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    running = SmtpSink().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("mail-story") / "data"
    data_dir.mkdir(mode=0o700)
    env = {
        "BITPOLL_EMAIL_URL": sink.url,
        "BITPOLL_EMAIL_FROM": "polls@example.org",
        "BITPOLL_BASE_URL": MAIL_BASE,
        "BITPOLL_MAIL_RATE": "off",
        # The test runs the sender itself, as a timer would, and counts what each run sends.
        "BITPOLL_MAIL_SENDER": "external",
    }
    with serving(data_dir, env) as running:
        yield running


@pytest.fixture(scope="module")
def base_url(mail_server: Server) -> str:
    return f"http://127.0.0.1:{mail_server.port}"


def send(server: Server, sink: SmtpSink, expected: int) -> list[EmailMessage]:
    """Run the sender once, as its timer would; return the mails that arrived."""
    before = len(sink.messages())
    done = run_bitpoll(["send-mail"], server.env)
    assert done.returncode == 0, done.stderr
    found = sink.wait_for(before + expected)
    assert len(found) == before + expected, [m["Subject"] for m in found]
    return found[before:]


def link(message: EmailMessage, base_url: str, contains: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    urls = re.findall(re.escape(MAIL_BASE) + r"(/\S+)", body.get_content())
    [found] = [u for u in urls if contains in u]
    return base_url + found


def test_invite_answer_decide_and_everyone_gets_the_calendar_invitation(
    new_context: NewContext, mail_server: Server, sink: SmtpSink, base_url: str
) -> None:
    day = dt.date.today() + dt.timedelta(days=40)
    alice = new_context().new_page()
    open_create_form(alice)
    alice.get_by_label("Title").fill("Board meeting")
    alice.get_by_role("radio", name="Dates", exact=True).check()
    alice.get_by_role("textbox", name="Options").fill(
        f"{day:%Y-%m-%d}\n{day + dt.timedelta(days=1):%Y-%m-%d}"
    )
    alice.get_by_label("Your e-mail address").fill("alice@example.org")
    expect(
        alice.get_by_role("checkbox", name=re.compile("Tell me about new answers"))
    ).to_be_checked()
    poll = submit_create_form(alice)
    [created] = send(mail_server, sink, 1)
    assert created["To"] == "alice@example.org"

    alice.get_by_role("link", name="Invitations").click()
    alice.get_by_label("E-mail addresses").fill("\n".join(INVITEES))
    alice.get_by_role("button", name="Send the invitations").click()
    expect(alice.get_by_text("3 invitations sent.")).to_be_visible()
    invitations = {m["To"]: m for m in send(mail_server, sink, 3)}
    assert sorted(invitations) == INVITEES

    first, second = date_label(day), date_label(day + dt.timedelta(days=1))
    for address, name, answers in (
        ("ann@example.org", "Ann", {first: "Yes", second: "No"}),
        ("ben@example.org", "Ben", {first: "Yes", second: "Yes"}),
    ):
        page = new_context().new_page()
        page.goto(link(invitations[address], base_url, "/invitation/"))
        expect(page.get_by_role("heading", name="Board meeting")).to_be_visible()
        page.get_by_label("Your e-mail address").fill(address)
        answer_poll(page, name, answers)
    # Their edit links, and alice's news of the two answers (she watches her poll).
    after_answers = send(mail_server, sink, 3)
    assert sorted(m["Subject"] for m in after_answers) == [
        "News: Board meeting",
        "Your answer: Board meeting",
        "Your answer: Board meeting",
    ]

    alice.get_by_role("link", name="Invitations").click()
    expect(alice.get_by_role("heading", name="2 of 3 invitees answered")).to_be_visible()

    alice.get_by_role("link", name="Decision").click()
    alice.get_by_role("checkbox", name=first).check()
    alice.get_by_label("Location").fill("Room 4")
    alice.get_by_role("button", name="Announce the decision").click()
    expect(alice.get_by_text("The decision is announced")).to_be_visible()

    decisions = {m["To"]: m for m in send(mail_server, sink, 4)}
    assert sorted(decisions) == ["alice@example.org", *INVITEES]
    for message in decisions.values():
        assert message["Subject"] == "Decided: Board meeting"
        [part] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
        calendar = icalendar.Calendar.from_ical(part.get_content())
        assert str(calendar["METHOD"]) == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert event.decoded("DTSTART") == day
        assert str(event["LOCATION"]) == "Room 4"

    visitor = new_context().new_page()
    visitor.goto(poll.public_url)
    decision = visitor.get_by_role("region", name="Decision")
    expect(decision).to_contain_text(first)
    expect(decision).not_to_contain_text(second)
    expect(decision).to_contain_text("Room 4")
