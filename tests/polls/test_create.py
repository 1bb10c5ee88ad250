"""Creating a poll: /new/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bitpoll.polls import tokens
from bitpoll.polls.models import Poll

pytestmark = pytest.mark.django_db


def _data(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Team lunch",
        "description": "",
        "kind": "date",
        "time_zone": "Europe/Berlin",
        "options": "2030-05-04\n2030-05-05",
        "scale": "default",
        "results_visibility": "always",
        "allow_comments": "on",
    }
    data.update(overrides)
    return data


def test_it_shows_the_form(client: Client) -> None:
    response = client.get("/new/")
    assert response.status_code == 200
    assert b'id="create-form"' in response.content


def test_it_creates_a_poll_and_lands_on_the_admin_page(client: Client) -> None:
    response = client.post("/new/", _data())
    assert response.status_code == 302
    poll = Poll.objects.get()
    slug, _admin, token = response["Location"].strip("/").split("/")
    assert slug == poll.slug and len(slug) == 14
    assert tokens.check_token(token, poll.admin_token_hash)
    assert token not in poll.admin_token_hash
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'id="public-link"' in page.content and b'id="admin-link"' in page.content
    assert [o.date for o in poll.options.all()] == [dt.date(2030, 5, 4), dt.date(2030, 5, 5)]
    assert [c.label for c in poll.choices.all()] == ["Yes", "If need be", "No"]


def test_it_accepts_a_custom_slug(client: Client) -> None:
    response = client.post("/new/", _data(slug="team-lunch"))
    assert response.status_code == 302
    assert response["Location"].startswith("/team-lunch/admin/")


@pytest.mark.parametrize("slug", ["admin", "new", "static", "ab", "Team", "-x-y", "a_b", "x" * 81])
def test_it_rejects_bad_slugs(client: Client, slug: str) -> None:
    response = client.post("/new/", _data(slug=slug))
    assert response.status_code == 400
    assert Poll.objects.count() == 0


def test_it_rejects_a_taken_slug(client: Client) -> None:
    assert client.post("/new/", _data(slug="lunch")).status_code == 302
    response = client.post("/new/", _data(slug="lunch"))
    assert response.status_code == 400
    assert b"taken" in response.content


def test_it_rejects_an_unknown_time_zone(client: Client) -> None:
    response = client.post("/new/", _data(time_zone="Mars/Olympus"))
    assert response.status_code == 400
    assert b"not a known time zone" in response.content


def test_it_names_the_bad_option_line(client: Client) -> None:
    response = client.post("/new/", _data(options="2030-05-04\nnext tuesday"))
    assert response.status_code == 400
    assert "“next tuesday” is not a date".encode() in response.content


def test_it_requires_options(client: Client) -> None:
    response = client.post("/new/", _data(options="\n  \n"))
    assert response.status_code == 400


def test_it_creates_text_polls_with_groups(client: Client) -> None:
    response = client.post("/new/", _data(kind="text", options="Lunch/Pizza\nLunch/Sushi\nA\\/B"))
    assert response.status_code == 302
    options = list(Poll.objects.get().options.values_list("group", "text"))
    assert options == [("Lunch", "Pizza"), ("Lunch", "Sushi"), ("", "A/B")]


def test_it_creates_a_yes_no_scale(client: Client) -> None:
    client.post("/new/", _data(scale="yesno"))
    assert [c.label for c in Poll.objects.get().choices.all()] == ["Yes", "No"]


def test_it_stores_the_deadline_in_the_polls_zone(client: Client) -> None:
    client.post("/new/", _data(deadline="2030-05-01T18:00"))
    assert Poll.objects.get().deadline == dt.datetime(2030, 5, 1, 16, 0, tzinfo=dt.UTC)


def test_it_maps_anonymous_to_the_name_settings(client: Client) -> None:
    client.post("/new/", _data(anonymous="on"))
    poll = Poll.objects.get()
    assert poll.allow_anonymous and not poll.require_name and not poll.name_required


def test_it_renders_markdown_sanitised(client: Client) -> None:
    client.post(
        "/new/", _data(description="**bold** <script>alert(1)</script> ![x](http://evil/x.png)")
    )
    html = Poll.objects.get().description_html
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "<img" not in html


def test_it_rejects_delete_and_put(client: Client) -> None:
    assert client.delete("/new/").status_code == 405
    assert client.put("/new/").status_code == 405


def test_the_home_page_invites_to_create_a_poll(client: Client) -> None:
    html = client.get("/").content.decode()
    assert '<a class="button" id="create-poll" href="/new/">Create a poll</a>' in html


def test_it_warns_about_days_in_the_past_and_creates_once_confirmed(client: Client) -> None:
    response = client.post("/new/", _data(options="2020-01-06\n2030-05-04"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "These options are in the past: 2020-01-06." in html
    assert 'name="keep_past"' in html
    assert not Poll.objects.exists()
    response = client.post("/new/", _data(options="2020-01-06\n2030-05-04", keep_past="on"))
    assert response.status_code == 302
    assert Poll.objects.get().options.count() == 2


def test_it_warns_about_times_that_have_begun(client: Client) -> None:
    response = client.post(
        "/new/", _data(kind="datetime", options="2021-03-01 09:00\n2030-05-04 09:00")
    )
    assert response.status_code == 400
    assert "These options are in the past: 2021-03-01 09:00." in response.content.decode()


def test_it_does_not_offer_the_past_confirmation_without_need(client: Client) -> None:
    assert b'name="keep_past"' not in client.get("/new/").content


def test_it_keeps_the_calendar_month_through_a_form_error(client: Client) -> None:
    response = client.post("/new/", _data(title="", calendar_month="2031-04"))
    assert response.status_code == 400
    assert b'name="calendar_month" id="calendar-month" value="2031-04"' in response.content


def test_it_lists_a_poll_publicly_only_when_asked(client: Client) -> None:
    client.post("/new/", _data(title="Private"))
    client.post("/new/", _data(title="Public", listed_publicly="on"))
    assert dict(Poll.objects.values_list("title", "listed_publicly")) == {
        "Private": False,
        "Public": True,
    }
