"""The permission matrix for accounts: every poll URL x every role -> the expected status.

The poll belongs to olga and her group (mia is a member); only invited people may answer, and
ivan is invited. nick is logged in but neither invited nor a member, sam is a site admin, and
the stranger has no account. Managers reach the admin pages through /<slug>/admin/account/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from bitpoll.polls.models import Invitation, Poll
from polls.conftest import answer_as, make_poll

from .conftest import client_for, make_user

ROLES = ("stranger", "nick", "ivan", "mia", "olga", "sam")


@dataclass
class Setup:
    poll: Poll
    users: dict[str, Any]
    entry_id: int  # mia's answer, made with her account

    @property
    def clients(self) -> _Clients:
        return _Clients(self.users)


class _Clients:
    """A client logged in as the role, made on first use (logging in costs a session write)."""

    def __init__(self, users: dict[str, Any]) -> None:
        self.users = users

    def __getitem__(self, role: str) -> Client:
        return client_for(self.users.get(role))


@pytest.fixture
def setup(accounts_on: Any, db: None) -> Setup:
    from bitpoll.accounts.models import Group, Membership

    users = {name: make_user(name, superuser=name == "sam") for name in ROLES[1:]}
    group = Group.objects.create(name="Council", slug="council")
    Membership.objects.create(group=group, user=users["olga"], is_admin=True)
    Membership.objects.create(group=group, user=users["mia"])
    poll, _ = make_poll(
        owner=users["olga"], owner_group=group, answer_access=Poll.AnswerAccess.INVITED
    )
    Invitation.objects.create(poll=poll, user=users["ivan"])
    entry = answer_as(poll, "Mia", [0]).entry
    assert entry is not None
    entry.user = users["mia"]
    entry.save(update_fields=["user"])
    answer_as(poll, "Bob", [0]).entry.comments.create(  # type: ignore[union-attr]
        poll=poll, author="Bob", text="Hi", edit_token_hash="0" * 64
    )
    return Setup(poll, users, entry.pk)


def _answer(s: Setup) -> dict[str, object]:
    option = s.poll.options.first()
    choice = s.poll.choices.first()
    assert option is not None and choice is not None
    return {"name": "Someone", f"o{option.pk}": choice.pk}


def _nothing(s: Setup) -> dict[str, object]:
    return {}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: Callable[[Setup], str]
    data: Callable[[Setup], dict[str, object]]
    expected: dict[str, int]


def _roles(default: int, **special: int) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, default), **special}


MAY_ANSWER = _roles(302, stranger=403, nick=403)
MANAGERS_OK = _roles(404, mia=200, olga=200, sam=200)
MANAGERS_REDIRECT = _roles(404, mia=302, olga=302, sam=302)


def _account_admin(suffix: str) -> Callable[[Setup], str]:
    return lambda s: f"/{s.poll.slug}/admin/account/{suffix}"


def _mia_entry(suffix: str) -> Callable[[Setup], str]:
    return lambda s: f"/{s.poll.slug}/entry/{s.entry_id}/account/{suffix}"


CASES = [
    Case("poll page", "get", lambda s: f"/{s.poll.slug}/", _nothing, _roles(200)),
    Case("results", "get", lambda s: f"/{s.poll.slug}/results/", _nothing, _roles(200)),
    Case("answer", "post", lambda s: f"/{s.poll.slug}/answer/", _answer, MAY_ANSWER),
    Case(
        "comment",
        "post",
        lambda s: f"/{s.poll.slug}/comment/",
        lambda s: {"author": "X", "text": "Hello"},
        MAY_ANSWER,
    ),
    Case("mia's answer by account", "get", _mia_entry(""), _nothing, _roles(404, mia=200)),
    Case("mia's answer save", "post", _mia_entry(""), _answer, _roles(404, mia=302)),
    Case("mia's answer delete", "post", _mia_entry("delete/"), _nothing, _roles(404, mia=302)),
    Case("dashboard", "get", _account_admin(""), _nothing, MANAGERS_OK),
    Case("edit form", "get", _account_admin("edit/"), _nothing, MANAGERS_OK),
    Case("close", "post", _account_admin("close/"), _nothing, MANAGERS_REDIRECT),
    Case("access page", "get", _account_admin("access/"), _nothing, MANAGERS_OK),
    Case(
        "access save",
        "post",
        _account_admin("access/"),
        lambda s: {"answer_access": "accounts"},
        MANAGERS_REDIRECT,
    ),
    Case(
        "invite",
        "post",
        _account_admin("access/invite/"),
        lambda s: {"invitee": "nick"},
        MANAGERS_REDIRECT,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_it_answers_each_role_as_expected(setup: Setup, case: Case, role: str) -> None:
    response = getattr(setup.clients[role], case.method)(case.path(setup), case.data(setup))
    assert response.status_code == case.expected[role], (case.name, role)


def test_the_stranger_sees_no_form_and_the_invited_user_does(setup: Setup) -> None:
    stranger = setup.clients["stranger"].get(f"/{setup.poll.slug}/").content.decode()
    assert 'id="answer-form"' not in stranger and 'id="answer-refused"' in stranger
    nick = setup.clients["nick"].get(f"/{setup.poll.slug}/").content.decode()
    assert 'id="answer-form"' not in nick
    ivan = setup.clients["ivan"].get(f"/{setup.poll.slug}/").content.decode()
    assert 'id="answer-form"' in ivan


def test_a_group_invitation_admits_its_members(setup: Setup) -> None:
    from django.contrib.auth import get_user_model

    from bitpoll.accounts.models import Group, Membership

    outsiders = Group.objects.create(name="Choir", slug="choir")
    nick = get_user_model().objects.get(username="nick")
    Membership.objects.create(group=outsiders, user=nick)
    path = f"/{setup.poll.slug}/answer/"
    assert setup.clients["nick"].post(path, _answer(setup)).status_code == 403
    Invitation.objects.create(poll=setup.poll, group=outsiders)
    assert setup.clients["nick"].post(path, _answer(setup)).status_code == 302


def test_an_invitation_held_in_the_session_admits_a_visitor_without_account(setup: Setup) -> None:
    invitation = Invitation.objects.create(poll=setup.poll, email="guest@example.org")
    client = Client()
    path = f"/{setup.poll.slug}/answer/"
    assert client.post(path, _answer(setup)).status_code == 403
    session = client.session
    session["bitpoll.invitations"] = [invitation.pk]
    session.save()
    assert client.post(path, _answer(setup)).status_code == 302
    other, _ = make_poll(answer_access=Poll.AnswerAccess.INVITED)
    # The invitation is for one poll, not for every poll limited to invited people.
    option, choice = other.options.first(), other.choices.first()
    assert option is not None and choice is not None
    answer = {"name": "Guest", f"o{option.pk}": choice.pk}
    assert client.post(f"/{other.slug}/answer/", answer).status_code == 403


def test_logged_in_only_admits_every_account_and_no_stranger(setup: Setup) -> None:
    Poll.objects.filter(pk=setup.poll.pk).update(answer_access=Poll.AnswerAccess.ACCOUNTS)
    path = f"/{setup.poll.slug}/answer/"
    assert setup.clients["stranger"].post(path, _answer(setup)).status_code == 403
    assert setup.clients["nick"].post(path, _answer(setup)).status_code == 302


def test_edit_links_stop_working_when_answers_need_an_account(accounts_on: Any, db: None) -> None:
    poll, _ = make_poll()
    bob = answer_as(poll, "Bob", [0])
    assert bob.entry is not None
    link = f"/{poll.slug}/entry/{bob.entry.pk}/{bob.token}/"
    assert bob.client.get(link).status_code == 200
    assert link in bob.client.get(f"/{poll.slug}/").content.decode()
    Poll.objects.filter(pk=poll.pk).update(edit_requires_account=True)
    Poll.objects.get(pk=poll.pk).touch()
    assert bob.client.get(link).status_code == 404
    page = bob.client.get(f"/{poll.slug}/").content.decode()
    assert 'id="you"' in page and link not in page  # a link that no longer works is not shown
    assert bob.client.post(link + "delete/").status_code == 404


def test_the_admin_link_still_works_for_an_owned_poll(setup: Setup) -> None:
    from bitpoll.polls import services

    poll, token = services.create_poll(
        title="T", description="", kind="text", time_zone="UTC", options=[],
        owner=setup.poll.owner,
    )  # fmt: skip
    assert Client().get(f"/{poll.slug}/admin/{token}/").status_code == 200
    assert Client().get(f"/{poll.slug}/admin/account/").status_code == 404


def test_account_pages_are_404_with_accounts_off(setup: Setup, settings: Any) -> None:
    settings.ACCOUNTS_ENABLED = False
    for role in ("olga", "sam"):
        response = setup.clients[role].get(f"/{setup.poll.slug}/admin/account/")
        assert response.status_code == 404
    # The restriction stays: switching accounts off does not open the poll to everyone.
    assert (
        setup.clients["stranger"].post(f"/{setup.poll.slug}/answer/", _answer(setup)).status_code
        == 403
    )
