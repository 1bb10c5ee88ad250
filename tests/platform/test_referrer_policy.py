"""Pages whose URL holds a secret send only the origin as Referer; the others, same-origin."""

from __future__ import annotations

import zoneinfo

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def make_poll_with_answer() -> tuple[str, str]:
    from bitpoll.polls import services
    from bitpoll.polls.options import parse_lines

    poll, admin_token = services.create_poll(
        title="Referrers",
        description="",
        kind="text",
        time_zone="UTC",
        options=parse_lines("text", "One\nTwo", zoneinfo.ZoneInfo("UTC")),
    )
    choice = poll.choices.first()
    answers = {o.pk: services.Answer(choice.pk) for o in poll.options.all()}  # type: ignore[union-attr]
    entry, token = services.add_entry(poll, "Bob", answers)
    return f"/{poll.slug}/admin/{admin_token}/", f"/{poll.slug}/entry/{entry.pk}/{token}/"


def test_secret_pages_send_only_the_origin() -> None:
    admin, edit = make_poll_with_answer()
    client = Client()
    for url in (admin, admin + "edit/", admin + "options/", edit):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Referrer-Policy"] == "strict-origin", url
    # Also when the answer is refused: a form error is rendered on the secret page.
    response = client.post(admin + "edit/", {"title": ""})
    assert response.headers["Referrer-Policy"] == "strict-origin"


def test_public_pages_keep_same_origin() -> None:
    admin, _ = make_poll_with_answer()
    slug = admin.split("/")[1]
    for url in ("/", f"/{slug}/", "/new/"):
        response = Client().get(url)
        assert response.headers["Referrer-Policy"] == "same-origin", url
