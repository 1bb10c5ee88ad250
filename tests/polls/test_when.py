"""One way to write dates and times per context, in the visitor's language, zones named."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import Client
from django.utils import translation

from bitpoll.polls import when
from bitpoll.polls.models import Comment, Entry

from .conftest import World, make_poll

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# 00:01 in Berlin on Wednesday 9 December is still Tuesday in UTC.
JUST_AFTER_MIDNIGHT = dt.datetime(2026, 12, 8, 23, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "day", "stamp"),
    [
        ("en", "Wed 9 Dec 2026", "Wed 9 Dec 2026, 00:01 (Europe/Berlin)"),
        ("de", "Mi, 9. Dez 2026", "Mi, 9. Dez 2026, 00:01 (Europe/Berlin)"),
    ],
)
def test_it_writes_days_and_moments_in_the_language_with_24_hours(
    language: str, day: str, stamp: str
) -> None:
    with translation.override(language):
        assert when.day(dt.date(2026, 12, 9)) == day
        assert when.stamp(JUST_AFTER_MIDNIGHT, BERLIN) == stamp


def test_it_writes_a_slot_across_midnight_with_both_days() -> None:
    start = dt.datetime(2026, 12, 9, 22, 0, tzinfo=BERLIN)
    with translation.override("en"):
        assert when.span(start, start + dt.timedelta(hours=1), BERLIN) == (
            "Wed 9 Dec 2026, 22:00\u201323:00"
        )
        assert when.span(start, start + dt.timedelta(hours=3), BERLIN) == (
            "Wed 9 Dec 2026, 22:00 \u2013 Thu 10 Dec 2026, 01:00"
        )
        assert when.time_span(start, start + dt.timedelta(hours=3), BERLIN) == (
            "22:00\u2013Thu 10 01:00"
        )


def test_it_gives_the_script_the_same_formats_and_names() -> None:
    with translation.override("de"):
        config = when.script_config()
    assert config["formats"]["day"] == "D, j. M Y"  # type: ignore[index]
    assert config["D"][3] == "Mi"  # type: ignore[index]  # Sunday first
    assert config["M"][11] == "Dez"  # type: ignore[index]


def test_the_pages_script_config_is_kept_per_language() -> None:
    from bitpoll.polls.templatetags.when import when_config

    with translation.override("de"):
        german = when_config()
        assert when_config() is german  # made once per language
    with translation.override("en"):
        english = when_config()
    assert '"Dez"' in german and '"Dec"' in english and '"Dez"' not in english
    with translation.override("de"):
        assert when_config() == german


@pytest.mark.django_db
def test_it_puts_the_weekday_on_date_poll_answer_headings() -> None:
    poll, _ = make_poll(kind="date", lines="2030-05-04")
    html = Client().get(f"/{poll.slug}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert ">Sa, 4. Mai 2030</time>" in html


@pytest.mark.django_db
def test_it_writes_comment_and_deadline_times_in_the_polls_zone_named() -> None:
    poll, _ = make_poll(kind="date", deadline=dt.datetime(2030, 5, 1, 22, 30, tzinfo=dt.UTC))
    comment = Comment.objects.create(poll=poll, author="Ann", text="Fine by me.")
    Comment.objects.filter(pk=comment.pk).update(created=JUST_AFTER_MIDNIGHT)
    poll.touch()
    html = Client().get(f"/{poll.slug}/").content.decode()
    assert (
        '<time datetime="2026-12-08T23:01:00Z" data-when="stamp">'
        "Wed 9 Dec 2026, 00:01 (Europe/Berlin)</time>" in html
    )
    assert "Thu 2 May 2030, 00:30 (Europe/Berlin)" in html
    # No format of Django's own defaults is left on the page.
    assert "a.m." not in html and "p.m." not in html


def test_it_names_the_zone_of_answer_times_for_the_admin(world: World) -> None:
    assert world.bob.entry is not None
    Entry.objects.filter(pk=world.bob.entry.pk).update(created=JUST_AFTER_MIDNIGHT)
    world.poll.touch()
    html = world.alice.client.get(world.admin).content.decode()
    assert (
        '<time datetime="2026-12-08T23:01:00Z" data-when="stamp">'
        "Wed 9 Dec 2026, 00:01 (Europe/Berlin)</time>" in html
    )


def test_it_shows_the_scale_editor_in_the_admins_language(world: World) -> None:
    html = world.alice.client.get(world.admin + "scale/", HTTP_ACCEPT_LANGUAGE="de")
    assert 'value="Wenn nötig"' in html.content.decode()
