"""The outbox and the sender, against a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.db import transaction
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from bitpoll.conf import Rate
from bitpoll.mail import outbox, sender
from bitpoll.mail.models import Message
from smtpsink import SmtpSink

pytestmark = pytest.mark.django_db


def _queue(to: str = "ann@example.org", **kw: object) -> Message:
    row = outbox.enqueue(
        to, "polls/closed", {"poll": {"title": "Lunch"}, "public_url": "https://x/p/"}, **kw
    )
    assert row is not None
    return row


def test_it_stores_nothing_without_mail_configured(settings: SettingsWrapper) -> None:
    settings.MAIL_ENABLED = False
    assert outbox.enqueue("ann@example.org", "polls/closed", {"poll": {"title": "x"}}) is None
    assert Message.objects.count() == 0


def test_it_loses_the_mail_with_its_transaction(mail: SmtpSink) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue()
        raise RuntimeError("the event failed")
    assert Message.objects.count() == 0


def test_it_sends_a_multipart_localized_mail_once(mail: SmtpSink) -> None:
    row = _queue(language="de", headers={"List-Unsubscribe": "<https://x/u/>"})
    report = sender.run_once()
    assert report.sent == 1
    [message] = mail.wait_for(1)
    assert message["To"] == "ann@example.org"
    assert message["From"] == "bitpoll@example.org"
    assert message["Message-ID"] == row.message_id
    assert message["List-Unsubscribe"] == "<https://x/u/>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "Lunch" in text.get_content() and "<p>" in html.get_content()
    assert message["Subject"] == "Geschlossen: Lunch"
    row.refresh_from_db()
    assert row.status == Message.Status.SENT and row.sent is not None
    assert sender.run_once().sent == 0  # nothing is sent twice
    assert len(mail.messages()) == 1


def test_it_retries_with_backoff_while_the_server_refuses(mail: SmtpSink) -> None:
    row = _queue()
    mail.refuse()
    report = sender.run_once()
    assert (report.sent, report.retry) == (0, 1)
    row.refresh_from_db()
    assert row.status == Message.Status.QUEUED
    assert row.attempts == 1
    assert "451" in row.last_error
    assert row.next_try > timezone.now() + dt.timedelta(seconds=50)
    assert sender.run_once().sent == 0  # not due yet
    mail.refuse(False)
    Message.objects.update(next_try=timezone.now())
    assert sender.run_once().sent == 1
    assert len(mail.wait_for(1)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Message.Status.SENT, 2, "")


def test_it_gives_up_after_the_last_attempt(mail: SmtpSink) -> None:
    row = _queue()
    Message.objects.filter(pk=row.pk).update(attempts=sender.MAX_ATTEMPTS - 1)
    mail.refuse()
    report = sender.run_once()
    assert report.failed == 1
    row.refresh_from_db()
    assert row.status == Message.Status.FAILED


def test_it_keeps_the_mail_when_the_server_is_down(mail: SmtpSink) -> None:
    row = _queue()
    mail.stop()
    report = sender.run_once()
    assert report.retry == 1
    row.refresh_from_db()
    assert row.status == Message.Status.QUEUED and row.last_error


def test_permanent_refusals_fail_at_once() -> None:
    refused = smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})
    later = smtplib.SMTPRecipientsRefused({"x@example.org": (451, b"try later")})
    assert sender._permanent(refused)
    assert not sender._permanent(later)
    assert not sender._permanent(ConnectionRefusedError())


def test_backoff_grows_and_is_capped() -> None:
    waits = [sender.backoff(n) for n in range(1, 9)]
    assert waits == sorted(waits)
    assert waits[0] == dt.timedelta(minutes=1)
    assert waits[-1] == dt.timedelta(hours=6)


def test_the_global_rate_holds_mail_back(mail: SmtpSink, settings: SettingsWrapper) -> None:
    settings.MAIL_RATE = Rate(3, 60)
    for n in range(5):
        _queue(f"p{n}@example.org")
    assert sender.run_once().sent == 3
    assert Message.objects.filter(status=Message.Status.QUEUED).count() == 2
    assert sender.run_once().sent == 0  # the window is full


def test_the_recipient_rate_holds_mail_back(mail: SmtpSink, settings: SettingsWrapper) -> None:
    settings.MAIL_RATE_PER_RECIPIENT = Rate(2, 3600)
    for _ in range(3):
        _queue("busy@example.org")
    _queue("other@example.org")
    assert sender.run_once().sent == 3
    waiting = Message.objects.get(status=Message.Status.QUEUED)
    assert waiting.to == "busy@example.org"
    assert waiting.next_try > timezone.now()


def test_a_mail_whose_sender_died_is_taken_over_and_marked(mail: SmtpSink) -> None:
    row = _queue()
    [claimed] = sender.claim(10)
    assert claimed.pk == row.pk
    assert sender.claim(10) == []  # leased: no other sender takes it
    # The first sender is killed; its lease runs out.
    Message.objects.filter(pk=row.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert sender.run_once().sent == 1
    row.refresh_from_db()
    assert row.status == Message.Status.SENT and row.maybe_duplicate
    [message] = mail.wait_for(1)
    assert message["Message-ID"] == row.message_id
