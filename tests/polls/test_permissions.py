"""The permission matrix: every poll URL x every persona -> the expected status.

Each persona puts the secret it holds into the URL's secret slot: alice the admin secret, bob
and carol their own edit secrets, dave one he made up. Only the right secret opens a secret
page; every wrong one answers 404, exactly like a poll that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bitpoll.polls import tokens

from .conftest import Person, World

ROLES = ("alice", "bob", "carol", "dave")


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: Callable[[World, str], str]
    data: Callable[[World], dict[str, object]]
    expected: dict[str, int]


def _answer(w: World) -> dict[str, object]:
    options = list(w.poll.options.all())
    choices = list(w.poll.choices.all())
    return {"name": "Erin", f"o{options[0].pk}": choices[0].pk}


def _nothing(w: World) -> dict[str, object]:
    return {}


def _scale(w: World) -> dict[str, object]:
    data: dict[str, object] = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3"}
    for i, c in enumerate(w.poll.choices.all()):
        data.update(
            {
                f"form-{i}-id": c.pk,
                f"form-{i}-label": c.label,
                f"form-{i}-colour": c.colour,
                f"form-{i}-icon": c.icon,
                f"form-{i}-weight": str(c.weight),
            }
        )
    return data


def _edit(w: World) -> dict[str, object]:
    return {
        "title": "New title",
        "description": "",
        "time_zone": "UTC",
        "results_visibility": "always",
    }


ALL_OK = dict.fromkeys(ROLES, 200)
ALL_REDIRECT = dict.fromkeys(ROLES, 302)
ADMIN_OK = {"alice": 200, "bob": 404, "carol": 404, "dave": 404}
ADMIN_REDIRECT = {"alice": 302, "bob": 404, "carol": 404, "dave": 404}
BOB_OK = {"alice": 404, "bob": 200, "carol": 404, "dave": 404}
BOB_REDIRECT = {"alice": 404, "bob": 302, "carol": 404, "dave": 404}


def _admin(suffix: str) -> Callable[[World, str], str]:
    return lambda w, secret: f"/{w.poll.slug}/admin/{secret}/{suffix}"


def _bob_entry(suffix: str) -> Callable[[World, str], str]:
    return lambda w, secret: f"/{w.poll.slug}/entry/{w.bob.entry.pk}/{secret}/{suffix}"  # type: ignore[union-attr]


def _first_option(w: World) -> int:
    return w.poll.options.first().pk  # type: ignore[union-attr]


def _bob_comment(w: World) -> int:
    return w.poll.comments.get(author="Bob").pk


CASES = [
    Case("home", "get", lambda w, s: "/", _nothing, ALL_OK),
    Case("create form", "get", lambda w, s: "/new/", _nothing, ALL_OK),
    Case("poll page", "get", lambda w, s: w.public, _nothing, ALL_OK),
    Case("results as text", "get", lambda w, s: f"{w.public}results/", _nothing, ALL_OK),
    Case("answer", "post", lambda w, s: f"{w.public}answer/", _answer, ALL_REDIRECT),
    Case(
        "comment",
        "post",
        lambda w, s: f"{w.public}comment/",
        lambda w: {"author": "E", "text": "Hi"},
        ALL_REDIRECT,
    ),
    Case(
        "delete bob's comment",
        "post",
        lambda w, s: f"{w.public}comment/{_bob_comment(w)}/delete/",
        _nothing,
        BOB_REDIRECT,
    ),
    Case("bob's edit page", "get", _bob_entry(""), _nothing, BOB_OK),
    Case("bob's edit save", "post", _bob_entry(""), _answer, BOB_REDIRECT),
    Case("bob's delete", "post", _bob_entry("delete/"), _nothing, BOB_REDIRECT),
    Case("adopt bob's answer", "post", _bob_entry("adopt/"), _nothing, BOB_REDIRECT),
    Case("admin dashboard", "get", _admin(""), _nothing, ADMIN_OK),
    Case("admin edit form", "get", _admin("edit/"), _nothing, ADMIN_OK),
    Case("admin edit save", "post", _admin("edit/"), _edit, ADMIN_REDIRECT),
    Case("admin options", "get", _admin("options/"), _nothing, ADMIN_OK),
    Case(
        "admin add options",
        "post",
        _admin("options/"),
        lambda w: {"lines": "2030-06-01"},
        ADMIN_REDIRECT,
    ),
    Case(
        "admin remove option",
        "post",
        lambda w, s: _admin(f"options/{_first_option(w)}/remove/")(w, s),
        _nothing,
        ADMIN_REDIRECT,
    ),
    Case(
        "admin restore option",
        "post",
        lambda w, s: _admin(f"options/{_first_option(w)}/restore/")(w, s),
        _nothing,
        ADMIN_REDIRECT,
    ),
    Case(
        "admin rename option",
        "post",
        lambda w, s: _admin(f"options/{_first_option(w)}/rename/")(w, s),
        lambda w: {"line": "x"},
        ADMIN_REDIRECT,
    ),
    Case("admin scale", "get", _admin("scale/"), _nothing, ADMIN_OK),
    Case("admin scale save", "post", _admin("scale/"), _scale, ADMIN_REDIRECT),
    Case("admin close", "post", _admin("close/"), _nothing, ADMIN_REDIRECT),
    Case("admin reopen", "post", _admin("reopen/"), _nothing, ADMIN_REDIRECT),
    Case("admin delete form", "get", _admin("delete/"), _nothing, ADMIN_OK),
    Case("admin delete", "post", _admin("delete/"), lambda w: {"confirm": "on"}, ADMIN_REDIRECT),
    Case("admin copy form", "get", _admin("copy/"), _nothing, ADMIN_OK),
    Case(
        "admin copy",
        "post",
        _admin("copy/"),
        lambda w: {"title": "Again", "days": "7"},
        ADMIN_REDIRECT,
    ),
    Case("admin csv", "get", _admin("export.csv"), _nothing, ADMIN_OK),
    Case("admin ics", "get", _admin("export.ics"), _nothing, ADMIN_OK),
    Case(
        "admin edit bob's answer",
        "get",
        lambda w, s: _admin(f"entry/{w.bob.entry.pk}/")(w, s),  # type: ignore[union-attr]
        _nothing,
        ADMIN_OK,
    ),
    Case(
        "admin save bob's answer",
        "post",
        lambda w, s: _admin(f"entry/{w.bob.entry.pk}/")(w, s),  # type: ignore[union-attr]
        _answer,
        ADMIN_REDIRECT,
    ),
    Case(
        "admin delete bob's answer",
        "post",
        lambda w, s: _admin(f"entry/{w.bob.entry.pk}/delete/")(w, s),  # type: ignore[union-attr]
        _nothing,
        ADMIN_REDIRECT,
    ),
    Case(
        "admin delete bob's comment",
        "post",
        lambda w, s: _admin(f"comment/{_bob_comment(w)}/delete/")(w, s),
        _nothing,
        ADMIN_REDIRECT,
    ),
    Case(
        "admin delete ticked comments",
        "post",
        _admin("comments/delete/"),
        lambda w: {"comment": [_bob_comment(w)]},
        ADMIN_REDIRECT,
    ),
]


def _secret(world: World, role: str) -> str:
    person: Person = getattr(world, role)
    if role == "alice":
        return world.admin_token
    if person.token:
        return person.token
    return tokens.new_token()[0]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_it_answers_each_persona_as_expected(world: World, case: Case, role: str) -> None:
    person: Person = getattr(world, role)
    path = case.path(world, _secret(world, role))
    data = case.data(world)
    response = getattr(person.client, case.method)(path, data)
    assert response.status_code == case.expected[role], (case.name, role, path)


@pytest.mark.parametrize("slug", ["missing-poll", "admin-x"])
def test_it_answers_404_for_a_poll_that_does_not_exist(client: object, db: None, slug: str) -> None:
    from django.test import Client

    c = Client()
    assert c.get(f"/{slug}/").status_code == 404
    assert c.get(f"/{slug}/admin/{tokens.new_token()[0]}/").status_code == 404


def test_it_refuses_an_admin_secret_of_another_poll(world: World) -> None:
    from .conftest import make_poll

    other, other_token = make_poll()
    assert world.dave.client.get(f"/{world.poll.slug}/admin/{other_token}/").status_code == 404
    assert world.dave.client.get(f"/{other.slug}/admin/{other_token}/").status_code == 200


def test_it_refuses_an_edit_secret_of_another_entry(world: World) -> None:
    path = f"/{world.poll.slug}/entry/{world.bob.entry.pk}/{world.carol.token}/"  # type: ignore[union-attr]
    assert world.carol.client.get(path).status_code == 404
