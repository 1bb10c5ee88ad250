"""Mail for accounts: invited users and the members of invited groups get personal links and
reminders; the decision, news and deadline reminders reach users who watch or are invited, at
their account's address, in their account's language, each address once; a logged-in user
watches a poll from its page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from bitpoll.mail import sender
from bitpoll.mail.models import Message
from bitpoll.polls import lifecycle, services
from bitpoll.polls.models import Entry, Invitation, Poll, Watch
from bitpoll.polls.options import parse_lines
from smtpsink import SmtpSink

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://polls\.example\.org(/[^\s<>\"]*)")


@pytest.fixture
def accounts(settings: SettingsWrapper, mail: SmtpSink) -> SmtpSink:
    settings.ACCOUNTS_ENABLED = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return mail


@pytest.fixture(autouse=True)
def _language_reset() -> Any:
    from django.utils import translation

    yield
    translation.deactivate()


def make_user(name: str, language: str = "", email: str | None = None) -> Any:
    from django.contrib.auth import get_user_model

    from bitpoll.accounts.models import Profile

    address = f"{name}@example.org" if email is None else email
    user = get_user_model().objects.create_user(name, address, "pw")
    Profile.objects.create(user=user, language=language)
    return user


def make_group(slug: str, *members: Any) -> Any:
    from bitpoll.accounts.models import Group, Membership

    group = Group.objects.create(name=slug.title(), slug=slug)
    for user in members:
        Membership.objects.create(group=group, user=user)
    return group


def make(**fields: object) -> tuple[Poll, str]:
    import zoneinfo

    options = parse_lines("date", "2030-05-04\n2030-05-05", zoneinfo.ZoneInfo("UTC"))
    return services.create_poll(
        title="Retreat", description="", kind="date", time_zone="UTC", options=options, **fields
    )


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


def answer(client: Client, poll: Poll, name: str) -> None:
    yes = poll.choices.first()
    assert yes is not None
    data = {"name": name, **{f"o{o.pk}": str(yes.pk) for o in poll.options.all()}}
    assert client.post(f"/{poll.slug}/answer/", data).status_code == 302


def test_invited_users_and_group_members_get_personal_links_and_reminders(
    accounts: SmtpSink, client: Client, settings: SettingsWrapper
) -> None:
    settings.MAIL_MAX_REMINDERS = 1
    ivan = make_user("ivan", language="de")
    mia, max_ = make_user("mia"), make_user("max")
    make_user("nomail", email="")
    make_group("team", mia, max_, ivan)
    poll, token = make()
    admin = poll.admin_url(token)
    assert client.post(admin + "access/invite/", {"invitee": "ivan"}).status_code == 302
    assert client.post(admin + "access/invite/", {"invitee": "team"}).status_code == 302
    # Joining the group after the invitation brings no mail: members are those at invitation.
    from bitpoll.accounts.models import Group, Membership

    later = make_user("later")
    Membership.objects.create(
        group=Group.objects.get(slug="team"),
        user=later,
        created=timezone.now() + dt.timedelta(seconds=1),
    )
    assert client.post(admin + "access/invite/", {"invitee": "nomail"}).status_code == 302

    sender.run_once()
    got = accounts.wait_for(4)
    by_to: dict[str, list[Any]] = {}
    for m in got:
        by_to.setdefault(m["To"], []).append(m)
    # Ivan is invited as himself and as a member: each invitation mails its own link.
    assert sorted(by_to) == ["ivan@example.org", "max@example.org", "mia@example.org"]
    assert len(by_to["ivan@example.org"]) == 2
    rows = Message.objects.filter(kind="polls/invitation")
    assert {r.language for r in rows if r.to == "ivan@example.org"} == {"de"}
    assert {r.language for r in rows if r.to == "mia@example.org"} == {poll.language}

    # Each member's link is their own; following it marks the visitor as invited.
    mia_link = LINK.search(body(by_to["mia@example.org"][0])).group(1)  # type: ignore[union-attr]
    max_link = LINK.search(body(by_to["max@example.org"][0])).group(1)  # type: ignore[union-attr]
    assert mia_link != max_link
    team = Invitation.objects.get(poll=poll, group__slug="team")
    visitor = Client()
    assert visitor.get(mia_link).status_code == 302
    assert visitor.session["bitpoll.invitations"] == [team.pk]
    forged = mia_link.replace(f"/{mia.pk}.", f"/{later.pk}.")
    assert forged != mia_link and Client().get(forged).status_code == 404
    assert Client().get(mia_link.rstrip("/") + "ä/").status_code == 404
    # Ivan's two links (as himself, as a member) both work.
    for message in by_to["ivan@example.org"]:
        link = LINK.search(body(message)).group(1)  # type: ignore[union-attr]
        assert Client().get(link).status_code == 302

    # Mia answers with her account: the reminder goes to those of ivan and max who have not.
    answer(logged_in(mia), poll, "Mia")
    assert Entry.objects.filter(poll=poll, user=mia).exists()
    page = client.get(admin + "invitations/").content.decode()
    assert 'id="remind-submit"' in page
    assert "0 of 3 invitees answered" in page  # the group has members who have not
    answer(logged_in(ivan), poll, "Ivan")
    answer(logged_in(max_), poll, "Max")
    page = client.get(admin + "invitations/").content.decode()
    # nomail has no address: counted as not answered, but nobody to remind.
    assert "2 of 3 invitees answered" in page and 'id="remind-submit"' not in page
    Entry.objects.filter(user__in=[ivan, max_]).delete()
    page = client.get(admin + "invitations/").content.decode()
    assert "0 of 3 invitees answered" in page and 'id="remind-submit"' in page
    assert client.post(admin + "invitations/remind/").status_code == 302
    sender.run_once()
    assert len(accounts.wait_for(7)) == 7
    sent = sorted(r.to for r in Message.objects.filter(kind="polls/reminder"))
    assert sent == ["ivan@example.org", "ivan@example.org", "max@example.org"]
    # The limit holds: a second round sends nothing.
    assert lifecycle.remind(poll) == 0
    page = client.get(admin + "invitations/").content.decode()
    assert 'id="remind-submit"' not in page


def test_decision_news_and_deadline_reach_accounts_once_in_their_language(
    accounts: SmtpSink,
) -> None:
    deadline = timezone.now() + dt.timedelta(hours=30)
    poll, _token = make(deadline=deadline, remind_hours=24)
    wanda = make_user("wanda", language="it")  # watches by account and by address
    ivan = make_user("ivan", language="de")  # invited by account, also a group member
    gina = make_user("gina")  # group member, answers
    group = make_group("crew", ivan, gina)
    Watch.objects.create(poll=poll, user=wanda)
    lifecycle.watch(poll, "WANDA@example.org")
    lifecycle.invite_account(poll, user=ivan)
    lifecycle.invite_account(poll, group=group)
    Message.objects.all().delete()

    # Deadline reminder: invitees who have not answered and watchers, each address once.
    answer(logged_in(gina), poll, "Gina")
    soon = deadline - dt.timedelta(hours=23)
    assert lifecycle.send_deadline_reminders(soon) == 2
    rows = {r.to.lower(): r for r in Message.objects.filter(kind="polls/deadline")}
    assert sorted(rows) == ["ivan@example.org", "wanda@example.org"]
    assert rows["ivan@example.org"].language == "de"
    assert "/invitation/" in rows["ivan@example.org"].text

    # News: the account's watch holds back for the same address's own watch.
    assert lifecycle.send_news(timezone.now() + dt.timedelta(hours=1)) == 1
    assert list(Message.objects.filter(kind="polls/news").values_list("to", flat=True)) == [
        "WANDA@example.org"
    ]
    Watch.objects.filter(poll=poll, user=None).delete()
    Entry.objects.filter(poll=poll).update(updated=timezone.now() + dt.timedelta(hours=2))
    assert lifecycle.send_news(timezone.now() + dt.timedelta(hours=3)) == 1
    news = Message.objects.filter(kind="polls/news", to="wanda@example.org").get()
    assert news.language == "it" and "List-Unsubscribe" in news.headers
    unsubscribe = (
        news.headers["List-Unsubscribe"].strip("<>").removeprefix("https://polls.example.org")
    )

    # Decision and its withdrawal: the participant's account, the watcher, the invitees.
    option = poll.options.first()
    assert option is not None
    queued = lifecycle.finalize(poll, [option.pk])
    decided = sorted(Message.objects.filter(kind="polls/decision").values_list("to", "language"))
    assert decided == [
        ("gina@example.org", poll.language),
        ("ivan@example.org", "de"),
        ("wanda@example.org", "it"),
    ]
    assert queued == 3
    assert lifecycle.unfinalize(poll) == 3
    sender.run_once()
    assert len(accounts.wait_for(2 + 2 + 3 + 3)) == 10  # deadline, news, decision, cancel

    # The unsubscribe link of the account's watch works like an address's.
    assert Client().post(unsubscribe).status_code == 200
    assert not Watch.objects.filter(poll=poll, user=wanda).exists()


def test_a_logged_in_user_watches_and_unwatches_from_the_poll_page(accounts: SmtpSink) -> None:
    poll, _token = make()
    nora = make_user("nora")
    client = logged_in(nora)
    page = client.get(f"/{poll.slug}/").content.decode()
    assert 'id="watch-submit"' in page
    response = client.post(f"/{poll.slug}/watch/", {"watch": "on"})
    assert response.status_code == 302
    row = Watch.objects.get(poll=poll, user=nora)
    assert row.token_hash
    page = client.get(f"/{poll.slug}/").content.decode()
    assert 'id="unwatch-submit"' in page and 'id="watch-submit"' not in page
    client.post(f"/{poll.slug}/watch/", {"watch": "on"})
    assert Watch.objects.filter(poll=poll, user=nora).count() == 1
    assert client.post(f"/{poll.slug}/watch/", {"watch": "off"}).status_code == 302
    assert not Watch.objects.filter(poll=poll).exists()
    # Strangers have nothing to watch with: no button, and the address is a 404.
    assert 'id="watch-submit"' not in Client().get(f"/{poll.slug}/").content.decode()
    assert Client().post(f"/{poll.slug}/watch/", {"watch": "on"}).status_code == 404


def test_account_and_group_invitations_are_rate_limited_with_the_e_mail_ones(
    accounts: SmtpSink, settings: Any
) -> None:
    settings.RATELIMIT_ENABLED = True
    poll, token = make()
    admin = poll.admin_url(token)
    client = Client()
    # Five batches of addresses, then users and a group: one limit (10/h per client).
    for n in range(5):
        assert (
            client.post(admin + "invitations/", {"addresses": f"a{n}@example.org"}).status_code
            == 302
        )
    for n in range(4):
        make_user(f"user{n}")
        assert client.post(admin + "access/invite/", {"invitee": f"user{n}"}).status_code == 302
    make_group("crowd", *[make_user(f"member{n}") for n in range(3)])
    assert client.post(admin + "access/invite/", {"invitee": "crowd"}).status_code == 302
    make_user("late")
    refused = client.post(admin + "access/invite/", {"invitee": "late"})
    assert refused.status_code == 429
    assert not Invitation.objects.filter(poll=poll, user__username="late").exists()
    assert poll.invitations.count() == 10
    # Another client is held by the per-poll limit (10/d) as well.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(admin + "access/invite/", {"invitee": "late"}).status_code == 429
    settings.RATELIMITS = {**settings.RATELIMITS, "invitations_per_poll": None}
    assert other.post(admin + "access/invite/", {"invitee": "late"}).status_code == 302
    sender.run_once()
    assert len(accounts.wait_for(5 + 4 + 3 + 1)) == 13
