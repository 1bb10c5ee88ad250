"""My polls, ownership, handing a poll to a group, one answer per account, display names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from bitpoll.accounts.models import Group, Membership
from bitpoll.polls.models import Entry, Poll, Watch
from polls.conftest import make_poll

from .conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def _create(client: Client, title: str = "Board meeting") -> Any:
    data = {
        "title": title,
        "kind": "text",
        "time_zone": "UTC",
        "options": "A\nB",
        "scale": "default",
        "results_visibility": "always",
    }
    return client.post("/new/", data)


def _answer_data(poll: Poll, name: str = "Typed name") -> dict[str, object]:
    option, choice = poll.options.first(), poll.choices.first()
    assert option is not None and choice is not None
    return {"name": name, f"o{option.pk}": choice.pk}


def test_a_poll_created_while_logged_in_is_owned_and_listed(accounts_on: Any) -> None:
    olga = make_user("olga")
    olga.profile.watch_by_default = True
    olga.profile.save()
    client = client_for(olga)
    response = _create(client)
    assert response.status_code == 302
    admin_url = response["Location"]
    poll = Poll.objects.get(title="Board meeting")
    assert poll.owner == olga
    assert Watch.objects.filter(poll=poll, user=olga).exists()
    # The admin link keeps working, for anyone holding it.
    assert Client().get(admin_url).status_code == 200
    page = client.get("/accounts/polls/").content.decode()
    assert "Board meeting" in page and f"/{poll.slug}/admin/account/" in page


def test_an_anonymous_poll_has_no_owner(accounts_on: Any) -> None:
    assert _create(Client()).status_code == 302
    assert Poll.objects.get().owner is None


def test_my_polls_lists_owned_group_and_answered_polls_with_state_and_counts(
    accounts_on: Any,
) -> None:
    olga, mia = make_user("olga"), make_user("mia", display_name="Mia M.")
    group = Group.objects.create(name="Council", slug="council")
    Membership.objects.create(group=group, user=olga)
    Membership.objects.create(group=group, user=mia)
    owned, _ = make_poll(owner=mia)
    shared, _ = make_poll(owner=olga, owner_group=group, is_closed=True)
    foreign, _ = make_poll()
    mia_client = client_for(mia)
    assert mia_client.post(f"/{foreign.slug}/answer/", _answer_data(foreign)).status_code == 302
    assert mia_client.post(f"/{owned.slug}/answer/", _answer_data(owned)).status_code == 302
    html = mia_client.get("/accounts/polls/").content.decode()
    owned_table = html.split('id="owned-polls"')[1].split("</table>")[0]
    group_table = html.split('id="group-polls"')[1].split("</table>")[0]
    answered_table = html.split('id="answered-polls"')[1].split("</table>")[0]
    assert f'data-slug="{owned.slug}"' in owned_table and foreign.slug not in owned_table
    assert f'data-slug="{shared.slug}"' in group_table and "closed" in group_table
    assert foreign.slug in answered_table and owned.slug in answered_table
    assert "<td>1</td>" in answered_table
    # Tied to the account, with its display name, whatever was typed.
    entry = Entry.objects.get(poll=foreign)
    assert entry.user == mia and entry.name == "Mia M."
    # nick sees none of it.
    nick_html = client_for(make_user("nick")).get("/accounts/polls/").content.decode()
    assert owned.slug not in nick_html and shared.slug not in nick_html


def test_the_owner_hands_the_poll_to_a_group_whose_other_member_then_manages_it(
    accounts_on: Any,
) -> None:
    olga, mia, nick = make_user("olga"), make_user("mia"), make_user("nick")
    group = Group.objects.create(name="Council", slug="council")
    Membership.objects.create(group=group, user=olga, is_admin=True)
    Membership.objects.create(group=group, user=mia)
    Group.objects.create(name="Other", slug="other")
    poll, _ = make_poll(owner=olga)
    base = f"/{poll.slug}/admin/account/"
    mia_client, olga_client = client_for(mia), client_for(olga)
    assert mia_client.get(base).status_code == 404
    # Only to a group she belongs to.
    assert olga_client.post(base + "access/owner/", {"group": "other"}).status_code == 403
    assert olga_client.post(base + "access/owner/", {"group": "council"}).status_code == 302
    assert Poll.objects.get(pk=poll.pk).owner_group == group
    dashboard = mia_client.get(base)
    assert dashboard.status_code == 200
    assert 'id="admin-link"' not in dashboard.content.decode()  # no secret to show
    assert f'href="{base}"' in mia_client.get(f"/{poll.slug}/").content.decode()
    assert mia_client.post(base + "close/").status_code == 302
    assert Poll.objects.get(pk=poll.pk).is_closed
    assert client_for(nick).get(base).status_code == 404
    # Leaving the group ends it.
    Membership.objects.filter(user=mia).delete()
    assert mia_client.get(base).status_code == 404


def test_a_logged_in_admin_link_holder_can_claim_an_anonymous_poll(accounts_on: Any) -> None:
    poll, token = make_poll()
    olga = client_for(make_user("olga"))
    response = olga.post(f"/{poll.slug}/admin/{token}/access/owner/", {"claim": "1"})
    assert response.status_code == 302
    assert Poll.objects.get(pk=poll.pk).owner is not None
    assert (
        Client().post(f"/{poll.slug}/admin/{token}/access/owner/", {"claim": "1"}).status_code
        == 404
    )


def test_one_answer_per_account_refuses_the_second(accounts_on: Any) -> None:
    poll, _ = make_poll(one_answer_per_account=True)
    mia = client_for(make_user("mia"))
    assert mia.post(f"/{poll.slug}/answer/", _answer_data(poll)).status_code == 302
    response = mia.post(f"/{poll.slug}/answer/", _answer_data(poll), follow=True)
    assert "one answer per account" in response.content.decode()
    assert poll.entries.count() == 1
    # Without an account the setting does not apply (anonymous answers stay as they are).
    assert Client().post(f"/{poll.slug}/answer/", _answer_data(poll)).status_code == 302
    assert poll.entries.count() == 2


def test_changing_the_display_name_renames_the_answers(accounts_on: Any) -> None:
    mia = make_user("mia", display_name="Mia")
    poll, _ = make_poll()
    client = client_for(mia)
    assert client.post(f"/{poll.slug}/answer/", _answer_data(poll)).status_code == 302
    version = Poll.objects.get(pk=poll.pk).version
    data = {"display_name": "Mia Rossi", "language": "it", "time_zone": "Europe/Rome"}
    response = client.post("/accounts/settings/", data)
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "it"
    assert Entry.objects.get(poll=poll).name == "Mia Rossi"
    assert Poll.objects.get(pk=poll.pk).version > version  # the cached page is renewed
    assert client.post("/accounts/settings/", {"time_zone": "Mars/Base"}).status_code == 400
    # Times the site shows in the visitor's zone use the account's (here a deadline, in Italian).
    import datetime as dt

    make_poll(owner=mia, deadline=dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC))
    assert "01/01/2030 13:00" in client.get("/accounts/polls/").content.decode()


def test_an_answer_made_with_an_account_is_changed_without_an_edit_link(accounts_on: Any) -> None:
    poll, _ = make_poll()
    mia_user = make_user("mia")
    mia = client_for(mia_user)
    assert mia.post(f"/{poll.slug}/answer/", _answer_data(poll)).status_code == 302
    entry = Entry.objects.get(poll=poll)
    # Another browser of hers: no cookie, the account is enough.
    other = client_for(mia_user)
    page = other.get(f"/{poll.slug}/").content.decode()
    assert f"/{poll.slug}/entry/{entry.pk}/account/" in page
    assert other.get(f"/{poll.slug}/entry/{entry.pk}/account/").status_code == 200


def test_my_polls_lists_invitations_until_answered(accounts_on: Any) -> None:
    from bitpoll.polls.models import Invitation

    mia = make_user("mia")
    group = Group.objects.create(name="Council", slug="council")
    Membership.objects.create(group=group, user=mia)
    poll, _ = make_poll(answer_access=Poll.AnswerAccess.INVITED)
    Invitation.objects.create(poll=poll, group=group)
    client = client_for(mia)
    html = client.get("/accounts/polls/").content.decode()
    assert f'data-slug="{poll.slug}"' in html.split('id="invited-polls"')[1].split("</table>")[0]
    page = client.get(f"/{poll.slug}/").content.decode()
    name_input = re.search(r'<input[^>]*name="name"[^>]*>', page)
    assert 'id="answer-form"' in page and name_input and "readonly" in name_input.group(0)
    assert client.post(f"/{poll.slug}/answer/", _answer_data(poll)).status_code == 302
    assert 'id="invited-polls"' not in client.get("/accounts/polls/").content.decode()
