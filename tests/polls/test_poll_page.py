"""The public poll page: /<slug>/."""

from __future__ import annotations

import pytest
from django.test import Client

from bitpoll.polls import services
from bitpoll.polls.models import Poll

from .conftest import World, answer_as, make_poll

pytestmark = pytest.mark.django_db


def test_it_shows_title_description_grid_and_form(world: World) -> None:
    response = world.dave.client.get(world.public)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="poll-title">Team lunch</h1>' in html
    assert "<em>shall</em>" in html
    assert '<table class="grid" id="grid"' in html
    assert "<caption>" in html and 'scope="col"' in html and "<th scope=row>Bob" in html
    assert 'id="answer-form"' in html
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert "<script>" not in html and "style=" not in html


def test_it_highlights_the_best_option(world: World) -> None:
    html = world.dave.client.get(world.public).content.decode()
    first = world.poll.options.first()
    assert f'id="h{first.pk}" class="best"' in html  # type: ignore[union-attr]
    assert 'id="best"' in html and "Best so far" in html


def test_it_shows_counts_with_icon_and_text(world: World) -> None:
    html = world.dave.client.get(world.public).content.decode()
    assert '<span class="ico kg iy" aria-hidden="true"></span>Yes<td>1<td>0' in html


def test_it_marks_the_viewers_own_row_and_shows_the_edit_link(world: World) -> None:
    html = world.bob.client.get(world.public).content.decode()
    assert "<tr class=me><th scope=row>Bob" in html
    assert world.edit_link(world.bob) in html
    assert world.edit_link(world.bob) not in world.carol.client.get(world.public).content.decode()


def test_it_hides_results_until_the_viewer_answered(db: None) -> None:
    poll, _ = make_poll(results_visibility=Poll.Visibility.AFTER_ANSWER)
    bob = answer_as(poll, "Bob", [0, 0])
    stranger = Client().get(f"/{poll.slug}/").content.decode()
    assert 'id="grid"' not in stranger and 'id="results-hidden"' in stranger
    assert "Bob" not in stranger
    assert 'id="grid"' in bob.client.get(f"/{poll.slug}/").content.decode()


def test_it_shows_results_only_to_the_admin(db: None) -> None:
    poll, token = make_poll(results_visibility=Poll.Visibility.ADMIN_ONLY)
    bob = answer_as(poll, "Bob", [0, 0])
    assert 'id="grid"' not in bob.client.get(f"/{poll.slug}/").content.decode()
    assert 'id="grid"' in Client().get(f"/{poll.slug}/admin/{token}/").content.decode()


def test_it_hides_participant_names_except_ones_own(db: None) -> None:
    poll, token = make_poll(hide_participant_names=True)
    bob = answer_as(poll, "Bob", [0, 0])
    answer_as(poll, "Carol", [0, 0])
    html = bob.client.get(f"/{poll.slug}/").content.decode()
    assert "Carol" not in html and "Participant 2" in html and "Bob" in html
    assert "Carol" in Client().get(f"/{poll.slug}/admin/{token}/").content.decode()


def test_it_escapes_names_and_comments(db: None) -> None:
    poll, _ = make_poll()
    answer_as(poll, "<script>alert(1)</script>", [0, 0])
    services.add_comment(poll, "<b>x</b>", "<img src=x onerror=alert(1)>", None, "h" * 64)
    html = Client().get(f"/{poll.slug}/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<b>x</b>" not in html


def test_it_marks_times_for_the_browser_zone_script(db: None) -> None:
    poll, _ = make_poll(kind="datetime", lines="2030-05-04 09:00-10:00")
    html = Client().get(f"/{poll.slug}/").content.decode()
    assert (
        "<time datetime=2030-05-04T07:00:00Z data-end=2030-05-04T08:00:00Z data-when=span>"
        "Sat 4 May 2030, 09:00\u201310:00</time>" in html
    )
    assert 'data-tz="Europe/Berlin"' in html and "Times are in Europe/Berlin" in html
    assert "bitpoll/js/when." in html and 'id="when-config"' in html


def test_it_groups_text_options_under_headings(db: None) -> None:
    poll, _ = make_poll(kind="text", lines="Lunch/Pizza\nLunch/Sushi\nDinner/Soup")
    html = Client().get(f"/{poll.slug}/").content.decode()
    assert '<th scope="colgroup" colspan="2">Lunch' in html
    assert '<th scope="colgroup" colspan="1">Dinner' in html


def test_it_offers_no_form_when_closed(world: World) -> None:
    world.poll.close()
    html = world.dave.client.get(world.public).content.decode()
    assert 'id="answer-form"' not in html and 'id="closed-notice"' in html


def test_it_answers_404_for_an_unknown_slug(client: Client, db: None) -> None:
    assert client.get("/no-such-poll/").status_code == 404
