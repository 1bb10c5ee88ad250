"""Answering: POST /<slug>/answer/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bitpoll.polls import access, tokens
from bitpoll.polls.models import Entry, Poll, Vote

from .conftest import World, make_poll

pytestmark = pytest.mark.django_db


def _post(
    client: Client, poll: Poll, name: str = "Erin", picks: tuple[int, ...] = (0, 2), **extra: str
):
    options = list(poll.options.all())
    choices = list(poll.choices.all())
    data = {"name": name}
    for option, pick in zip(options, picks, strict=False):
        data[f"o{option.pk}"] = str(choices[pick].pk)
    data.update(extra)
    return client.post(f"/{poll.slug}/answer/", data)


def test_it_stores_the_answer_and_remembers_it_in_a_cookie(world: World) -> None:
    response = _post(world.dave.client, world.poll)
    assert response.status_code == 302
    entry = Entry.objects.get(name="Erin")
    assert [v.choice.label for v in entry.votes.order_by("option__order")] == ["Yes", "No"]
    cookie = response.cookies[access.ENTRY_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == f"/{world.poll.slug}/"
    entry_id, token = cookie.value.split(".", 1)
    assert int(entry_id) == entry.pk and tokens.check_token(token, entry.edit_token_hash)
    page = world.dave.client.get(response["Location"])
    assert b"Thank you, your answer is saved." in page.content
    assert f"/entry/{entry.pk}/{token}/".encode() in page.content


def test_it_stores_a_comment_per_answer(world: World) -> None:
    option = world.poll.options.first()
    _post(world.dave.client, world.poll, **{f"c{option.pk}": "only after 2pm"})  # type: ignore[union-attr]
    assert Vote.objects.get(entry__name="Erin", option=option).comment == "only after 2pm"


def test_it_requires_a_name_by_default(world: World) -> None:
    response = _post(world.dave.client, world.poll, name="")
    assert response.status_code == 400
    assert Entry.objects.count() == 2


def test_it_allows_anonymous_answers_when_enabled(db: None) -> None:
    poll, _ = make_poll(allow_anonymous=True, require_name=False)
    assert _post(Client(), poll, name="").status_code == 302
    assert Entry.objects.get().name == ""
    assert b"Anonymous" in Client().get(f"/{poll.slug}/").content


def test_it_refuses_a_second_answer_with_the_same_name(db: None) -> None:
    poll, _ = make_poll(one_answer_per_name=True)
    assert _post(Client(), poll, name="Erin").status_code == 302
    response = _post(Client(), poll, name="  erin ")
    assert response.status_code == 400
    assert b"has already answered" in response.content
    assert Entry.objects.count() == 1


def test_it_needs_at_least_one_answer(world: World) -> None:
    response = _post(world.dave.client, world.poll, picks=())
    assert response.status_code == 400
    assert b"Answer at least one option." in response.content


def test_it_refuses_a_choice_of_another_poll(world: World) -> None:
    other, _ = make_poll()
    foreign = other.choices.first()
    option = world.poll.options.first()
    response = world.dave.client.post(
        f"{world.public}answer/",
        {"name": "Erin", f"o{option.pk}": foreign.pk},  # type: ignore[union-attr]
    )
    assert response.status_code == 400
    assert not Entry.objects.filter(name="Erin").exists()


def test_it_refuses_answers_after_the_deadline(db: None) -> None:
    poll, _ = make_poll(deadline=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    response = _post(Client(), poll)
    assert response.status_code == 302
    assert Entry.objects.count() == 0
    page = Client().get(f"/{poll.slug}/").content.decode()
    assert "The deadline has passed" in page and "(Europe/Berlin)" in page


def test_it_refuses_answers_when_closed(world: World) -> None:
    world.poll.close()
    _post(world.dave.client, world.poll)
    assert not Entry.objects.filter(name="Erin").exists()


def test_it_enforces_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert _post(client, world.poll).status_code == 403
    assert not Entry.objects.filter(name="Erin").exists()


def test_it_bumps_the_poll_version(world: World) -> None:
    before = world.poll.version
    _post(world.dave.client, world.poll)
    world.poll.refresh_from_db()
    assert world.poll.version == before + 1


def _cell(page: str, option_pk: int) -> str:
    """The answer row's cell for one option."""
    start = page.rindex("<td", 0, page.index(f"id=a{option_pk}"))
    return page[start : page.index("</div>", start)]


def _comment(page: str, option_pk: int) -> str:
    """The comment field for one option, with its errors."""
    start = page.rindex("<p", 0, page.index(f"name=c{option_pk}"))
    return page[start : page.index("</p>", start)]


def _summary(page: str) -> str:
    start = page.index('id="answer-errors"')
    return page[start : page.index("</div>", start)]


def test_it_shows_a_foreign_choice_as_an_error_on_that_option(world: World) -> None:
    other, _ = make_poll()
    option = world.poll.options.first()
    assert option is not None
    response = world.dave.client.post(
        f"{world.public}answer/",
        {"name": "Erin", f"o{option.pk}": other.choices.first().pk},  # type: ignore[union-attr]
    )
    page = response.content.decode()
    assert 'class="pick field-invalid"' in _cell(page, option.pk)
    assert f'<a href="#a{option.pk}">{option.label}: Select a valid choice.' in _summary(page)


def test_it_keeps_what_was_entered_when_it_shows_errors(world: World) -> None:
    first, second = world.poll.options.all()
    yes = world.poll.choices.first()
    assert yes is not None
    response = world.dave.client.post(
        f"{world.public}answer/",
        {"name": "", f"o{first.pk}": yes.pk, f"c{second.pk}": "after 2pm"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"name=o{first.pk} value={yes.pk} id=a{first.pk}" in _cell(page, first.pk)
    assert "checked" in _cell(page, first.pk) and "checked" not in _cell(page, second.pk)
    assert 'value="after 2pm"' in _comment(page, second.pk)
    assert "Pick an answer for this option too." in _comment(page, second.pk)
    assert "<details" in page and 'id="answer-comments" open' in page


def test_it_refuses_control_characters_in_a_comment_beside_its_option(world: World) -> None:
    option = world.poll.options.first()
    assert option is not None
    response = _post(world.dave.client, world.poll, **{f"c{option.pk}": "late\x07"})
    assert response.status_code == 400
    assert "Remove the control characters" in _comment(response.content.decode(), option.pk)
    assert not Entry.objects.filter(name="Erin").exists()


def test_it_refuses_answers_beyond_the_cap(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from bitpoll.polls import views

    monkeypatch.setattr(views, "MAX_ANSWERS_PER_POLL", 3)  # Bob and Carol have answered
    assert _post(Client(), world.poll, name="Erin").status_code == 302
    client = Client()
    response = _post(client, world.poll, name="Frank")
    assert response.status_code == 302
    assert not Entry.objects.filter(name="Frank").exists()
    assert b"maximum number of answers" in client.get(response["Location"]).content


def test_it_counts_answers_only_when_the_version_could_reach_the_cap(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bitpoll.polls import views

    monkeypatch.setattr(views, "MAX_ANSWERS_PER_POLL", 3)
    # Many edits and comments raise the version without adding answers.
    Poll.objects.filter(pk=world.poll.pk).update(version=1000)
    assert _post(Client(), world.poll, name="Erin").status_code == 302
    assert Entry.objects.filter(name="Erin").exists()
    assert _post(Client(), world.poll, name="Frank").status_code == 302
    assert not Entry.objects.filter(name="Frank").exists()
