"""Exports: /<slug>/admin/<secret>/export.csv and export.ics."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from bitpoll.polls import services

from .conftest import World, answer_as, make_poll

pytestmark = pytest.mark.django_db


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_it_exports_results_as_csv(world: World) -> None:
    response = world.alice.client.get(world.admin + "export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(response.content)
    assert rows[0][0] == "Participant" and len(rows[0]) == 3
    assert rows[1] == ["Bob", "Yes", "If need be"]
    assert rows[2] == ["Carol", "If need be", "No"]
    assert rows[-1] == ["Score", "1.5", "0.5"]


def test_it_defuses_spreadsheet_formulas(db: None) -> None:
    poll, token = make_poll()
    answer_as(poll, "=HYPERLINK(1)", [0, 0])
    rows = _rows(Client().get(f"/{poll.slug}/admin/{token}/export.csv").content)
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_it_exports_date_options_as_all_day_events(world: World) -> None:
    response = world.alice.client.get(world.admin + "export.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20300504\r\nDTEND;VALUE=DATE:20300505" in body
    assert body.count("BEGIN:VEVENT") == 2


def test_it_exports_times_in_utc(db: None) -> None:
    poll, token = make_poll(kind="datetime", lines="2030-10-27 02:30-03:30")
    body = Client().get(f"/{poll.slug}/admin/{token}/export.ics").content.decode()
    # 02:30 happens twice in Berlin that night; the first one is CEST (UTC+2).
    assert "DTSTART:20301027T003000Z" in body


def test_it_has_no_ics_for_text_polls(db: None) -> None:
    poll, token = make_poll(kind="text", lines="A\nB")
    assert Client().get(f"/{poll.slug}/admin/{token}/export.ics").status_code == 404


def test_it_leaves_removed_options_out(world: World) -> None:
    services.set_option_deleted(world.poll.options.first(), True)  # type: ignore[arg-type]
    assert world.alice.client.get(world.admin + "export.ics").content.count(b"BEGIN:VEVENT") == 1
    assert len(_rows(world.alice.client.get(world.admin + "export.csv").content)[0]) == 2
