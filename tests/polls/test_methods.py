"""Each URL answers only its methods; anything else is 405, before any secret is checked."""

from __future__ import annotations

import pytest

from .conftest import World

GET_ONLY = ["{public}", "{public}results/", "{admin}", "{admin}export.csv", "{admin}export.ics"]
GET_OR_POST = [
    "/new/",
    "{entry}",
    "{admin}edit/",
    "{admin}options/",
    "{admin}scale/",
    "{admin}delete/",
    "{admin}copy/",
    "{admin}entry/{bob_id}/",
]
POST_ONLY = [
    "{public}answer/",
    "{public}comment/",
    "{public}comment/{comment_id}/delete/",
    "{entry}delete/",
    "{entry}adopt/",
    "{admin}close/",
    "{admin}reopen/",
    "{admin}options/{option_id}/remove/",
    "{admin}options/{option_id}/restore/",
    "{admin}options/{option_id}/rename/",
    "{admin}entry/{bob_id}/delete/",
    "{admin}comment/{comment_id}/delete/",
]


def _fill(world: World, template: str) -> str:
    return template.format(
        public=world.public,
        admin=world.admin,
        entry=world.edit_link(world.bob),
        bob_id=world.bob.entry.pk,  # type: ignore[union-attr]
        comment_id=world.poll.comments.first().pk,  # type: ignore[union-attr]
        option_id=world.poll.options.first().pk,  # type: ignore[union-attr]
    )


@pytest.mark.parametrize("template", GET_ONLY)
def test_it_refuses_post_on_read_only_pages(world: World, template: str) -> None:
    assert world.bob.client.post(_fill(world, template)).status_code == 405


@pytest.mark.parametrize("template", POST_ONLY)
def test_it_refuses_get_on_actions(world: World, template: str) -> None:
    assert world.bob.client.get(_fill(world, template)).status_code == 405


@pytest.mark.parametrize("template", GET_ONLY + GET_OR_POST + POST_ONLY)
@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_it_refuses_other_methods(world: World, template: str, method: str) -> None:
    response = getattr(world.bob.client, method)(_fill(world, template))
    assert response.status_code == 405


def test_it_allows_head_on_pages(world: World) -> None:
    assert world.dave.client.head(world.public).status_code == 200
