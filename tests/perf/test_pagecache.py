"""The cached poll page changes with every write that changes what it shows.

Each test renders the page for an anonymous visitor (which fills the cache), changes the poll
through the same service functions the views use, and checks that the next anonymous visitor
sees the change. One test shows that the cache is really used: a hit costs one query.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from bitpoll.polls import pagecache, services
from bitpoll.polls.models import Poll
from bitpoll.polls.options import parse_lines

pytestmark = pytest.mark.django_db


def make_poll(**settings: object) -> Poll:
    poll, _ = services.create_poll(
        title="Team lunch",
        description="",
        kind="text",
        time_zone="Europe/Berlin",
        options=parse_lines("text", "Pizza\nSushi", zoneinfo.ZoneInfo("Europe/Berlin")),
        **settings,
    )
    return poll


def page(poll: Poll) -> str:
    """The public page as a new anonymous visitor sees it."""
    response = Client().get(f"/{poll.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def yes_to_all(poll: Poll) -> dict[int, services.Answer]:
    yes = poll.choices.order_by("order").first()
    assert yes is not None
    return {o.pk: services.Answer(yes.pk) for o in poll.options.filter(is_deleted=False)}


def fresh(poll: Poll) -> Poll:
    return Poll.objects.get(pk=poll.pk)


def test_it_serves_a_hit_with_a_single_query(django_assert_num_queries: Callable) -> None:  # type: ignore[type-arg]
    poll = make_poll()
    services.add_entry(poll, "Bob", yes_to_all(poll))
    page(poll)
    with django_assert_num_queries(1):
        Client().get(f"/{poll.slug}/")


def test_it_gives_each_visitor_a_fresh_csrf_token_that_works() -> None:
    poll = make_poll()
    page(poll)  # fills the cache
    client = Client(enforce_csrf_checks=True)
    html = client.get(f"/{poll.slug}/").content.decode()
    assert pagecache.CSRF_PLACEHOLDER not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    assert "csrftoken" in client.cookies
    other = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(poll))
    assert other and other.group(1) != token.group(1)
    fields = {"csrfmiddlewaretoken": token.group(1), "name": "Dora"}
    for option in poll.options.all():
        fields[f"o{option.pk}"] = str(poll.choices.first().pk)  # type: ignore[union-attr]
    response = client.post(f"/{poll.slug}/answer/", fields)
    assert response.status_code == 302
    assert poll.entries.filter(name="Dora").exists()


def test_it_shows_a_new_answer() -> None:
    poll = make_poll()
    assert "Bob" not in page(poll)
    services.add_entry(poll, "Bob", yes_to_all(poll))
    assert "Bob" in page(fresh(poll))


def test_it_shows_an_edited_answer_and_a_deleted_one() -> None:
    poll = make_poll()
    entry, _ = services.add_entry(poll, "Bob", yes_to_all(poll))
    assert "Bob" in page(fresh(poll))
    services.update_entry(entry, "Robert", yes_to_all(poll))
    html = page(fresh(poll))
    assert "Robert" in html and ">Bob<" not in html
    services.delete_entry(entry)
    assert "Robert" not in page(fresh(poll))


def test_it_shows_comments_added_and_deleted() -> None:
    poll = make_poll()
    page(poll)
    comment = services.add_comment(poll, "Carol", "Sushi please!", None, "0" * 64)
    assert "Sushi please!" in page(fresh(poll))
    services.delete_comment(comment)
    assert "Sushi please!" not in page(fresh(poll))


def test_it_shows_removed_and_restored_options() -> None:
    poll = make_poll()
    sushi = poll.options.get(text="Sushi")
    assert "Sushi" in page(poll)
    services.set_option_deleted(sushi, True)
    assert "Sushi" not in page(fresh(poll))
    services.set_option_deleted(sushi, False)
    assert "Sushi" in page(fresh(poll))


def test_it_shows_added_options() -> None:
    poll = make_poll()
    page(poll)
    services.add_options(poll, parse_lines("text", "Tacos", zoneinfo.ZoneInfo("UTC")))
    assert "Tacos" in page(fresh(poll))


def test_it_shows_a_changed_scale() -> None:
    poll = make_poll()
    page(poll)
    keep = {
        c.pk: services.ChoiceData(c.label, c.colour, c.icon, c.weight) for c in poll.choices.all()
    }
    services.set_scale(poll, keep, [services.ChoiceData("Only online", "b", "q", Decimal("0.25"))])
    assert "Only online" in page(fresh(poll))


def test_it_shows_changed_settings_and_title() -> None:
    poll = make_poll()
    services.add_entry(poll, "Bob", yes_to_all(poll))
    assert "Bob" in page(fresh(poll))
    services.update_poll(fresh(poll), {"title": "Team dinner", "hide_participant_names": True})
    html = page(fresh(poll))
    assert "Team dinner" in html
    assert "Bob" not in html


def test_it_shows_closing_and_reopening() -> None:
    poll = make_poll()
    assert 'id="answer-form"' in page(poll)
    poll.close()
    assert 'id="answer-form"' not in page(fresh(poll))
    poll = fresh(poll)
    poll.reopen()
    assert 'id="answer-form"' in page(fresh(poll))


def test_it_stops_taking_answers_when_the_deadline_passes_without_any_write() -> None:
    poll = make_poll(deadline=timezone.now() + dt.timedelta(hours=1))
    assert 'id="answer-form"' in page(poll)
    Poll.objects.filter(pk=poll.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    assert 'id="answer-form"' not in page(fresh(poll))


def test_it_keeps_languages_apart() -> None:
    poll = make_poll()
    english = Client().get(f"/{poll.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    german = Client().get(f"/{poll.slug}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="en">' in english
    assert '<html lang="de">' in german


def test_it_renders_freshly_for_a_participant_with_a_cookie() -> None:
    from bitpoll.polls import access

    poll = make_poll()
    page(poll)
    entry, token = services.add_entry(poll, "Bob", yes_to_all(poll))
    bob = Client()
    bob.cookies[access.ENTRY_COOKIE] = f"{entry.pk}.{token}"
    html = bob.get(f"/{poll.slug}/").content.decode()
    assert 'id="edit-link"' in html
    assert 'id="edit-link"' not in page(fresh(poll))
