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


def test_it_deletes_a_poll_with_answers(world: World, operator: Client) -> None:
    from bitpoll.polls.models import Entry, Poll, Vote

    url = f"/admin/polls/poll/{world.poll.pk}/delete/"
    confirm = operator.get(url)
    assert confirm.status_code == 200 and b"Cannot delete" not in confirm.content
    assert operator.post(url, {"post": "yes"}).status_code == 302
    assert not Poll.objects.exists() and not Entry.objects.exists() and not Vote.objects.exists()


def test_it_deletes_polls_with_answers_in_bulk(world: World, operator: Client) -> None:
    from bitpoll.polls.models import Poll

    from .conftest import answer_as, make_poll

    other, _ = make_poll()
    answer_as(other, "Erin", [0, 0])
    data = {"action": "delete_selected", "_selected_action": [world.poll.pk, other.pk]}
    operator.post("/admin/polls/poll/", {**data, "post": "yes"})
    assert not Poll.objects.exists()


def test_a_used_choice_still_cannot_be_deleted_alone(world: World) -> None:
    from django.db.models import RestrictedError

    choice = world.poll.choices.get(label="Yes")
    with pytest.raises(RestrictedError):
        choice.delete()


def _version(world: World) -> int:
    from bitpoll.polls.models import Poll

    return Poll.objects.get(pk=world.poll.pk).version


def test_editing_a_comment_bumps_the_poll_version(world: World, operator: Client) -> None:
    comment = world.poll.comments.get(author="Bob")
    before = _version(world)
    response = operator.post(
        f"/admin/polls/comment/{comment.pk}/change/",
        {"poll": world.poll.pk, "entry": "", "author": "Bob", "text": "Edited by the operator"},
    )
    assert response.status_code == 302
    assert _version(world) > before
    assert b"Edited by the operator" in Client().get(world.public).content


def test_deleting_comments_in_bulk_bumps_the_poll_version(world: World, operator: Client) -> None:
    ids = list(world.poll.comments.values_list("pk", flat=True))
    before = _version(world)
    operator.post(
        "/admin/polls/comment/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not world.poll.comments.exists()
    assert _version(world) > before


def test_turning_on_one_answer_per_name_keys_the_answers(world: World, operator: Client) -> None:
    from bitpoll.polls.models import Entry

    url = f"/admin/polls/poll/{world.poll.pk}/change/"
    form = operator.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, bool)}
    data.update(
        {
            "one_answer_per_name": "on",
            "require_name": "on",
            "allow_comments": "on",
            "deadline_0": "",
            "deadline_1": "",
        }
    )
    for prefix in ("choices", "options"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = operator.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(Entry.objects.values_list("name_key", flat=True)) == {"bob", "carol"}


def test_an_operator_can_free_a_deleted_link_name(operator: Client) -> None:
    from bitpoll.polls.models import DeletedSlug

    from .conftest import make_poll

    poll, _ = make_poll(slug="team-lunch")
    poll.delete()
    tombstone = DeletedSlug.objects.get(slug="team-lunch")
    assert operator.get("/admin/polls/deletedslug/").status_code == 200
    operator.post(f"/admin/polls/deletedslug/{tombstone.pk}/delete/", {"post": "yes"})
    assert not DeletedSlug.blocks("team-lunch")
