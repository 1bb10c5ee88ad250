"""The poll page's answer row in the grid (issue 12): its markup without JavaScript, the list
of problems after a refused answer, the "every option needs an answer" setting, and the row
folded away for someone who has answered."""

from __future__ import annotations

import json
import re

from django.test import Client

from bitpoll.polls.models import Entry, Poll

from .conftest import World, answer_as, make_poll
from .test_admin_edit import _data as edit_data
from .test_create import _data as create_data


def _answer(client: Client, poll: Poll, name: str, picks: dict[int, int]) -> str:
    choices = list(poll.choices.all())
    data = {"name": name, **{f"o{pk}": str(choices[i].pk) for pk, i in picks.items()}}
    response = client.post(f"/{poll.slug}/answer/", data)
    assert response.status_code in (302, 400)
    return response.content.decode()


def _answer_row(html: str) -> str:
    start = html.index('<tr class="answer-row"')
    return html[start : html.index("<tr", start + 5)]


def test_it_puts_the_answer_row_first_in_the_grid(world: World) -> None:
    html = world.dave.client.get(f"/{world.poll.slug}/").content.decode()
    row = _answer_row(html)
    tbody = html[html.index("<tbody>") :]
    assert tbody.index('<tr class="answer-row"') < tbody.index("Bob")
    # The form's controls sit in the grid, which the form encloses: no JavaScript needed.
    form = html[html.index('<form method="post" action="/') :]
    assert form.index('id="grid"') < form.index("</form>")
    assert 'name="name"' in row
    # Each radio is named "Option — Answer" by the option's label (in the comment fields,
    # where the time-zone script rewrites it), a dash and the answer in the legend.
    legend = html[html.index('id="legend"') :]
    for i, choice in enumerate(world.poll.choices.all()):
        assert f'<li id="k{i}"' in legend
        assert f"{choice.label}</li>" in legend
    for option in world.poll.options.all():
        assert f"<span id=l{option.pk}><time" in html
        for i in range(3):
            assert f'aria-labelledby="l{option.pk} dash k{i}"' in row
    assert '<span id="dash" hidden>\u2014</span>' in html
    assert "<fieldset" not in html


def test_it_names_each_radio_group_after_its_option(world: World) -> None:
    row = _answer_row(world.dave.client.get(f"/{world.poll.slug}/").content.decode())
    labels = re.findall(r"role=radiogroup aria-labelledby=l(\d+)>", row)
    assert labels == [str(o.pk) for o in world.poll.options.all()]


def test_it_lists_the_problems_at_the_top_of_the_answer_area(world: World) -> None:
    option = world.poll.options.first()
    assert option is not None
    html = _answer(Client(), world.poll, "", {option.pk: 0})
    summary = html[html.index('id="answer-errors"') :]
    summary = summary[: summary.index("</div>")]
    assert 'tabindex="-1"' in html[html.index('class="message message-error error-summary"') :]
    assert '<a href="#id_name">Your name: This field is required.</a>' in summary
    # Before the grid, and the form sends the browser straight to it.
    assert html.index('id="answer-errors"') < html.index('id="grid"')
    assert 'action="/' + world.poll.slug + '/answer/#answer-errors"' in html
    assert f"name=o{option.pk} value={world.poll.choices.first().pk} id=a{option.pk}" in html  # type: ignore[union-attr]


def test_it_requires_every_option_when_the_poll_says_so(db: None) -> None:
    poll, _ = make_poll(require_all_answers=True)
    first, second = poll.options.all()
    html = _answer(Client(), poll, "Erin", {first.pk: 0})
    assert f'<a href="#a{second.pk}">{second.label}: Pick an answer for this option.</a>' in html
    assert "Every option needs an answer." in html
    assert not Entry.objects.filter(name="Erin").exists()
    _answer(Client(), poll, "Erin", {first.pk: 0, second.pk: 2})
    assert Entry.objects.filter(name="Erin").count() == 1


def test_it_lets_options_be_skipped_by_default(db: None) -> None:
    poll, _ = make_poll()
    first = poll.options.first()
    assert first is not None
    _answer(Client(), poll, "Erin", {first.pk: 0})
    assert Entry.objects.filter(name="Erin").exists()


def test_it_sets_the_requirement_when_creating_and_editing(client: Client, db: None) -> None:
    response = client.post("/new/", create_data(require_all_answers="on"))
    assert response.status_code == 302
    poll = Poll.objects.get()
    assert poll.require_all_answers
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    response = client.post(f"/{poll.slug}/admin/{token}/edit/", edit_data())
    assert response.status_code == 302
    poll.refresh_from_db()
    assert not poll.require_all_answers


def test_it_folds_the_answer_row_for_someone_who_answered(world: World) -> None:
    def answer_area(client: Client) -> str:
        html = client.get(f"/{world.poll.slug}/").content.decode()
        return html[html.index('<div id="answer"') :][:80]

    assert "folded" not in answer_area(world.dave.client)
    assert 'class="answer folded"' in answer_area(world.bob.client)
    # Served from the shared page again: still folded for Bob only.
    assert 'class="answer folded"' in answer_area(world.bob.client)
    assert "folded" not in answer_area(Client())


def test_it_gives_the_script_each_cells_answer_name(world: World) -> None:
    html = world.dave.client.get(f"/{world.poll.slug}/").content.decode()
    match = re.search(r'data-cells="([^"]+)"', html)
    assert match is not None
    names = json.loads(match.group(1).replace("&quot;", '"'))
    assert names[""] == "no answer"
    assert sorted(v for k, v in names.items() if k) == sorted(
        c.label for c in world.poll.choices.all()
    )


def test_it_shows_no_answer_row_when_closed(world: World) -> None:
    world.poll.close()
    html = Client().get(f"/{world.poll.slug}/").content.decode()
    assert "answer-row" not in html and 'id="grid"' in html


def test_it_shows_the_answer_row_even_when_results_are_hidden(db: None) -> None:
    poll, _ = make_poll(results_visibility=Poll.Visibility.ADMIN_ONLY)
    answer_as(poll, "Bob", [0, 0])
    html = Client().get(f"/{poll.slug}/").content.decode()
    assert '<tr class="answer-row"' in html and "Bob" not in html and "<tfoot>" not in html
