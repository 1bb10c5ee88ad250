"""One mail to many (outbox.enqueue_many): the request stores one Fanout row, the sender
writes it out into one outbox row per recipient and delivers them, with each recipient's
calendar ATTENDEE line (folded as RFC 5545 wants) and personal link filled in.

INLINE_MAX is set to 0 here so that even a handful of people take the fan-out path that a
poll with 1,000 takes (the other mail tests cover the inline one)."""

from __future__ import annotations

import re
import zoneinfo
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest
from django.core.management import call_command
from django.test import Client

from bitpoll.mail import outbox, sender
from bitpoll.mail.models import Fanout, Message
from bitpoll.polls import ics, lifecycle, notify, services, tokens
from bitpoll.polls.models import Entry, Invitation, Poll, Watch
from bitpoll.polls.options import parse_lines
from smtpsink import SmtpSink

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://polls\.example\.org(/[^\s<>\"]*)")
# Long enough that its ATTENDEE line is folded: the fold must come after the substitution.
LONG = "a.participant.with.a.rather.long.address.for.folding@department.example.org"


@pytest.fixture(autouse=True)
def _always_fan_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "INLINE_MAX", 0)


def make_poll() -> Poll:
    options = parse_lines(
        "datetime", "2030-05-04 12:00-13:00\n2030-05-05 12:30-13:30", zoneinfo.ZoneInfo("UTC")
    )
    poll, _token = services.create_poll(
        title="Offsite; with, escapes",
        description="",
        kind="datetime",
        time_zone="Europe/Berlin",
        options=options,
    )
    return poll


def add_people(poll: Poll) -> None:
    for n, (address, language) in enumerate(
        [(LONG, "en"), ("erin@example.org", "de"), ("frank@example.org", "en")]
    ):
        Entry.objects.create(
            poll=poll,
            name=f"P{n}",
            name_key=f"p{n}",
            edit_token_hash=tokens.hash_token(f"t{n}"),
            email=address,
            language=language,
        )
    watch = Watch.objects.create(poll=poll, email="wanda@example.org")
    notify.set_personal_token(watch)
    lifecycle.invite(poll, ["ivy@example.org", "erin@example.org"])  # erin: once only


def attachment(message: EmailMessage, name: str) -> str:
    for part in message.iter_attachments():
        if part.get_filename() == name:
            return str(part.get_content())
    raise AssertionError(f"no {name}")


