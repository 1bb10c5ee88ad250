"""One answer per name: names compared normalised, enforced by the database, no oracle."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import re
import urllib.parse
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from bitpoll.polls import services, sql
from bitpoll.polls.models import Entry, Poll
from bitpoll.polls.names import name_key

from .conftest import answer_as, make_poll

SAME_AS_ALICE = [
    "Alice",
    "alice",
    "  ALICE ",
    "Alice\u200b",  # zero-width space
    "Al\u00adice",  # soft hyphen
    "\u2066Alice\u2069",  # directional isolates
    "\u0410lice",  # Cyrillic capital A
    "Alic\u0435",  # Cyrillic small ie
    "\u0391lice",  # Greek capital alpha
    "\uff21lice",  # full-width A
]


@pytest.mark.parametrize("name", SAME_AS_ALICE)
def test_lookalike_names_share_a_key(name: str) -> None:
    assert name_key(name) == "alice"


@pytest.mark.parametrize("name", ["Alicia", "Alice B", "Alicé", "Bob", "Алиса"])
def test_other_names_have_other_keys(name: str) -> None:
    assert name_key(name) != "alice"


def test_german_sharp_s_and_ss_agree() -> None:
    assert name_key("Strauß") == name_key("STRAUSS")


def _answer(client: Client, poll: Poll, name: str, picks: tuple[int, ...] = (0,)):
    options = list(poll.options.all())
    choices = list(poll.choices.all())
    data = {"name": name}
    for option, pick in zip(options, picks, strict=False):
        data[f"o{option.pk}"] = str(choices[pick].pk)
    return client.post(f"/{poll.slug}/answer/", data)


@pytest.mark.django_db
@pytest.mark.parametrize("name", SAME_AS_ALICE[1:])
def test_a_lookalike_of_a_taken_name_is_refused(name: str) -> None:
    poll, _ = make_poll(one_answer_per_name=True)
    assert _answer(Client(), poll, "Alice").status_code == 302
    response = _answer(Client(), poll, name)
    assert response.status_code == 400
    assert "has already answered" in response.content.decode()
    assert Entry.objects.filter(poll=poll).count() == 1


@pytest.mark.django_db
def test_a_name_of_invisible_characters_is_no_name() -> None:
    poll, _ = make_poll(one_answer_per_name=True)
    response = _answer(Client(), poll, "\u200b\u200b")
    assert response.status_code == 400
    assert not Entry.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_second_answer_under_one_name() -> None:
    """The constraint holds whatever the forms do: two inserts with one key cannot both land."""
    poll, _ = make_poll(one_answer_per_name=True)
    now = timezone.now()
    sql.insert_entry(poll.pk, "Alice", "alice", "h1", now)
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.insert_entry(poll.pk, "\u0410lice", "alice", "h2", now)
    with pytest.raises(services.NameTaken):
        services.add_entry(poll, "ALICE", {})
    assert Entry.objects.filter(poll=poll).count() == 1


@pytest.mark.django_db
def test_polls_without_the_setting_take_any_names() -> None:
    poll, _ = make_poll()
    answer_as(poll, "Alice", [0])
    answer_as(poll, "alice", [0])
    assert set(Entry.objects.values_list("name_key", flat=True)) == {""}


@pytest.mark.django_db
def test_renaming_onto_a_taken_name_is_a_form_error() -> None:
    poll, _ = make_poll(one_answer_per_name=True)
    answer_as(poll, "Alice", [0])
    bob = answer_as(poll, "Bob", [0])
    option = poll.options.first()
    choice = poll.choices.first()
    assert bob.entry is not None and option is not None and choice is not None
    response = bob.client.post(
        f"/{poll.slug}/entry/{bob.entry.pk}/{bob.token}/",
        {"name": "alice\u200b", f"o{option.pk}": str(choice.pk)},
    )
    assert response.status_code == 400 and "has already answered" in response.content.decode()
    assert Entry.objects.get(pk=bob.entry.pk).name == "Bob"


@pytest.mark.django_db
def test_turning_the_setting_on_keys_existing_answers_oldest_first(db: None) -> None:
    poll, _ = make_poll()
    first = answer_as(poll, "Alice", [0]).entry
    second = answer_as(poll, "ALICE", [0]).entry
    services.update_poll(poll, {"one_answer_per_name": True})
    assert first is not None and second is not None
    keys = dict(Entry.objects.values_list("pk", "name_key"))
    assert keys == {first.pk: "alice", second.pk: ""}
    with pytest.raises(services.NameTaken):
        services.add_entry(poll, "alice", {})
    services.update_poll(poll, {"one_answer_per_name": False})
    assert set(Entry.objects.values_list("name_key", flat=True)) == {""}


@pytest.mark.django_db
def test_an_invalid_answer_does_not_reveal_who_answered() -> None:
    """Hidden names, admin-only results: a broken form says the same for a taken name as for a new one."""
    poll, _ = make_poll(
        one_answer_per_name=True, hide_participant_names=True, results_visibility="admin_only"
    )
    answer_as(poll, "Alice", [0])

    def errors(name: str) -> list[str]:
        response = _answer(Client(), poll, name, picks=())
        assert response.status_code == 400
        page = response.content.decode()
        return sorted(re.findall(r'<ul class="error(?:s|list)"[^>]*>(.*?)</ul>', page, re.S))

    shown = errors("Alice")
    assert shown and "has already answered" not in "".join(shown)
    assert shown == errors("Zed")


def _post(port: int, path: str, body: dict[str, str], cookie: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            path,
            urllib.parse.urlencode(body),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "Origin": f"http://127.0.0.1:{port}",
                "Referer": f"http://127.0.0.1:{port}/",
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.slow
def test_parallel_answers_under_one_name_store_exactly_one(tmp_path: Path) -> None:
    """Real server, four workers, rounds of parallel POSTs under one name: one answer per round.

    Before the constraint, identical names stored two answers in most runs of ten rounds.
    """
    from serverutil import run_bitpoll, serving

    # All posts come from one address: the answer limit is not what this checks.
    with serving(
        tmp_path / "data",
        {
            "BITPOLL_ALLOWED_HOSTS": "127.0.0.1",
            "BITPOLL_WORKERS": "4",
            "BITPOLL_RATELIMIT_ENABLED": "false",
        },
    ) as server:
        port = server.port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/new/")
        response = connection.getresponse()
        page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        cookie_header = response.getheader("Set-Cookie") or ""
        csrf = re.search(r"csrftoken=([^;]+)", cookie_header)
        assert token and csrf
        cookie = f"csrftoken={csrf.group(1)}"
        form = {"csrfmiddlewaretoken": token.group(1)}
        rounds, parallel = 15, 8
        slugs = []
        for i in range(rounds):
            create = {**form, "title": f"Race {i}", "kind": "text", "time_zone": "UTC",
                      "options": "A\nB", "scale": "default", "results_visibility": "always",
                      "one_answer_per_name": "on"}  # fmt: skip
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request(
                "POST", "/new/", urllib.parse.urlencode(create),
                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                 "Origin": f"http://127.0.0.1:{port}"},
            )  # fmt: skip
            created = connection.getresponse()
            assert created.status == 302, created.read()[:500]
            slugs.append(created.getheader("Location", "").split("/")[1])
        code = (
            "import json; from bitpoll.polls.models import Poll; print(json.dumps({p.slug: "
            "[list(p.options.values_list('pk', flat=True)), p.choices.first().pk] "
            "for p in Poll.objects.all()}))"
        )
        shown = run_bitpoll(["shell", "--no-imports", "-c", code], server.env)
        ids = json.loads(shown.stdout.strip().splitlines()[-1])
        with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
            for round_number, slug in enumerate(slugs):
                option_ids, choice = ids[slug]
                # The first rounds race one spelling; the others lookalikes of it.
                names = (
                    ["Alice"]
                    if round_number < 10
                    else ["Alice", "alice", "Alice\u200b", "\u0410lice", "ALICE ", "Al\u00adice"]
                )
                futures = [
                    pool.submit(
                        _post,
                        port,
                        f"/{slug}/answer/",
                        {**form, "name": names[n % len(names)], f"o{option_ids[0]}": str(choice)},
                        cookie,
                    )
                    for n in range(parallel)
                ]
                statuses = sorted(f.result() for f in futures)
                assert statuses.count(302) == 1, statuses
                assert all(s in (302, 400) for s in statuses), statuses
        count = "from bitpoll.polls.models import Entry; print(Entry.objects.count())"
        counted = run_bitpoll(["shell", "--no-imports", "-c", count], server.env)
        assert counted.stdout.strip().splitlines()[-1] == str(rounds)
