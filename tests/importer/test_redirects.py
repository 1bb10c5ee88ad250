"""The original's links of imported polls redirect permanently to the polls here."""

from __future__ import annotations

import pytest
from django.test import Client

from bitpoll.importer.models import LegacyPoll
from bitpoll.polls import services
from bitpoll.polls.models import Poll

from .conftest import import_bitpoll

pytestmark = pytest.mark.django_db

OLD = "wZZEzQvvVd"  # a random link name of the original: capitals, lower-cased here
NEW = "wzzezqvvvd"

# Every pattern of SCHEMA.md that names a poll, with the page it leads to here.
TO_POLL = [
    f"/poll/{OLD}/",
    f"/poll/{OLD}",  # the original's APPEND_SLASH redirected this one
    f"/poll/{OLD}/vote/",
    f"/poll/{OLD}/vote",
    f"/poll/{OLD}/vote/17/edit/",
    f"/poll/{OLD}/vote/17/delete/",
    f"/poll/{OLD}/vote/17/assign/",
    f"/poll/{OLD}/comment/",
    f"/poll/{OLD}/comment/3/edit/",
    f"/poll/{OLD}/comment/3/delete/",
    f"/poll/{OLD}/watch/",
    f"/poll/{OLD}/settings/",
    f"/poll/{OLD}/edit/choices/",
    f"/poll/{OLD}/edit/choices/universal/",
    f"/poll/{OLD}/edit/choices/date/",
    f"/poll/{OLD}/edit/choices/dateTime/date/",
    f"/poll/{OLD}/edit/choices/dateTime/time/",
    f"/poll/{OLD}/edit/choices/dateTime/combinations/",
    f"/poll/{OLD}/edit/choicevalues/",
    f"/poll/{OLD}/edit/choicevalues",
    f"/poll/{OLD}/edit/choicevalues/anything/after/it",
    f"/poll/{OLD}/edit/choicevalues_create",
    f"/poll/{OLD}/delete/",
    f"/poll/{OLD}/copy/",
    f"/invitations/{OLD}/",
    f"/invitations/{OLD}/send/",
]
# The original's unescaped dot matches any character, a slash too.
TO_RESULTS = [f"/poll/{OLD}.csv", f"/poll/{OLD}_csv", f"/poll/{OLD}xcsv", f"/poll/{OLD}/csv"]


@pytest.fixture
def imported() -> None:
    """What an import leaves for one poll: the poll and its original link name."""
    poll, _ = services.create_poll(
        title="Termin", description="", kind="date", time_zone="UTC", options=[], slug=NEW
    )
    LegacyPoll.objects.create(old_slug=OLD, source_id=2, poll=poll)
    owned, _ = services.create_poll(
        title="Logo", description="", kind="text", time_zone="UTC", options=[],
        slug="vereinslogo-farbe",
    )  # fmt: skip
    LegacyPoll.objects.create(old_slug="vereinslogo-farbe", source_id=4, poll=owned)


def test_the_links_of_a_real_import_redirect(sample_url: str) -> None:
    import_bitpoll(sample_url)
    for old, new in (
        ("sommerfest-essen", "sommerfest-essen"), ("wCPFzIIjrT", "wcpfziijrt"),
        ("workshop-dst-2026", "workshop-dst-2026"),
    ):  # fmt: skip
        response = Client().get(f"/poll/{old}/vote/")
        assert response.status_code == 301 and response["Location"] == f"/{new}/"
        assert Client().get(response["Location"]).status_code == 200


@pytest.mark.parametrize("path", TO_POLL)
def test_it_redirects_to_the_poll_page(imported: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 301
    assert response["Location"] == f"/{NEW}/"


@pytest.mark.parametrize("path", TO_RESULTS)
def test_the_csv_pattern_redirects_to_the_results_list(imported: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 301
    assert response["Location"] == f"/{NEW}/results/"


def test_posts_to_old_forms_redirect_too(imported: None) -> None:
    response = Client().post(f"/poll/{OLD}/vote/", {"name": "x"})
    assert response.status_code == 301 and response["Location"] == f"/{NEW}/"


def test_a_link_that_let_anyone_edit_grants_nothing_here(imported: None) -> None:
    # vereinslogo-farbe had no owner: anyone could change its settings in the original.
    response = Client().get("/poll/vereinslogo-farbe/settings/")
    assert response["Location"] == "/vereinslogo-farbe/"
    page = Client().get(response["Location"])
    assert page.status_code == 200 and b"/admin/" not in page.content


@pytest.mark.parametrize(
    "path",
    [
        "/poll/wzzezqvvvd/",  # link names are case-sensitive in the original
        "/poll/unknown-poll/",
        f"/poll/{OLD}/unknown/",
        f"/poll/{OLD}/vote/x/edit/",
        f"/poll/{OLD}.json",
    ],
)
def test_unknown_links_are_404(imported: None, path: str) -> None:
    assert Client().get(path).status_code == 404


def test_a_poll_here_named_poll_keeps_its_pages(imported: None) -> None:
    Poll.objects.create(slug="poll", title="Ours", admin_token_hash="x")
    assert Client().get("/poll/").status_code == 200
    assert Client().get("/poll/results/").status_code == 200
