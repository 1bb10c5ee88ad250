"""Copying a poll with a date shift: /<slug>/admin/<secret>/copy/."""

from __future__ import annotations

import datetime as dt

import pytest

from bitpoll.polls.models import Poll

from .conftest import World, make_poll

pytestmark = pytest.mark.django_db


def test_it_copies_dates_shifted_without_answers(world: World) -> None:
    response = world.alice.client.post(world.admin + "copy/", {"title": "Next lunch", "days": "7"})
    assert response.status_code == 302
    copy = Poll.objects.get(title="Next lunch")
    assert copy.slug != world.poll.slug
    assert response["Location"].startswith(f"/{copy.slug}/admin/")
    assert [o.date for o in copy.options.all()] == [dt.date(2030, 5, 11), dt.date(2030, 5, 12)]
    assert copy.entries.count() == 0 and copy.comments.count() == 0
    assert [c.label for c in copy.choices.all()] == ["Yes", "If need be", "No"]


def test_it_keeps_wall_clock_times_across_daylight_saving(db: None) -> None:
    from django.test import Client

    poll, token = make_poll(kind="datetime", lines="2030-03-24 09:00-10:00")
    Client().post(f"/{poll.slug}/admin/{token}/copy/", {"title": "Later", "days": "7"})
    option = Poll.objects.get(title="Later").options.get()
    # 09:00 CET is 08:00 UTC; a week later 09:00 CEST is 07:00 UTC.
    assert option.start == dt.datetime(2030, 3, 31, 7, 0, tzinfo=dt.UTC)
    assert option.end == dt.datetime(2030, 3, 31, 8, 0, tzinfo=dt.UTC)


def test_it_rejects_a_shift_out_of_range(world: World) -> None:
    response = world.alice.client.post(world.admin + "copy/", {"title": "X", "days": "99999"})
    assert response.status_code == 400
    assert Poll.objects.count() == 1


def test_it_proposes_a_title(world: World) -> None:
    assert b'value="Copy of Team lunch"' in world.alice.client.get(world.admin + "copy/").content


@pytest.mark.parametrize(
    ("lines", "time"),
    [("2027-03-21 02:15-03:00", "2027-03-28 02:15"), ("2027-03-21 02:30", "2027-03-28 02:30")],
)
def test_it_refuses_a_copy_into_a_daylight_saving_gap(db: None, lines: str, time: str) -> None:
    """Europe/Berlin skips 02:00-03:00 on 2027-03-28: refused as the create form refuses it."""
    from django.test import Client

    poll, token = make_poll(kind="datetime", lines=lines)
    response = Client().post(f"/{poll.slug}/admin/{token}/copy/", {"title": "Gap", "days": "7"})
    assert response.status_code == 400
    assert f"{time} does not exist in Europe/Berlin" in response.content.decode()
    assert not Poll.objects.filter(title="Gap").exists()
    created = Client().post(
        "/new/",
        {"title": "Gap", "kind": "datetime", "time_zone": "Europe/Berlin", "options": time,
         "scale": "default", "results_visibility": "always"},
    )  # fmt: skip
    assert (
        created.status_code == 400 and "does not exist in Europe/Berlin" in created.content.decode()
    )


def test_it_refuses_a_copy_whose_deadline_falls_into_a_gap(db: None) -> None:
    from django.test import Client

    deadline = dt.datetime(2027, 3, 21, 1, 30, tzinfo=dt.UTC)  # 02:30 CET
    poll, token = make_poll(kind="datetime", lines="2027-03-22 10:00", deadline=deadline)
    response = Client().post(f"/{poll.slug}/admin/{token}/copy/", {"title": "Gap", "days": "7"})
    assert response.status_code == 400
    assert not Poll.objects.filter(title="Gap").exists()
