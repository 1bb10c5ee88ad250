"""`bitpoll clearratelimits`: expired counters, or with --all every one."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from bitpoll.ratelimit import limits
from bitpoll.ratelimit.models import Counter

from .conftest import MALLORY, Clock

pytestmark = pytest.mark.django_db


def _hit(scope: str) -> None:
    limits.check(RequestFactory().get("/", REMOTE_ADDR=MALLORY), scope)  # type: ignore[arg-type]


def test_it_deletes_only_expired_counters(small_limits: object, clock: Clock) -> None:
    _hit("renders")  # a 10-minute window
    _hit("polls")  # an hour
    clock.now += 601
    out = io.StringIO()
    call_command("clearratelimits", stdout=out)
    assert out.getvalue() == "1 rate limit counters deleted.\n"
    assert list(Counter.objects.values_list("scope", flat=True)) == ["polls"]


def test_it_lifts_every_limit_with_all(small_limits: object) -> None:
    for _ in range(3):
        _hit("renders")
    with pytest.raises(limits.RateLimited):
        _hit("renders")
    call_command("clearratelimits", "--all", stdout=io.StringIO())
    assert not Counter.objects.exists()
    _hit("renders")
