"""A deleted poll's link name stays blocked for DeletedSlug.TOMBSTONE_DAYS, for everyone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from bitpoll.polls import services
from bitpoll.polls.models import DeletedSlug, Poll

from .conftest import World, make_poll

pytestmark = pytest.mark.django_db


def _create(slug: str):
    return Client().post(
        "/new/",
        {"title": "Mine now", "kind": "text", "time_zone": "UTC", "options": "A",
         "scale": "default", "results_visibility": "always", "slug": slug},
    )  # fmt: skip


def test_a_deleted_polls_link_name_cannot_be_registered_again(world: World) -> None:
    slug = world.poll.slug
    response = world.alice.client.post(world.admin + "delete/", {"confirm": "on"})
    assert response.status_code == 302
    again = _create(slug)
    assert again.status_code == 400 and b"This link name is taken" in again.content
    assert not Poll.objects.filter(slug=slug).exists()
    with pytest.raises(services.SlugTaken):
        make_poll(slug=slug)


def test_a_poll_deleted_in_the_django_admin_leaves_its_name_blocked(db: None) -> None:
    poll, _ = make_poll(slug="team-lunch")
    poll.delete()
    assert DeletedSlug.blocks("team-lunch")


def test_the_name_is_free_again_after_the_period(db: None) -> None:
    poll, _ = make_poll(slug="team-lunch")
    services.delete_poll(poll)
    long_ago = timezone.now() - dt.timedelta(days=DeletedSlug.TOMBSTONE_DAYS + 1)
    DeletedSlug.objects.filter(slug="team-lunch").update(deleted=long_ago)
    assert _create("team-lunch").status_code == 302
    # Recording another deletion forgets names whose period is over.
    other, _ = make_poll(slug="other-poll")
    services.delete_poll(other)
    assert set(DeletedSlug.objects.values_list("slug", flat=True)) == {"other-poll"}
