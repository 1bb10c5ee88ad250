"""On PostgreSQL an answer's writes go out together (sql.insert_answer_pipelined): the rate
limit's count, the entry with its votes and version, and the folded votes, in one round trip
before the COMMIT. What it stores, refuses and counts is what the statement by statement path
does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory

from bitpoll.conf import Rate
from bitpoll.polls import fold, services, sql
from bitpoll.polls.models import Entry
from bitpoll.ratelimit import limits
from bitpoll.ratelimit.models import Counter

from .conftest import make_poll

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the pipeline is PostgreSQL's (BITPOLL_TEST_BACKEND=postgresql)",
    ),
]


def _answer(poll, name: str, admit=None):
    option = poll.options.first()
    choice = poll.choices.first()
    return services.add_entry(poll, name, {option.pk: services.Answer(choice.pk, "noted")}, admit)


def _admission(poll):
    request = RequestFactory().post("/x/", REMOTE_ADDR="192.0.2.66")
    return limits.admission(request, "answers", poll=poll.pk)


def test_answers_take_the_pipeline_here() -> None:
    # So that every answer test of the PostgreSQL run goes through it.
    assert sql.pipelined()


def test_a_pipelined_answer_stores_entry_votes_version_and_folded_votes() -> None:
    poll, _ = make_poll(kind="text", lines="A\nB")
    version = poll.version
    entry, token = _answer(poll, "Erin", _admission(poll))
    stored = Entry.objects.get(pk=entry.pk)
    assert stored.name == "Erin" and token
    assert [(v.option_id, v.comment) for v in stored.votes.all()] == [
        (poll.options.first().pk, "noted")
    ]
    assert stored.folded and fold.refold(entry_ids=[stored.pk]) == 0  # already as refolded
    poll.refresh_from_db()
    assert poll.version == version + 1


def test_a_passed_limit_stores_nothing_and_is_not_counted(settings) -> None:
    settings.RATELIMITS = {**settings.RATELIMITS, "answers": Rate(1, 600)}
    poll, _ = make_poll(kind="text", lines="A\nB")
    _answer(poll, "One", _admission(poll))
    with pytest.raises(limits.RateLimited):
        _answer(poll, "Two", _admission(poll))
    assert list(poll.entries.values_list("name", flat=True)) == ["One"]
    assert Counter.objects.get(scope="answers").hits == 1  # the refused one rolled back


def test_a_taken_name_is_counted_so_that_names_cannot_be_tried_past_the_limit(settings) -> None:
    settings.RATELIMITS = {**settings.RATELIMITS, "answers": Rate(2, 600)}
    poll, _ = make_poll(kind="text", lines="A\nB", one_answer_per_name=True)
    _answer(poll, "Ann", _admission(poll))
    with pytest.raises(services.NameTaken):
        _answer(poll, "Ann", _admission(poll))
    assert Counter.objects.get(scope="answers").hits == 2
    with pytest.raises(limits.RateLimited):
        _answer(poll, "Ann", _admission(poll))
    assert poll.entries.count() == 1
