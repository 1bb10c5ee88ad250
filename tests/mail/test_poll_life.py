"""A poll's life by mail, through the pages and a real SMTP server: the creator's admin link,
a participant's edit link, the decision with its .ics, changed and withdrawn.

Links are read from the delivered mails and followed with the test client; each .ics is
parsed with the icalendar library.
"""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

import icalendar
import pytest
from django.test import Client

from bitpoll.mail import sender
from bitpoll.mail.models import Message
from bitpoll.polls import tokens
from bitpoll.polls.models import Entry, Poll, Watch
from smtpsink import SmtpSink

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://polls\.example\.org(/[^\s<>\"]*)")


def create(client: Client, **extra: str) -> Poll:
    data = {
        "title": "Team lunch",
        "description": "",
        "kind": "datetime",
        "time_zone": "Europe/Berlin",
        "options": "2030-05-04 12:00-13:00\n2030-05-05 12:30-13:30",
        "scale": "default",
        "results_visibility": "always",
        "allow_comments": "on",
        **extra,
    }
    response = client.post("/new/", data)
    assert response.status_code == 302, response.content[:2000]
    return Poll.objects.get(title="Team lunch")


def answer(client: Client, poll: Poll, name: str, **extra: str) -> None:
    data = {"name": name, **extra}
    yes = poll.choices.first()
    assert yes is not None
    for option in poll.options.all():
        data[f"o{option.pk}"] = str(yes.pk)
    response = client.post(f"/{poll.slug}/answer/", data)
    assert response.status_code == 302, response.content[:2000]


def deliver(sink: SmtpSink, expected: int) -> list[EmailMessage]:
    before = len(sink.messages())
    assert sender.run_once().failed == 0
    found = sink.wait_for(before + expected)
    assert len(found) == before + expected
    return found[before:]


def links(message: EmailMessage) -> list[str]:
    body = message.get_body(("plain",))
    assert body is not None
    return LINK.findall(body.get_content())


def calendar(message: EmailMessage, name: str = "invite.ics") -> icalendar.Calendar:
    for part in message.iter_attachments():
        if part.get_filename() == name:
            return icalendar.Calendar.from_ical(part.get_content())
    raise AssertionError(f"no {name} attached")


def test_the_creator_gets_the_admin_link(mail: SmtpSink, client: Client) -> None:
    poll = create(client, creator_email="alice@example.org", watch="on")
    [message] = deliver(mail, 1)
    assert message["To"] == "alice@example.org"
    admin = [link for link in links(message) if "/admin/" in link]
    assert len(admin) == 1
    assert Client().get(admin[0]).status_code == 200
    html = message.get_body(("html",))
    assert html is not None and admin[0] in html.get_content()
    assert Watch.objects.filter(poll=poll, email="alice@example.org").exists()


def test_a_participant_gets_their_edit_link_in_their_language(
    mail: SmtpSink, client: Client
) -> None:
    poll = create(client)
    erin = Client(HTTP_ACCEPT_LANGUAGE="de")
    answer(erin, poll, "Erin", email="erin@example.org")
    entry = Entry.objects.get(name="Erin")
    assert (entry.email, entry.language) == ("erin@example.org", "de")
    [message] = deliver(mail, 1)
    assert message["To"] == "erin@example.org"
    assert message["Content-Language"] is None or message["Content-Language"] == "de"
    edit = [link for link in links(message) if "/entry/" in link]
    assert len(edit) == 1
    assert Client().get(edit[0]).status_code == 200
    assert Message.objects.get().language == "de"


def test_without_an_address_no_mail_is_queued(mail: SmtpSink, client: Client) -> None:
    poll = create(client)
    answer(Client(), poll, "Frank")
    assert Message.objects.count() == 0


