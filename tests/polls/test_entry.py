"""Changing one's answer through the edit link: /<slug>/entry/<id>/<secret>/."""

from __future__ import annotations

import pytest
from django.test import Client

from bitpoll.polls import access, services
from bitpoll.polls.models import Entry, Vote

from .conftest import World

pytestmark = pytest.mark.django_db


def _data(world: World, name: str, picks: list[int]) -> dict[str, object]:
    options = list(world.poll.options.filter(is_deleted=False))
    choices = list(world.poll.choices.all())
    data: dict[str, object] = {"name": name}
    for option, pick in zip(options, picks, strict=False):
        data[f"o{option.pk}"] = choices[pick].pk
    return data


def test_it_shows_the_answer_for_editing(world: World) -> None:
    response = Client().get(world.edit_link(world.bob))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Bob"' in html and " checked" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_remembers_the_answer_in_a_new_browser_once_asked_to(world: World) -> None:
    other_device = Client()
    page = other_device.get(world.edit_link(world.bob))
    assert access.ENTRY_COOKIE not in page.cookies
    assert "This edit link belongs to the answer of Bob" in page.content.decode()
    response = other_device.post(world.edit_link(world.bob) + "adopt/")
    assert response.status_code == 302
    assert response.cookies[access.ENTRY_COOKIE].value.startswith(f"{world.bob.entry.pk}.")  # type: ignore[union-attr]
    assert b"<tr class=me>" in other_device.get(world.public).content


def test_opening_someone_elses_edit_link_keeps_ones_own_answer(world: World) -> None:
    """Mallory sends Carol her edit link: Carol stays Carol until she confirms otherwise."""
    carol = world.carol.client
    page = carol.get(world.edit_link(world.bob))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Change the answer of Bob" in html and "adopt-answer" in html
    assert "keeps its own answer until you confirm" in html
    assert access.ENTRY_COOKIE not in page.cookies
    poll_page = carol.get(world.public).content.decode()
    assert "Carol" in poll_page and "You answered as Bob" not in poll_page
    # A comment posted next is Carol's, not deletable through Bob's secret.
    carol.post(f"{world.public}comment/", {"author": "Carol", "text": "mine"})
    comment = world.poll.comments.get(text="mine")
    assert comment.entry_id == world.carol.entry.pk  # type: ignore[union-attr]
    assert (
        not world.bob.client.post(f"{world.public}comment/{comment.pk}/delete/").status_code == 302
    )


def test_the_owner_sees_no_question(world: World) -> None:
    html = world.bob.client.get(world.edit_link(world.bob)).content.decode()
    assert "Change your answer" in html and "adopt-answer" not in html


def test_adopting_needs_the_secret_and_a_post(world: World) -> None:
    link = world.edit_link(world.bob)
    assert world.dave.client.get(link + "adopt/").status_code == 405
    forged = link.replace(world.bob.token, "x" * 43)
    assert world.dave.client.post(forged + "adopt/").status_code == 404


def test_it_saves_changes(world: World) -> None:
    response = world.bob.client.post(world.edit_link(world.bob), _data(world, "Robert", [2, 2]))
    assert response.status_code == 302
    entry = Entry.objects.get(pk=world.bob.entry.pk)  # type: ignore[union-attr]
    assert entry.name == "Robert"
    assert {v.choice.label for v in entry.votes.all()} == {"No"}


def test_it_keeps_votes_on_removed_options(world: World) -> None:
    first = world.poll.options.first()
    services.set_option_deleted(first, True)  # type: ignore[arg-type]
    world.bob.client.post(world.edit_link(world.bob), _data(world, "Bob", [2]))
    assert Vote.objects.filter(entry=world.bob.entry, option=first).exists()
    services.set_option_deleted(first, False)  # type: ignore[arg-type]
    html = world.dave.client.get(world.public).content.decode()
    assert html.count("<td class=A>") == 1  # bob's "yes" on the restored option is back


def test_it_shows_form_errors_without_saving(world: World) -> None:
    response = world.bob.client.post(world.edit_link(world.bob), {"name": ""})
    assert response.status_code == 400
    assert Entry.objects.get(pk=world.bob.entry.pk).name == "Bob"  # type: ignore[union-attr]


def test_it_refuses_changes_once_closed(world: World) -> None:
    world.poll.close()
    world.bob.client.post(world.edit_link(world.bob), _data(world, "Robert", [2, 2]))
    assert Entry.objects.get(pk=world.bob.entry.pk).name == "Bob"  # type: ignore[union-attr]
    html = world.bob.client.get(world.edit_link(world.bob)).content.decode()
    assert 'id="closed-notice"' in html and 'id="answer-form"' not in html


def test_it_deletes_the_answer_and_forgets_the_cookie(world: World) -> None:
    response = world.bob.client.post(world.edit_link(world.bob) + "delete/")
    assert response.status_code == 302
    assert not Entry.objects.filter(pk=world.bob.entry.pk).exists()  # type: ignore[union-attr]
    assert response.cookies[access.ENTRY_COOKIE].value == ""


def test_it_keeps_comments_when_the_answer_is_deleted(world: World) -> None:
    world.bob.client.post(world.edit_link(world.bob) + "delete/")
    assert world.poll.comments.filter(author="Bob").exists()


def test_it_refuses_deleting_once_closed(world: World) -> None:
    world.poll.close()
    world.bob.client.post(world.edit_link(world.bob) + "delete/")
    assert Entry.objects.filter(pk=world.bob.entry.pk).exists()  # type: ignore[union-attr]


def test_it_ignores_a_forged_cookie(world: World) -> None:
    dave = world.dave.client
    dave.cookies[access.ENTRY_COOKIE] = f"{world.bob.entry.pk}.forged"  # type: ignore[union-attr]
    html = dave.get(world.public).content.decode()
    assert "<tr class=me>" not in html and 'id="you"' not in html
