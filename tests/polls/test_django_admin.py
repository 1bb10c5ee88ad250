"""The Django admin lists polls for server operators without exposing secrets."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from .conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> Client:
    User.objects.create_superuser("root", "root@example.org", "correct horse battery")
    client = Client()
    client.login(username="root", password="correct horse battery")
    return client


def test_it_lists_polls_with_their_answer_counts(world: World, operator: Client) -> None:
    response = operator.get("/admin/polls/poll/")
    assert response.status_code == 200
    assert b"Team lunch" in response.content


def test_it_never_shows_secret_hashes(world: World, operator: Client) -> None:
    html = operator.get(f"/admin/polls/poll/{world.poll.pk}/change/").content.decode()
    assert world.poll.admin_token_hash not in html


def test_it_closes_polls_in_bulk(world: World, operator: Client) -> None:
    operator.post(
        "/admin/polls/poll/", {"action": "close_polls", "_selected_action": [world.poll.pk]}
    )
    world.poll.refresh_from_db()
    assert world.poll.is_closed


def test_it_is_not_for_strangers(world: World) -> None:
    assert Client().get("/admin/polls/poll/").status_code == 302
