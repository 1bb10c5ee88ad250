"""Model rules shared by forms, services and the admin: slugs, zones, secrets, Markdown."""

from __future__ import annotations

import re

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
    # Raw HTML and the javascript: link stay visible as text, never as markup.
    tags = re.findall(r"<[a-z][^>]*>", html)
    assert not [t for t in tags if "javascript:" in t or "onclick" in t or t.startswith("<img")]
    assert "&lt;a href=" in html
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


PATHOLOGICAL = ["[`" * 2499, "[" * 5000, "![" * 2500, "*_" * 2500, "[a](" * 1250, ">" * 5000]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: repr(t[:4]))
def test_it_renders_pathological_markdown_as_text(text: str) -> None:
    """The shapes that stalled Python-Markdown come back as escaped text (their speed: bench/markdown.py)."""
    html = render_markdown(text)
    tags = {t.strip("/") for t in re.findall(r"</?([a-z0-9]+)", html)}
    assert html.strip() and tags <= {"p", "em", "strong", "code", "blockquote"}


def test_it_renders_commonmark_and_escapes_raw_html() -> None:
    html = render_markdown(
        "# Title\n\n*em* **strong** `code`\n\n- one\n- two\n\n<b onclick=x>raw</b> [l](https://e.org)"
    )
    assert (
        "<em>em</em>" in html and "<strong>strong</strong>" in html and "<code>code</code>" in html
    )
    assert "<li>one</li>" in html
    assert "&lt;b onclick=x&gt;raw&lt;/b&gt;" in html
    assert '<a href="https://e.org" rel="noopener noreferrer nofollow">l</a>' in html


@pytest.mark.django_db
def test_it_renders_the_description_only_when_it_changes() -> None:
    """Closing, reopening and other saves keep the stored rendering; a new text replaces it."""
    from .conftest import make_poll

    poll, _token = make_poll()
    marker = "<p>rendered earlier</p>"
    Poll.objects.filter(pk=poll.pk).update(description_html=marker)
    poll = Poll.objects.get(pk=poll.pk)
    poll.close()
    poll.reopen()
    poll.title = "New title"
    poll.save()
    assert Poll.objects.get(pk=poll.pk).description_html == marker
    poll.description = "*new*"
    poll.save()
    assert Poll.objects.get(pk=poll.pk).description_html.strip() == "<p><em>new</em></p>"


def test_random_slugs_carry_at_least_72_bits() -> None:
    import math

    assert tokens.SLUG_LENGTH * math.log2(len(set(tokens.SLUG_ALPHABET))) >= 72
    for _ in range(50):
        slug = tokens.random_slug()
        assert len(slug) == tokens.SLUG_LENGTH and set(slug) <= set(tokens.SLUG_ALPHABET)
        validate_slug(slug)
    # Every character of the alphabet turns up: nothing folds two characters into one.
    seen = set("".join(tokens.random_slug() for _ in range(400)))
    assert seen == set(tokens.SLUG_ALPHABET)