def test_the_decision_reaches_everyone_with_a_calendar_invitation(
    mail: SmtpSink, client: Client
) -> None:
    poll = create(client, creator_email="alice@example.org", watch="on")
    answer(Client(), poll, "Erin", email="erin@example.org")
    answer(Client(), poll, "Frank")  # no address: hears nothing
    deliver(mail, 2)
    admin_url = poll.admin_url(_admin_token(mail))
    first, second = poll.options.order_by("start")
    response = client.post(
        admin_url + "decide/",
        {"options": [str(second.pk)], "location": "Mensa, Room 2", "message": "See you!"},
    )
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.is_decided and poll.is_closed and poll.ics_sequence == 1
    page = Client().get(f"/{poll.slug}/").content.decode()
    assert 'id="decision"' in page
    assert page.index('id="decision"') < page.index('id="results"')  # on top
    assert "Mensa, Room 2" in page

    mails = deliver(mail, 2)
    assert sorted(m["To"] for m in mails) == ["alice@example.org", "erin@example.org"]
    uids = set()
    for message in mails:
        cal = calendar(message)
        assert str(cal["METHOD"]) == "REQUEST"
        [event] = cal.walk("VEVENT")
        start = event.decoded("DTSTART")
        assert start == dt.datetime(2030, 5, 5, 10, 30, tzinfo=dt.UTC)  # 12:30 in Berlin
        assert event.decoded("DTEND") - start == dt.timedelta(hours=1)
        assert str(event["LOCATION"]) == "Mensa, Room 2"
        assert int(event["SEQUENCE"]) == 1
        uids.add(str(event["UID"]))
    assert len(uids) == 1
    watcher_mail = next(m for m in mails if m["To"] == "alice@example.org")
    assert watcher_mail["List-Unsubscribe"].strip().startswith("<https://polls.example.org/")

    # The public .ics and the admin export hold only the decided event.
    public = Client().get(f"/{poll.slug}/decision.ics")
    assert public.status_code == 200
    [event] = icalendar.Calendar.from_ical(public.content).walk("VEVENT")
    assert str(event["UID"]) in uids
    exported = client.get(admin_url + "export.ics")
    assert len(icalendar.Calendar.from_ical(exported.content).walk("VEVENT")) == 1

    # Changed: the same calendar entry moves (same UID, higher SEQUENCE).
    client.post(admin_url + "decide/", {"options": [str(first.pk)]})
    changed = deliver(mail, 2)
    [event] = calendar(changed[0]).walk("VEVENT")
    assert str(event["UID"]) in uids and int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART") == dt.datetime(2030, 5, 4, 10, 0, tzinfo=dt.UTC)

    # Withdrawn: a cancellation of the same event.
    client.post(admin_url + "undecide/")
    cancelled = deliver(mail, 2)
    cal = calendar(cancelled[0], "cancel.ics")
    assert str(cal["METHOD"]) == "CANCEL"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) in uids and int(event["SEQUENCE"]) == 3
    assert 'id="decision"' not in Client().get(f"/{poll.slug}/").content.decode()


def _admin_token(sink: SmtpSink) -> str:
    for message in sink.messages():
        for link in links(message):
            found = re.search(r"/admin/([^/]+)/", link)
            if found:
                return found.group(1)
    raise AssertionError("no admin link was mailed")


def test_a_text_poll_is_decided_without_a_calendar(mail: SmtpSink, client: Client) -> None:
    poll = create(
        client, kind="text", options="Pizza\nSushi", creator_email="a@example.org", watch="on"
    )
    deliver(mail, 1)
    token = _admin_token(mail)
    pizza = poll.options.get(text="Pizza")
    client.post(poll.admin_url(token) + "decide/", {"options": [str(pizza.pk)]})
    [message] = deliver(mail, 1)
    assert list(message.iter_attachments()) == []
    assert "Pizza" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert Client().get(f"/{poll.slug}/decision.ics").status_code == 404


def test_without_mail_the_pages_say_so(client: Client, db: None) -> None:
    page = client.get("/new/").content.decode()
    assert 'id="no-mail"' in page and 'name="creator_email"' not in page
    poll = create(client, creator_email="alice@example.org")
    assert poll.creator_email == ""  # not asked for, not kept
    token = tokens.new_token()[0]
    poll.admin_token_hash = tokens.hash_token(token)
    poll.save()
    decide = client.get(poll.admin_url(token) + "decide/").content.decode()
    assert 'id="no-mail"' in decide
    assert 'id="no-mail"' in client.get(poll.admin_url(token) + "invitations/").content.decode()
    assert Message.objects.count() == 0


def test_deciding_needs_the_admin_link(mail: SmtpSink, client: Client) -> None:
    poll = create(client)
    option = poll.options.first()
    assert option is not None
    response = client.post(f"/{poll.slug}/admin/wrong/decide/", {"options": [str(option.pk)]})
    assert response.status_code == 404
    assert client.get(f"/{poll.slug}/admin/wrong/invitations/").status_code == 404
    poll.refresh_from_db()
    assert not poll.is_decided
