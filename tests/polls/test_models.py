"""Model rules shared by forms, services and the admin: slugs, zones, secrets, Markdown."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from bitpoll.polls import tokens
from bitpoll.polls.models import Choice, Poll, render_markdown, validate_slug, validate_time_zone


@pytest.mark.parametrize("slug", ["abc", "team-lunch-2030", "a" * 80, "x1y"])
def test_it_accepts_good_slugs(slug: str) -> None:
    validate_slug(slug)


@pytest.mark.parametrize(
    "slug",
    ["ab", "a" * 81, "Abc", "a_b", "-ab", "ab-", "new", "admin", "healthz", "i18n", "static"],
)
def test_it_rejects_bad_slugs(slug: str) -> None:
    with pytest.raises(ValidationError):
        validate_slug(slug)


def test_random_slugs_are_valid_and_distinct() -> None:
    slugs = {tokens.random_slug() for _ in range(200)}
    assert len(slugs) == 200
    for slug in slugs:
        validate_slug(slug)


@pytest.mark.parametrize("zone", ["", " UTC", "Mars/Base", "../etc/passwd", "x" * 65])
def test_it_rejects_bad_zones(zone: str) -> None:
    with pytest.raises(ValidationError):
        validate_time_zone(zone)


def test_it_checks_secrets_in_constant_time_against_the_hash() -> None:
    raw, hashed = tokens.new_token()
    assert len(raw) == 43 and len(hashed) == 64 and raw not in hashed
    assert tokens.check_token(raw, hashed)
    assert not tokens.check_token(raw + "x", hashed)
    assert not tokens.check_token("", hashed)
    assert not tokens.check_token("x" * 1000, hashed)


def test_it_strips_dangerous_markdown() -> None:
    html = render_markdown(
        '[x](javascript:alert(1)) <a href="http://e" onclick="x">e</a> ![i](http://t/i.png)'
    )
    assert "javascript:" not in html and "onclick" not in html and "<img" not in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_it_refuses_anonymous_answers_with_a_required_name() -> None:
    poll = Poll(slug="abc", title="x", require_name=True, allow_anonymous=True)
    with pytest.raises(ValidationError):
        poll.clean()


def test_every_colour_and_icon_has_its_own_cell_class() -> None:
    classes = {
        Choice(colour=c, icon=i).css for c in Choice.Colour.values for i in Choice.Icon.values
    }
    assert len(classes) == len(Choice.Colour.values) * len(Choice.Icon.values)
