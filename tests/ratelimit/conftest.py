"""Clients at their own addresses and small limits, so that each limit trips in a few requests.

mallory floods from 192.0.2.66; erin is a real participant at 198.51.100.7 who must not notice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.http import HttpResponse
from django.test import Client

from bitpoll.conf import Rate

MALLORY = "192.0.2.66"
ERIN = "198.51.100.7"
SMALL = {
    "polls": Rate(3, 3600),
    "answers": Rate(3, 600),
    "answers_per_poll": Rate(50, 600),
    "comments": Rate(3, 600),
    "comments_per_poll": Rate(50, 3600),
    "logins": Rate(3, 900),
    "logins_per_user": Rate(5, 3600),
    "renders": Rate(3, 600),
}


@dataclass
class Clock:
    now: float = 1_800_000_000.0  # a window boundary for every period in SMALL

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from bitpoll.ratelimit import limits

    fixed = Clock()
    monkeypatch.setattr(limits, "clock", fixed)
    return fixed


@pytest.fixture
def small_limits(settings: object, clock: Clock) -> Iterator[dict[str, Rate]]:
    """Limits on, small, and the same clock for every request of the test."""
    settings.RATELIMIT_ENABLED = True  # type: ignore[attr-defined]
    settings.RATELIMITS = dict(SMALL)  # type: ignore[attr-defined]
    yield settings.RATELIMITS  # type: ignore[attr-defined]


@pytest.fixture
def poll_and_token(db: None) -> tuple[object, str]:
    """An open text poll with two options and comments on; its admin secret."""
    from bitpoll.polls import services
    from bitpoll.polls.options import ParsedOption

    return services.create_poll(
        title="Team lunch",
        description="",
        kind="text",
        time_zone="Europe/Berlin",
        options=[ParsedOption(text="Pizza"), ParsedOption(text="Curry")],
    )


def answer_data(poll: object, name: str) -> dict[str, str]:
    """A valid answer form: the first choice for every option."""
    choice = poll.choices.first()  # type: ignore[attr-defined]
    data = {"name": name}
    for option in poll.options.all():  # type: ignore[attr-defined]
        data[f"o{option.pk}"] = str(choice.pk)
    return data


def client_at(address: str, **extra: str) -> Client:
    return Client(REMOTE_ADDR=address, **extra)


def assert_limited(response: HttpResponse, retry_after: int | None = None) -> None:
    """The 429 page: status, Retry-After in seconds, the page itself, never cached."""
    assert response.status_code == 429, response.status_code
    assert int(response["Retry-After"]) >= 1
    if retry_after is not None:
        assert int(response["Retry-After"]) == retry_after
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert b'id="rate-limited"' in response.content
    assert b'id="retry-after"' in response.content
