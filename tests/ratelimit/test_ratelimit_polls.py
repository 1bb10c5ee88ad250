"""Poll creation (/new/ and copies) is limited per client address."""

from __future__ import annotations

import pytest

from bitpoll.polls.models import Poll

from .conftest import ERIN, MALLORY, Clock, assert_limited, client_at

pytestmark = pytest.mark.django_db

DATA = {
    "title": "Flood",
    "description": "",
    "kind": "text",
    "time_zone": "Europe/Berlin",
    "options": "A\nB",
    "scale": "default",
    "results_visibility": "always",
}


def test_it_refuses_the_fourth_poll_within_the_hour(small_limits: object) -> None:
    mallory = client_at(MALLORY)
    for _ in range(3):
        assert mallory.post("/new/", DATA).status_code == 302
    response = mallory.post("/new/", DATA)
    assert_limited(response, retry_after=3600)
    assert Poll.objects.count() == 3


def test_it_says_so_in_german(small_limits: object) -> None:
    mallory = client_at(MALLORY, HTTP_ACCEPT_LANGUAGE="de")
    for _ in range(3):
        mallory.post("/new/", DATA)
    response = mallory.post("/new/", DATA)
    assert_limited(response)
    html = response.content.decode()
    assert "Zu viele Anfragen" in html
    assert "Bitte warten Sie 60 Minuten" in html


def test_it_lets_another_client_create_meanwhile(small_limits: object) -> None:
    mallory = client_at(MALLORY)
    for _ in range(5):
        mallory.post("/new/", DATA)
    assert client_at(ERIN).post("/new/", DATA).status_code == 302
    assert Poll.objects.count() == 4


def test_it_counts_only_polls_that_were_created(small_limits: object) -> None:
    mallory = client_at(MALLORY)
    for _ in range(5):
        assert mallory.post("/new/", {**DATA, "title": ""}).status_code == 400
    assert mallory.post("/new/", DATA).status_code == 302


def test_it_counts_copies_as_new_polls(
    small_limits: object, poll_and_token: tuple[Poll, str]
) -> None:
    poll, token = poll_and_token
    mallory = client_at(MALLORY)
    copy = f"/{poll.slug}/admin/{token}/copy/"
    for _ in range(3):
        assert mallory.post(copy, {"title": "Again", "days": "7"}).status_code == 302
    assert_limited(mallory.post(copy, {"title": "Again", "days": "7"}))


def test_it_starts_counting_again_in_the_next_window(small_limits: object, clock: Clock) -> None:
    mallory = client_at(MALLORY)
    for _ in range(3):
        mallory.post("/new/", DATA)
    clock.now += 3599
    assert_limited(mallory.post("/new/", DATA), retry_after=1)
    clock.now += 1
    assert mallory.post("/new/", DATA).status_code == 302


def test_it_can_be_turned_off(small_limits: object, settings: object) -> None:
    settings.RATELIMIT_ENABLED = False  # type: ignore[attr-defined]
    mallory = client_at(MALLORY)
    for _ in range(5):
        assert mallory.post("/new/", DATA).status_code == 302


def test_one_limit_can_be_turned_off(small_limits: dict[str, object]) -> None:
    small_limits["polls"] = None
    mallory = client_at(MALLORY)
    for _ in range(5):
        assert mallory.post("/new/", DATA).status_code == 302


def test_it_logs_a_flood_of_refusals_once_a_minute(
    small_limits: object, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bitpoll.ratelimit import middleware

    monkeypatch.setattr(middleware, "_refused", {})
    mallory = client_at(MALLORY)
    with caplog.at_level("INFO", logger="bitpoll.ratelimit"):
        for _ in range(8):
            mallory.post("/new/", DATA)
    lines = [r.getMessage() for r in caplog.records if r.name == "bitpoll.ratelimit"]
    assert lines == ["rate limit polls reached: 1 request(s) refused by this worker"]
    assert not any(MALLORY in line for line in lines)
