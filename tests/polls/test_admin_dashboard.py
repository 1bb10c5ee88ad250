"""The admin overview: /<slug>/admin/<secret>/."""

from __future__ import annotations

import pytest

from .conftest import World

pytestmark = pytest.mark.django_db


def test_it_shows_both_links_results_and_answers(world: World) -> None:
    response = world.alice.client.get(world.admin)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"http://testserver/{world.poll.slug}/" in html
    assert f"http://testserver{world.admin}" in html
    assert 'id="grid"' in html and 'id="entries-table"' in html
    assert f'id="entry-edit-{world.bob.entry.pk}"' in html  # type: ignore[union-attr]
    assert response["Cache-Control"].startswith("max-age=0")
    assert 'name="robots" content="noindex"' in html


def test_it_offers_close_or_reopen(world: World) -> None:
    assert b'id="close"' in world.alice.client.get(world.admin).content
    world.poll.close()
    assert b'id="reopen"' in world.alice.client.get(world.admin).content


def test_it_offers_ics_only_for_date_polls(world: World) -> None:
    assert b'id="export-ics"' in world.alice.client.get(world.admin).content
