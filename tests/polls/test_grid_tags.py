"""The grid's template tags (bitpoll.polls.templatetags.grid) write byte for byte what the
template loops they replace wrote, on every kind of page that shows the grid."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client, override_settings
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import conditional_escape
from hypothesis import given
from hypothesis import strategies as st

from bitpoll.polls import pagecache
from bitpoll.polls.templatetags import grid

from .conftest import answer_as, make_poll

pytestmark = pytest.mark.django_db

# The loops as the templates had them before the tags.
LOOPS = {
    "grid_head": (
        '{% load i18n %}{% if groups %}<tr class="groups"><td class="grid-zone">{% if poll.kind == '
        '"datetime" %}{{ poll.time_zone }}{% endif %}{% for g in groups %}<th scope="colgroup" '
        'colspan="{{ g.span }}">{{ g.label }}{% endfor %}\n{% endif %}<tr><th scope="col">'
        '{% translate "Participant" %}{% for cell, col in columns %}<th scope="col" '
        'id="h{{ cell.option.pk }}"{% if col.best and show_results %} class="best"{% endif %}'
        '{% if show_results %} data-score="{{ col.score }}"{% endif %}>{% if cell.iso %}'
        '<time datetime="{{ cell.iso }}"{% if cell.iso_end %} data-end="{{ cell.iso_end }}"'
        "{% endif %}>{{ cell.label }}</time>{% else %}{{ cell.label }}{% endif %}"
        '{% if col.best and show_results %} <span class="star" aria-hidden="true">★</span>'
        '<span class="visually-hidden">{% translate "(best)" %}</span>{% endif %}{% endfor %}'
    ),
    "grid_foot": (
        '{% load i18n %}{% for choice, nums in counts %}<tr><th scope="row"><span class="ico '
        'k{{ choice.colour }} i{{ choice.icon }}" aria-hidden="true"></span>{{ choice.label }}'
        '{% for n in nums %}<td>{{ n }}{% endfor %}\n{% endfor %}<tr class="score">'
        '<th scope="row">{% translate "Score" %}{% for cell, col in columns %}'
        '<td{% if col.best %} class="best"{% endif %}>{{ col.score|floatformat:"-1" }}'
        "{% endfor %}"
    ),
    "answer_cells": (
        '{% for option, field, comment in option_rows %}{% with value=field.value|stringformat:"s" '
        '%}<td class="pick{% if field.errors %} field-invalid{% endif %}"><div class=picks '
        "role=radiogroup aria-labelledby=l{{ option.pk }}>{% for choice in choices %}<label "
        "class=k{{ choice.colour }}><input type=radio name={{ field.html_name }} "
        "value={{ choice.pk }}{% if forloop.first and form.errors %} id=a{{ option.pk }}"
        '{% endif %} aria-labelledby="l{{ option.pk }} dash k{{ forloop.counter0 }}"'
        '{% if value == choice.pk|stringformat:"s" %} checked{% endif %}><i '
        "class=i{{ choice.icon }}></i></label>{% endfor %}</div>{% endwith %}{% endfor %}"
    ),
    "answer_notes": (
        "{% for option, field, comment in option_rows %}<p{% if comment.errors %} "
        'class="field-invalid"{% endif %}><label><span id=l{{ option.pk }}>{% include '
        '"polls/_option_label.html" %}</span> <input type=text name={{ comment.html_name }}'
        "{% if comment.errors %} id={{ comment.auto_id }}{% endif %}{% if comment.value %} "
        'value="{{ comment.value }}"{% endif %}></label>{% if comment.errors %}<span '
        'class="errors">{% for e in comment.errors %} {{ e }}{% endfor %}</span>{% endif %}</p>\n'
        "{% endfor %}"
    ),
}


def compare(context: dict[str, Any], tags: list[str]) -> None:
    for tag in tags:
        old = Template(LOOPS[tag]).render(Context(context))
        new = Template("{% load grid %}{% " + tag + " %}").render(Context(context))
        assert new == old, tag
        assert old.strip() or (tag == "answer_notes" and not context.get("option_rows")), tag


def captured(client: Client, url: str, data: dict[str, str] | None = None) -> dict[str, Any]:
    pagecache.pages.clear()
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code in (200, 400), response.status_code
    flat: dict[str, Any] = {}
    for layer in response.context:
        flat.update(layer.flatten())
    return flat


ALL = ["grid_head", "grid_foot", "answer_cells", "answer_notes"]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(
    ("kind", "lines"),
    [
        ("date", "2030-05-04\n2030-05-05\n2030-06-01"),
        ("datetime", "2030-05-04 09:00-10:00\n2030-05-04 14:00\n2030-05-05 09:00"),
        ("text", "[Food] Pizza <b>\n[Food] Sushi & more\nAnything"),
    ],
)
def test_the_poll_page(kind: str, lines: str, language: str) -> None:
    poll, _admin = make_poll(kind, lines)
    bob = answer_as(poll, "Bob", [0, 1, 0])
    answer_as(poll, "Carol <i>", [1, 0, 2])
    with translation.override(language):
        context = captured(Client(HTTP_ACCEPT_LANGUAGE=language), f"/{poll.slug}/")
        compare(context, ALL)
        # The participant's page, and the edit page (a grid without results).
        compare(captured(bob.client, f"/{poll.slug}/"), ALL)
        edit = f"/{poll.slug}/entry/{bob.entry.pk}/{bob.token}/"  # type: ignore[union-attr]
        compare(captured(bob.client, edit), ["grid_head", "answer_cells", "answer_notes"])


def test_an_answer_with_errors_comes_back_filled_in() -> None:
    poll, _admin = make_poll("text", "Pizza\nSushi\nPasta", require_all_answers=True)
    answer_as(poll, "Bob", [0, 1, 0])
    options = list(poll.options.all())
    choices = list(poll.choices.all())
    data = {
        "name": "Dora",
        f"o{options[0].pk}": str(choices[1].pk),
        f"c{options[1].pk}": 'late "ish" <b>',
        f"c{options[2].pk}": "x" * 300,  # too long: a field error
    }
    context = captured(Client(), f"/{poll.slug}/answer/", data)
    assert context["form"].errors
    compare(context, ALL)


@pytest.mark.parametrize("grouping", [False, True])
@pytest.mark.parametrize("language", ["en", "de"])
@given(
    value=st.integers()
    | st.booleans()
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
)
def test_grid_values_are_written_as_localize_writes_them(
    value: object, grouping: bool, language: str
) -> None:
    # The grid's ints skip localize() when no thousands separator is asked for; whatever
    # the value and the settings, they read as localize() and escaping make them.
    with override_settings(USE_THOUSAND_SEPARATOR=grouping), translation.override(language):
        expected = str(conditional_escape(localize(value)))
        assert grid._Out()(value) == expected
