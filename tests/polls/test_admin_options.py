"""Options: /<slug>/admin/<secret>/options/ (add) and .../<id>/remove|restore/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bitpoll.polls.models import Option, Vote

from .conftest import World, make_poll

pytestmark = pytest.mark.django_db


def test_it_lists_options_with_their_answer_counts(world: World) -> None:
    html = world.alice.client.get(world.admin + "options/").content.decode()
    assert 'id="options-table"' in html and "<td>2</td>" in html


def test_it_adds_options_in_date_order(world: World) -> None:
    response = world.alice.client.post(
        world.admin + "options/", {"lines": "2030-05-03\n2030-05-04"}
    )
    assert response.status_code == 302
    dates = [o.date for o in world.poll.options.all()]
    assert dates == [dt.date(2030, 5, 3), dt.date(2030, 5, 4), dt.date(2030, 5, 5)]


def test_it_rejects_bad_lines(world: World) -> None:
    response = world.alice.client.post(world.admin + "options/", {"lines": "soon"})
    assert response.status_code == 400


def test_it_removes_and_restores_an_option_keeping_its_answers(world: World) -> None:
    option = world.poll.options.first()
    assert option is not None
    votes = Vote.objects.filter(option=option).count()
    world.alice.client.post(f"{world.admin}options/{option.pk}/remove/")
    assert Option.objects.get(pk=option.pk).is_deleted
    html = world.dave.client.get(world.public).content.decode()
    assert f'id="h{option.pk}"' not in html
    assert Vote.objects.filter(option=option).count() == votes
    world.alice.client.post(f"{world.admin}options/{option.pk}/restore/")
    assert not Option.objects.get(pk=option.pk).is_deleted
    assert f'id="h{option.pk}"' in world.dave.client.get(world.public).content.decode()


def test_it_restores_a_removed_option_when_added_again(world: World) -> None:
    option = world.poll.options.first()
    assert option is not None
    world.alice.client.post(f"{world.admin}options/{option.pk}/remove/")
    world.alice.client.post(world.admin + "options/", {"lines": option.as_line()})
    assert not Option.objects.get(pk=option.pk).is_deleted
    assert world.poll.options.count() == 2


def test_it_answers_404_for_an_option_of_another_poll(world: World) -> None:
    from .conftest import make_poll

    other, _ = make_poll()
    option = other.options.first()
    assert option is not None
    assert world.alice.client.post(f"{world.admin}options/{option.pk}/remove/").status_code == 404


def test_it_renames_a_text_option_keeping_its_answers(db: None) -> None:
    from django.test import Client

    from .conftest import answer_as, make_poll

    poll, token = make_poll(kind="text", lines="Pizza\nSushi")
    answer_as(poll, "Bob", [0, 1])
    option = poll.options.first()
    assert option is not None
    response = Client().post(
        f"/{poll.slug}/admin/{token}/options/{option.pk}/rename/", {"line": "Lunch/Pizza \\/ Pasta"}
    )
    assert response.status_code == 302
    option.refresh_from_db()
    assert (option.group, option.text) == ("Lunch", "Pizza / Pasta")
    assert option.votes.count() == 1


def test_it_does_not_rename_dates(world: World) -> None:
    option = world.poll.options.first()
    assert option is not None
    world.alice.client.post(f"{world.admin}options/{option.pk}/rename/", {"line": "x"})
    assert Option.objects.get(pk=option.pk).date == dt.date(2030, 5, 4)


def test_it_rejects_an_empty_name(db: None) -> None:
    from django.test import Client

    from .conftest import make_poll

    poll, token = make_poll(kind="text", lines="Pizza")
    option = poll.options.get()
    response = Client().post(
        f"/{poll.slug}/admin/{token}/options/{option.pk}/rename/", {"line": " "}, follow=True
    )
    assert b"was not renamed" in response.content
    assert poll.options.get().text == "Pizza"


def test_it_asks_before_adding_days_in_the_past(world: World) -> None:
    response = world.alice.client.post(world.admin + "options/", {"lines": "2020-02-03"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "These options are in the past: 2020-02-03." in html
    assert 'name="keep_past"' in html
    response = world.alice.client.post(
        world.admin + "options/", {"lines": "2020-02-03", "keep_past": "on"}
    )
    assert response.status_code == 302
    assert world.poll.options.filter(date=dt.date(2020, 2, 3)).exists()


def test_it_offers_the_calendar_for_date_polls(world: World) -> None:
    html = world.alice.client.get(world.admin + "options/").content.decode()
    assert 'id="picker"' in html and 'data-target="id_lines"' in html and "js/picker." in html


def test_the_calendar_marks_days_with_options_in_the_polls_zone(client: Client) -> None:
    # 20:00 in Los Angeles is the next day in UTC; the calendar must show the local day.
    poll, token = make_poll(
        kind="datetime", lines="2030-05-04 20:00", time_zone="America/Los_Angeles"
    )
    html = client.get(f"/{poll.slug}/admin/{token}/options/").content.decode()
    assert 'data-existing="2030-05-04"' in html and 'data-kind="datetime"' in html
