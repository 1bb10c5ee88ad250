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


@pytest.mark.parametrize(("page", "link_id"), [("", "nav-admin"), ("edit/", "nav-edit")])
def test_it_marks_the_current_page_in_the_admin_navigation(
    world: World, page: str, link_id: str
) -> None:
    html = world.alice.client.get(world.admin + page).content.decode()
    assert html.count('aria-current="page"') == 1
    assert f'aria-current="page" id="{link_id}"' in html
