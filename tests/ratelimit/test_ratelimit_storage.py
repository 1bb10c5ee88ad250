"""The counters: one row per subject and window, no addresses stored, expired rows pruned,
and the limits parsed strictly from BITPOLL_RATELIMIT_* variables."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from bitpoll import conf
from bitpoll.ratelimit import limits
from bitpoll.ratelimit.models import Counter

from .conftest import MALLORY, Clock

pytestmark = pytest.mark.django_db


def _request(address: str = MALLORY) -> object:
    return RequestFactory().get("/", REMOTE_ADDR=address)


def test_it_keeps_one_counter_per_subject_and_window(small_limits: object) -> None:
    request = _request()
    limits.check(request, "comments", poll=7)  # type: ignore[arg-type]
    limits.check(request, "comments", poll=7)  # type: ignore[arg-type]
    counters = {c.scope: c for c in Counter.objects.all()}
    assert set(counters) == {"comments", "comments_per_poll"}
    assert [c.hits for c in counters.values()] == [2, 2]
    assert counters["comments"].bucket == 1_800_000_000
    assert counters["comments"].expires == 1_800_000_600


def test_it_stores_no_address(small_limits: object) -> None:
    limits.check(_request(), "renders")  # type: ignore[arg-type]
    counter = Counter.objects.get()
    assert MALLORY not in counter.subject and len(counter.subject) == 32


def test_it_prunes_expired_counters(
    small_limits: object, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits.check(_request(), "renders")  # type: ignore[arg-type]
    clock.now += 601
    monkeypatch.setattr(limits, "_hits", limits.PRUNE_EVERY * 10)  # the next hit prunes
    limits.check(_request("203.0.113.9"), "answers")  # type: ignore[arg-type]
    assert list(Counter.objects.values_list("scope", flat=True)) == ["answers"]


def test_it_writes_nothing_when_turned_off(small_limits: object, settings: object) -> None:
    settings.RATELIMIT_ENABLED = False  # type: ignore[attr-defined]
    limits.check(_request(), "renders")  # type: ignore[arg-type]
    assert not Counter.objects.exists()


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("", "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_it_identifies_clients_by_address(address: str, client: str) -> None:
    assert limits.client_id(_request(address)) == client  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "rate"),
    [
        ("20/h", conf.Rate(20, 3600)),
        ("60/10m", conf.Rate(60, 600)),
        ("5/30s", conf.Rate(5, 30)),
        ("1000000/1d", conf.Rate(1_000_000, 86400)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_it_parses_rates(value: str, rate: conf.Rate | None) -> None:
    assert conf.parse_rate("RATELIMIT_POLLS", value) == rate


@pytest.mark.parametrize(
    "value", ["20", "20/", "/h", "0/h", "20/0m", "20/2d", "20/hour", "20 / h", "-1/h", "1e3/h"]
)
def test_it_rejects_malformed_rates_in_one_line(value: str) -> None:
    with pytest.raises(conf.ConfigError) as error:
        conf.parse_rate("RATELIMIT_POLLS", value)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"BITPOLL_RATELIMIT_POLLS={value!r} is not valid: expected")
