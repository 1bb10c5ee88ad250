"""Personas and polls for the poll tests.

alice holds the admin link, bob answered and holds his edit link (and its cookie), carol
answered too, dave is a stranger with only the public link.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from django.test import Client

if TYPE_CHECKING:
    from bitpoll.polls.models import Entry, Poll


@dataclass
class Person:
    client: Client
    entry: Entry | None = None
    token: str = ""


@dataclass
class World:
    poll: Poll
    admin_token: str
    alice: Person
    bob: Person
    carol: Person
    dave: Person

    @property
    def admin(self) -> str:
        return f"/{self.poll.slug}/admin/{self.admin_token}/"

    @property
    def public(self) -> str:
        return f"/{self.poll.slug}/"

    def edit_link(self, person: Person) -> str:
        assert person.entry is not None
        return f"/{self.poll.slug}/entry/{person.entry.pk}/{person.token}/"


def make_poll(
    kind: str = "date",
    lines: str = "2030-05-04\n2030-05-05",
    time_zone: str = "Europe/Berlin",
    **settings: object,
) -> tuple[Poll, str]:
    from bitpoll.polls import services
    from bitpoll.polls.options import parse_lines

    options = parse_lines(kind, lines, zoneinfo.ZoneInfo(time_zone))
    return services.create_poll(
        title="Team lunch",
        description="Where *shall* we go?",
        kind=kind,
        time_zone=time_zone,
        options=options,
        **settings,
    )


def answer_as(poll: Poll, name: str, picks: list[int], client: Client | None = None) -> Person:
    """Store an answer through the service; `picks` are choice indexes per option."""
    from bitpoll.polls import access, services

    options = list(poll.options.filter(is_deleted=False))
    choices = list(poll.choices.all())
    answers = {o.pk: services.Answer(choices[p].pk) for o, p in zip(options, picks, strict=False)}
    entry, token = services.add_entry(poll, name, answers)
    client = client or Client()
    client.cookies[access.ENTRY_COOKIE] = f"{entry.pk}.{token}"
    return Person(client, entry, token)


@pytest.fixture
def world(db: None) -> World:
    from bitpoll.polls import services

    poll, token = make_poll()
    bob = answer_as(poll, "Bob", [0, 1])
    carol = answer_as(poll, "Carol", [1, 2])
    services.add_comment(poll, "Bob", "See you there", bob.entry, bob.entry.edit_token_hash)
    services.add_comment(poll, "Carol", "Maybe", carol.entry, carol.entry.edit_token_hash)
    poll.refresh_from_db()
    return World(poll, token, Person(Client()), bob, carol, Person(Client()))


def future(days: int = 30) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
