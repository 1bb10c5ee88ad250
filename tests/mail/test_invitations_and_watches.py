"""Invitations with personal links and reminders; watches with batched news, unsubscribe;
deadline reminders and closing at the deadline."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from bitpoll.mail import sender
from bitpoll.mail.models import Message
from bitpoll.polls import lifecycle, services, tokens
from bitpoll.polls.models import Comment, Entry, Invitation, Poll, Watch
from bitpoll.polls.options import parse_lines
from smtpsink import SmtpSink

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://polls\.example\.org(/[^\s<>\"]*)")


def make(**fields: object) -> tuple[Poll, str]:
    import zoneinfo

    options = parse_lines("date", "2030-05-04\n2030-05-05", zoneinfo.ZoneInfo("UTC"))
    return services.create_poll(
        title="Retreat", description="", kind="date", time_zone="UTC", options=options, **fields
    )


def body(message: object) -> str:
    part = message.get_body(("plain",))  # type: ignore[attr-defined]
    return str(part.get_content())


def answer_through(client: Client, poll: Poll, name: str) -> None:
    yes = poll.choices.first()
    data = {"name": name, **{f"o{o.pk}": str(yes.pk) for o in poll.options.all()}}  # type: ignore[union-attr]
    assert client.post(f"/{poll.slug}/answer/", data).status_code == 302


def test_invitees_get_personal_links_and_the_admin_sees_who_answered(
    mail: SmtpSink, client: Client, settings: SettingsWrapper
) -> None:
    settings.MAIL_MAX_REMINDERS = 1
    poll, token = make()
    admin = poll.admin_url(token)
    response = client.post(
        admin + "invitations/",
        {"addresses": "ann@example.org, bob@example.org\ncarl@example.org ann@example.org"},
    )
    assert response.status_code == 302
    assert poll.invitations.count() == 3
    sender.run_once()
    mails = {m["To"]: m for m in mail.wait_for(3)}
    assert sorted(mails) == ["ann@example.org", "bob@example.org", "carl@example.org"]
    ann_link = LINK.search(body(mails["ann@example.org"])).group(1)  # type: ignore[union-attr]
    bob_link = LINK.search(body(mails["bob@example.org"])).group(1)  # type: ignore[union-attr]
    assert ann_link != bob_link

    # Ann follows her link: the session holds her invitation (the accounts app's "invited"
    # check reads it), and her answer is recorded as hers.
    ann = Client()
    assert ann.get(ann_link).status_code == 302
    ann_invitation = Invitation.objects.get(email="ann@example.org")
    assert ann.session["bitpoll.invitations"] == [ann_invitation.pk]
    answer_through(ann, poll, "Ann")
    ann_invitation.refresh_from_db()
    assert ann_invitation.entry is not None and ann_invitation.entry.name == "Ann"

    page = client.get(admin + "invitations/").content.decode()
    assert "1 of 3 invitees answered" in page

    # A wrong secret is a 404, and does not touch the session.
    stranger = Client()
    assert stranger.get(f"/{poll.slug}/invitation/{ann_invitation.pk}/nope/").status_code == 404
    assert "bitpoll.invitations" not in stranger.session

    # Reminders go to those who have not answered, up to the limit.
    assert client.post(admin + "invitations/remind/").status_code == 302
    sender.run_once()
    reminded = mail.wait_for(5)[3:]
    assert sorted(m["To"] for m in reminded) == ["bob@example.org", "carl@example.org"]
    # The reminder repeats the same personal link.
    bob_again = next(m for m in reminded if m["To"] == "bob@example.org")
    assert LINK.search(body(bob_again)).group(1) == bob_link  # type: ignore[union-attr]
    client.post(admin + "invitations/remind/")
    assert Message.objects.filter(kind="polls/reminder").count() == 2  # limit reached


def test_bad_addresses_are_refused(mail: SmtpSink, client: Client) -> None:
    poll, token = make()
    response = client.post(
        poll.admin_url(token) + "invitations/", {"addresses": "ann@example.org not-an-address"}
    )
    assert response.status_code == 400
    assert "not-an-address" in response.content.decode()
    assert poll.invitations.count() == 0


def test_watchers_get_batched_news_and_can_unsubscribe(
    mail: SmtpSink, client: Client, settings: SettingsWrapper
) -> None:
    poll, _token = make(creator_email="alice@example.org")
    watch = lifecycle.watch(poll, "alice@example.org")
    answer_through(Client(), poll, "Ann")
    answer_through(Client(), poll, "Bob")
    services.add_comment(poll, "Bob", "Bring boots", None, tokens.new_token()[1])
    assert lifecycle.send_news() == 1
    assert lifecycle.send_news() == 0  # nothing new
    answer_through(Client(), poll, "Carl")
    assert lifecycle.send_news() == 0  # within the interval: held back
    # Sixteen minutes pass (everything recorded so far moves back in time).
    shift = dt.timedelta(minutes=16)
    Watch.objects.update(notified=F("notified") - shift)
    Entry.objects.update(created=F("created") - shift, updated=F("updated") - shift)
    Comment.objects.update(created=F("created") - shift)
    assert lifecycle.send_news() == 1  # one mail for what piled up
    sender.run_once()
    first, second = mail.wait_for(2)
    text = body(first)
    assert "Ann" in text and "Bob" in text and "Bring boots" in text
    assert "Carl" in body(second) and "Ann" not in body(second)
    header = first["List-Unsubscribe"].strip()
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = LINK.search(header).group(1)  # type: ignore[union-attr]
    # RFC 8058 one-click: a POST without CSRF token or cookie.
    one_click = Client(enforce_csrf_checks=True)
    assert one_click.get(path).status_code == 200
    assert Watch.objects.filter(pk=watch.pk).exists()  # a GET changes nothing
    assert one_click.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not Watch.objects.filter(pk=watch.pk).exists()
    assert Client().get(path).status_code == 404


def test_the_deadline_reminds_then_closes_and_tells_the_creator(mail: SmtpSink) -> None:
    deadline = timezone.now() + dt.timedelta(hours=30)
    poll, _token = make(creator_email="alice@example.org", deadline=deadline, remind_hours=24)
    lifecycle.watch(poll, "alice@example.org")
    lifecycle.invite(poll, ["ann@example.org"])
    now = timezone.now()
    assert lifecycle.send_deadline_reminders(now) == 0  # more than 24 h before
    soon = deadline - dt.timedelta(hours=23)
    assert lifecycle.send_deadline_reminders(soon) == 2
    assert lifecycle.send_deadline_reminders(soon) == 0  # once
    assert lifecycle.close_expired(soon) == 0
    assert lifecycle.close_expired(deadline + dt.timedelta(minutes=1)) == 1
    poll.refresh_from_db()
    assert poll.is_closed and poll.auto_closed is not None
    assert lifecycle.close_expired(deadline + dt.timedelta(minutes=2)) == 0
    kinds = sorted(Message.objects.values_list("kind", "to"))
    assert kinds == [
        ("polls/closed", "alice@example.org"),
        ("polls/deadline", "alice@example.org"),
        ("polls/deadline", "ann@example.org"),
        ("polls/invitation", "ann@example.org"),
    ]


def test_invitations_are_rate_limited(
    mail: SmtpSink, client: Client, settings: SettingsWrapper
) -> None:
    settings.RATELIMIT_ENABLED = True
    poll, token = make()
    url = poll.admin_url(token) + "invitations/"
    codes = [client.post(url, {"addresses": f"p{n}@example.org"}).status_code for n in range(11)]
    assert codes[:10] == [302] * 10
    assert codes[10] == 429
    assert poll.invitations.count() == 10


def test_the_admin_can_add_an_address_and_a_reminder_later(mail: SmtpSink, client: Client) -> None:
    deadline = timezone.now() + dt.timedelta(days=2)
    poll, token = make(deadline=deadline, remind_hours=24)
    Poll.objects.filter(pk=poll.pk).update(
        deadline_reminded=timezone.now(), auto_closed=timezone.now()
    )
    url = poll.admin_url(token) + "edit/"
    page = client.get(url).content.decode()
    assert 'name="creator_email"' in page and 'name="remind_hours"' in page
    response = client.post(
        url,
        {
            "title": "Retreat",
            "description": "",
            "time_zone": "UTC",
            "deadline": "2031-01-01T12:00",
            "results_visibility": "always",
            "creator_email": "alice@example.org",
            "remind_hours": "48",
        },
    )
    assert response.status_code == 302
    poll.refresh_from_db()
    assert (poll.creator_email, poll.remind_hours) == ("alice@example.org", 48)
    # A new deadline gets its own reminder and closing.
    assert poll.deadline_reminded is None and poll.auto_closed is None
