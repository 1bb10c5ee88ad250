"""What `bitpoll serve` prepares before it forks covers a real poll page's first render.

pagecache.warm_up renders polls/poll.html for an empty poll; bitpoll.polls.warmup compiles the
rest (the answer form's and the comments' templates, the form widgets' templates) in the
default language only: other languages' catalogs and URL maps are loaded by their first
visitor (issue 16: cold start). Here the template caches are emptied, the two
warm-ups run as serve runs them, and then a visitor's first view of real polls (text and
dates, with answers and a comment) must not compile a single template: otherwise each worker
would compile it again for its first visitor and hold its own copy.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterator
from unittest import mock

import pytest
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.template.base import Template
from django.test import Client
from django.utils import translation

from bitpoll.polls import pagecache, services, warmup
from bitpoll.polls.models import Choice, Poll, _default_labels, _source_labels
from bitpoll.polls.options import parse_lines

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def empty_template_caches() -> None:
    for engine in (engines["django"].engine, get_default_renderer().engine.engine):  # type: ignore[attr-defined]
        for loader in engine.template_loaders:
            loader.reset()


@pytest.fixture
def compiled() -> Iterator[list[str]]:
    """The names of the templates compiled while the fixture is active."""
    names: list[str] = []
    original = Template.__init__

    def counting(
        self: Template,
        template_string: object,
        origin: object = None,
        *args: object,
        **kwargs: object,
    ) -> None:
        original(self, template_string, origin, *args, **kwargs)  # type: ignore[arg-type]
        names.append(str(getattr(self.origin, "template_name", None)))

    with mock.patch.object(Template, "__init__", counting):
        yield names


def make_poll(kind: str, lines: str) -> Poll:
    poll, _ = services.create_poll(
        title="Team lunch",
        description="Where do we go?",
        kind=kind,
        time_zone="Europe/Berlin",
        options=parse_lines(kind, lines, BERLIN),
    )
    yes = poll.choices.order_by("order").first()
    assert yes is not None
    answers = {o.pk: services.Answer(yes.pk) for o in poll.options.filter(is_deleted=False)}
    services.add_entry(poll, "Bob", answers)
    services.add_comment(poll, "Carol", "Sushi please!", None, "0" * 64)
    return poll


def test_a_real_poll_page_compiles_nothing_after_the_warm_ups(compiled: list[str]) -> None:
    polls = [make_poll("text", "Pizza\nSushi"), make_poll("date", "2031-05-02\n2031-05-03")]
    empty_template_caches()
    _default_labels.cache_clear()
    _source_labels.cache_clear()
    pagecache.warm_up()
    warmup.warm_up_poll_page()
    assert "polls/_answer.html" in compiled  # compiled by the warm-ups, not before
    assert "django/forms/widgets/input.html" in compiled
    assert _source_labels.cache_info().currsize == 1
    assert _default_labels.cache_info().currsize == 0  # other languages' catalogs: not yet
    compiled.clear()
    for poll in polls:
        for language in ("en", "de", "it"):
            response = Client(headers={"accept-language": language}).get(f"/{poll.slug}/")
            assert response.status_code == 200
            assert b"Sushi please!" in response.content
    assert compiled == []


def test_without_the_second_warm_up_the_first_visitor_compiles_the_form(
    compiled: list[str],
) -> None:
    """The test above can fail: pagecache.warm_up alone leaves the answer form to the visitor."""
    poll = make_poll("text", "Pizza\nSushi")
    empty_template_caches()
    pagecache.warm_up()
    compiled.clear()
    assert Client().get(f"/{poll.slug}/").status_code == 200
    assert "polls/_answer.html" in compiled
    assert "django/forms/widgets/input.html" in compiled


def test_a_failing_warm_up_is_logged_and_left_to_the_first_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with mock.patch.object(warmup, "compile_tree", side_effect=RuntimeError("boom")):
        with caplog.at_level(logging.WARNING, logger="bitpoll.serve"):
            warmup.warm_up_poll_page()
    assert "Could not prepare the poll page" in caplog.text


def test_labels_in_english_need_no_other_catalog_and_others_are_still_shown() -> None:
    """Choice.shown_label answers an English label without reading every language's catalog
    (the first page in the default language loads none of them), and a label written in
    another language is still shown in the visitor's."""
    _default_labels.cache_clear()
    with translation.override("en"):
        assert Choice(label="If need be").shown_label == "If need be"
    assert _default_labels.cache_info().currsize == 0
    with translation.override("de"):
        assert Choice(label="If need be").shown_label == "Wenn nötig"
    assert _default_labels.cache_info().currsize == 0
    with translation.override("en"):
        assert Choice(label="Wenn nötig").shown_label == "If need be"
        assert Choice(label="Se necessario").shown_label == "If need be"
    assert _default_labels.cache_info().currsize == 1
    with translation.override("it"):
        assert Choice(label="Wenn nötig").shown_label == "Se necessario"
        assert Choice(label="Ja").shown_label == "Sì"
        # A label of the poll's own (which may be a default one in any language) as written.
        assert Choice(label="My own").shown_label == "My own"
