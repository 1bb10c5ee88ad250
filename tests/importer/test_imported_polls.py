"""Imported polls behave like native ones: they render, take answers, export, back up."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from bitpoll.importer.models import LegacyPoll
from bitpoll.ops.archive import write_archive
from bitpoll.ops.restore import restore_archive
from bitpoll.polls import fold
from bitpoll.polls.models import Entry, Poll

from .conftest import import_bitpoll
from .figures import check_all


def _poll(old_slug: str) -> Poll:
    return LegacyPoll.objects.select_related("poll").get(old_slug=old_slug).poll


@pytest.mark.django_db
@pytest.mark.parametrize(
    "old", ["sommerfest-essen", "wZZEzQvvVd", "vereinslogo-farbe", "workshop-dst-2026"]
)
def test_every_type_renders(sample_url: str, old: str) -> None:
    import_bitpoll(sample_url)
    poll = _poll(old)
    page = Client().get(f"/{poll.slug}/")
    assert page.status_code == 200
    assert poll.title.encode() in page.content.replace(b"&#x27;", b"'")
    assert Client().get(f"/{poll.slug}/results/").status_code == 200


@pytest.mark.django_db
def test_an_imported_poll_takes_new_answers(sample_url: str) -> None:
    import_bitpoll(sample_url)
    poll = _poll("sommerfest-essen")
    live = list(poll.options.filter(is_deleted=False))
    yes = poll.choices.get(label="yes")
    data = {"name": "Neu"} | {f"o{option.pk}": str(yes.pk) for option in live}
    response = Client().post(f"/{poll.slug}/answer/", data)
    assert response.status_code == 302
    entry = Entry.objects.get(poll=poll, name="Neu")
    assert entry.votes.count() == len(live) == 5
    assert poll.entries.count() == 6


@pytest.mark.django_db
def test_the_admin_link_exports_csv(sample_url: str) -> None:
    report = import_bitpoll(sample_url)
    admin = re.search(r"(/vereinslogo-farbe/admin/\S+/)", report)
    assert admin is not None
    response = Client().get(admin.group(1) + "export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][1:5] == ["Rot", "Grün", "Blau", "Schwarz / Weiß"]
    assert len([r for r in rows[1:] if r and r[0] not in ("Score",)]) >= 5


@pytest.mark.django_db(transaction=True)
def test_imported_polls_and_their_old_links_survive_backup_and_restore(
    sample_url: str, expected: dict[str, Any], tmp_path: Path
) -> None:
    report = import_bitpoll(sample_url)
    # Every imported answer has its votes folded for the poll page (bitpoll.polls.fold),
    # and so has every restored one (the dump leaves them out, the triggers empty them).
    assert Entry.objects.exists() and not Entry.objects.filter(folded="").exists()
    assert fold.refold() == 0
    archive = tmp_path / "backup.tar"
    write_archive(archive)
    restore_archive(archive, force=True)
    assert not Entry.objects.filter(folded="").exists()
    assert fold.refold() == 0
    check_all(expected, report)
    response = Client().get("/poll/wZZEzQvvVd/")
    assert response.status_code == 301 and response["Location"] == "/wzzezqvvvd/"
