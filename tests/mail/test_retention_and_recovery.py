"""`bitpoll purge` (retention) and "send me my admin links" (recovery)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from bitpoll.mail import sender
from bitpoll.mail.models import Message
from bitpoll.polls import lifecycle, services
from bitpoll.polls.models import Entry, Poll
from bitpoll.polls.options import parse_lines
from smtpsink import SmtpSink

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://polls\.example\.org(/[^\s<>\"]*)")


def make(title: str, days_ago: int, **fields: object) -> tuple[Poll, str]:
    import zoneinfo

    options = parse_lines("text", "A\nB", zoneinfo.ZoneInfo("UTC"))
    poll, token = services.create_poll(
        title=title, description="", kind="text", time_zone="UTC", options=options, **fields
    )
    entry, _ = services.add_entry(poll, "Ann", {})
    Entry.objects.filter(pk=entry.pk).update(email=f"ann-{poll.pk}@example.org")
    past = timezone.now() - dt.timedelta(days=days_ago)
    Poll.objects.filter(pk=poll.pk).update(updated=past, created=past)
    Entry.objects.filter(poll=poll).update(updated=past, created=past)
    return poll, token


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge", *args, stdout=out)
    return out.getvalue()


def test_retention_deletes_exactly_the_expired_polls(
    mail: SmtpSink, settings: SettingsWrapper
) -> None:
    settings.POLL_RETENTION_DAYS = 30
    old, _ = make("Old", 40)
    recent, _ = make("Recent", 10)
    warned, _ = make("Old with an address", 40, creator_email="alice@example.org")
    outbox_row = Message.objects.create(
        to="ann@example.org",
        kind="x",
        subject="s",
        text="t",
        message_id="<1@x>",
        poll=old,
        status=Message.Status.SENT,
        sent=timezone.now(),
    )

    listed = purge("--dry-run")
    assert f"would delete poll {old.slug}" in listed
    assert recent.slug not in listed and warned.slug not in listed
    assert Poll.objects.count() == 3  # --dry-run deletes nothing

    # The creator who left an address is warned first, once.
    assert lifecycle.warn_expiring() == 1
    assert lifecycle.warn_expiring() == 0
    sender.run_once()
    [warning] = mail.wait_for(1)
    assert warning["To"] == "alice@example.org"

    out = purge()
    assert "1 polls" in out
    assert set(Poll.objects.values_list("title", flat=True)) == {"Recent", "Old with an address"}
    assert not Entry.objects.filter(email=f"ann-{old.pk}@example.org").exists()
    assert not Message.objects.filter(pk=outbox_row.pk).exists()

    # A week after the warning, that poll goes too.
    Poll.objects.filter(pk=warned.pk).update(retention_warned=timezone.now() - dt.timedelta(days=8))
    purge()
    assert list(Poll.objects.values_list("title", flat=True)) == ["Recent"]
    assert not Entry.objects.filter(email=f"ann-{warned.pk}@example.org").exists()


def test_retention_off_keeps_everything(settings: SettingsWrapper) -> None:
    settings.POLL_RETENTION_DAYS = 0
    make("Ancient", 4000)
    assert "retention is off" in purge()
    assert Poll.objects.count() == 1


def test_recovery_mails_one_time_links_that_issue_a_new_admin_link(
    mail: SmtpSink, settings: SettingsWrapper
) -> None:
    poll, old_token = make("Mine", 1, creator_email="Alice@Example.org")
    make("Someone else's", 1, creator_email="bob@example.org")
    client = Client()
    response = client.post("/new/admin-links/", {"email": "alice@example.org"})
    assert response.status_code == 302
    known = client.get(response["Location"]).content.decode()
    response = client.post("/new/admin-links/", {"email": "nobody@example.org"})
    unknown = client.get(response["Location"]).content.decode()
    # No oracle: the same answer whether the address is known or not.
    assert re.sub(r"csrfmiddlewaretoken\" value=\"[^\"]+", "", known) == re.sub(
        r"csrfmiddlewaretoken\" value=\"[^\"]+", "", unknown
    )
    sender.run_once()
    [message] = mail.wait_for(1)
    assert message["To"] == "alice@example.org"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [link] = [found for found in LINK.findall(text) if "/recover/" in found]
    assert Client().get(link).status_code == 200  # a GET changes nothing
    assert Client().get(poll.admin_url(old_token)).status_code == 200
    response = Client().post(link)
    assert response.status_code == 302
    new_admin = response["Location"]
    assert Client().get(new_admin).status_code == 200
    assert Client().get(poll.admin_url(old_token)).status_code == 404
    assert Client().post(link).status_code == 404  # once only


def test_recovery_is_rate_limited(mail: SmtpSink, settings: SettingsWrapper) -> None:
    settings.RATELIMIT_ENABLED = True
    make("Mine", 1, creator_email="alice@example.org")
    client = Client()
    codes = [
        client.post("/new/admin-links/", {"email": "alice@example.org"}).status_code
        for _ in range(4)
    ]
    assert codes[:3] == [302, 302, 302]
    assert codes[3] == 429
    assert Message.objects.count() == 3
