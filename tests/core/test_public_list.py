"""The opt-in list of open polls on the home page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from polls.conftest import make_poll

pytestmark = pytest.mark.django_db


def _titled(title: str, **settings: object) -> tuple[object, str]:
    poll, token = make_poll(**settings)
    poll.title = title
    poll.save()
    return poll, token


def test_it_lists_only_polls_whose_creators_asked_and_never_secret_links(client: Client) -> None:
    listed, token = _titled("Summer party", listed_publicly=True)
    _titled("Private board meeting")
    closed, _ = _titled("Closed vote", listed_publicly=True)
    closed.close()
    _titled(
        "Deadline passed", listed_publicly=True, deadline=timezone.now() - dt.timedelta(hours=1)
    )
    html = client.get("/").content.decode()
    assert 'id="public-polls"' in html
    assert f'<a href="/{listed.slug}/">Summer party</a>' in html
    for hidden in ("Private board meeting", "Closed vote", "Deadline passed"):
        assert hidden not in html
    assert token not in html and "/admin/" not in html and "/entry/" not in html


def test_it_shows_no_list_when_nothing_is_listed(client: Client) -> None:
    _titled("Private")
    assert 'id="public-polls"' not in client.get("/").content.decode()


def test_the_operator_can_switch_the_list_off(client: Client) -> None:
    _titled("Summer party", listed_publicly=True)
    with override_settings(PUBLIC_POLL_LIST=False):
        html = client.get("/").content.decode()
    assert "Summer party" not in html and 'id="public-polls"' not in html


def test_the_admin_can_list_and_unlist_a_poll(client: Client) -> None:
    from bitpoll.polls.forms import PollEditForm

    poll, token = _titled("Later listed")
    data = {k: v for k, v in PollEditForm.initial_for(poll).items() if v not in (None, False)}
    data["results_visibility"] = poll.results_visibility
    response = client.post(f"/{poll.slug}/admin/{token}/edit/", {**data, "listed_publicly": "on"})
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.listed_publicly
    assert "Later listed" in client.get("/").content.decode()