def without_stamp(text: str) -> str:
    return re.sub(r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:-", text)


def test_a_decision_is_one_row_in_the_request_and_one_mail_each_after_the_sender(
    mail: SmtpSink,
) -> None:
    poll = make_poll()
    add_people(poll)
    sender.run_once()  # the invitations
    before = len(mail.wait_for(2))
    Message.objects.all().delete()
    first, second = poll.options.order_by("start")
    lifecycle.finalize(poll, [first.pk, second.pk], "Bring, a; pen", "Room 2")

    assert Message.objects.count() == 0
    [fanout] = Fanout.objects.all()
    assert len(fanout.recipients) == 5 and fanout.done == 0
    assert set(fanout.bodies) == {"en", "de"}  # rendered once per language

    assert sender.run_once().sent == 5
    assert not Fanout.objects.exists()
    mails = mail.wait_for(before + 5)[before:]
    by_to = {m["To"]: m for m in mails}
    assert sorted(by_to) == sorted(
        [LONG, "erin@example.org", "frank@example.org", "wanda@example.org", "ivy@example.org"]
    )
    poll.refresh_from_db()
    public = outbox.absolute(poll.get_absolute_url())
    for address, message in by_to.items():
        raw = attachment(message, "invite.ics")
        # The same calendar as built for this one recipient, up to the time stamp.
        expected = ics.calendar(poll, poll.final_options(), "REQUEST", attendee=address, url=public)
        assert without_stamp(raw.replace("\n", "\r\n").replace("\r\r", "\r")) == without_stamp(
            expected
        )
        assert all(len(line.encode()) <= 75 for line in expected.split("\r\n"))
        cal = icalendar.Calendar.from_ical(raw)
        events = cal.walk("VEVENT")
        assert len(events) == 2
        for event in events:
            assert str(event["ATTENDEE"]) == f"mailto:{address}"
            assert str(event["SUMMARY"]) == "Offsite; with, escapes"
            assert str(event["DESCRIPTION"]) == "Bring, a; pen"
        assert len(Message.objects.filter(to=address)) == 1
    assert "ATTENDEE;RSVP=FALSE:mailto:" + LONG not in attachment(by_to[LONG], "invite.ics")
    assert "\r\n " in ics.attendee_line(LONG)  # folded, then
    assert by_to["wanda@example.org"]["List-Unsubscribe"].strip().startswith("<https://")
    assert by_to["frank@example.org"]["List-Unsubscribe"] is None
    assert "entschieden" in by_to["erin@example.org"].get_body(("plain",)).get_content()
    assert all(row.poll_id == poll.pk for row in Message.objects.all())

    # Withdrawn: one row again, a CANCEL for each.
    lifecycle.unfinalize(poll)
    assert Fanout.objects.count() == 1
    sender.run_once()
    cancels = mail.wait_for(before + 10)[before + 5 :]
    for message in cancels:
        cal = icalendar.Calendar.from_ical(attachment(message, "cancel.ics"))
        assert str(cal["METHOD"]) == "CANCEL"
        assert {str(e["ATTENDEE"]) for e in cal.walk("VEVENT")} == {f"mailto:{message['To']}"}


def test_each_member_of_an_invited_group_gets_a_working_link_of_their_own(
    mail: SmtpSink, settings: Any
) -> None:
    from django.contrib.auth import get_user_model

    from bitpoll.accounts.models import Group, Membership

    settings.ACCOUNTS_ENABLED = True
    poll = make_poll()
    group = Group.objects.create(name="Team", slug="team")
    for name in ("mia", "max", "moe"):
        user = get_user_model().objects.create_user(name, f"{name}@example.org", "x")
        Membership.objects.create(group=group, user=user)
    invitation = lifecycle.invite_account(poll, group=group)
    assert Message.objects.count() == 0 and Fanout.objects.count() == 1
    sender.run_once()
    mails = mail.wait_for(3)
    links = {}
    for message in mails:
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        [link] = [found for found in LINK.findall(text) if "/invitation/" in found]
        assert f'href="https://polls.example.org{link}"' in html
        links[message["To"]] = link
    assert len(set(links.values())) == 3
    for address, link in links.items():
        user = get_user_model().objects.get(email=address)
        assert link.endswith("/" + notify.member_token(invitation, user.pk) + "/")
        visitor = Client()
        assert visitor.get(link).status_code == 302
        assert invitation.pk in visitor.session["bitpoll.invitations"]


def test_the_sender_writes_out_in_chunks_and_never_twice(mail: SmtpSink) -> None:
    poll = make_poll()
    people = [outbox.Recipient(f"p{n}@example.org", "en") for n in range(5)]
    assert outbox.enqueue_many("polls/closed", {"poll": poll, "public_url": "x"}, people) == 5
    assert outbox.expand(chunk=2, limit=1) == 2
    assert Fanout.objects.get().done == 2

    # Another sender moves the fan-out on while this one builds its chunk: this one's rows
    # are dropped, not written a second time.
    real = outbox._written_out
    calls = []

    def racing(fanout: Fanout, part: Any) -> list[Message]:
        calls.append(len(part))
        if len(calls) == 1:
            assert outbox.expand(chunk=2, limit=1) == 2  # the other sender
        return real(fanout, part)

    outbox._written_out = racing  # type: ignore[assignment]
    try:
        assert outbox.expand(chunk=2, limit=1) == 0
    finally:
        outbox._written_out = real  # type: ignore[assignment]
    assert Fanout.objects.get().done == 4
    assert outbox.pending() == (1, 1)
    assert outbox.expand() == 1
    assert not Fanout.objects.exists()
    assert sorted(Message.objects.values_list("to", flat=True)) == [
        f"p{n}@example.org" for n in range(5)
    ]


def test_what_is_not_written_out_yet_shows_and_goes_with_its_poll(
    mail: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    poll = make_poll()
    add_people(poll)
    Message.objects.all().delete()
    Fanout.objects.all().delete()
    lifecycle.finalize(poll, [poll.options.first().pk])  # type: ignore[union-attr]
    call_command("mail-status")
    assert "not yet written out: 1, for 5 recipients" in capsys.readouterr().out
    poll.delete()
    assert not Fanout.objects.exists()
    assert not Invitation.objects.exists()
