"""poll_path() and entry_path(): what reverse() gives, without reversing on every request."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix
from hypothesis import given
from hypothesis import strategies as st

from bitpoll.polls.models import entry_path, poll_path

SLUGS = ["team-lunch", "a", "Ünïcödé", "with space", "x_y~z", "100%", "a;b,c=d"]
TOKEN_CHARS = st.characters(blacklist_characters="/", blacklist_categories=("Cs",))


@pytest.mark.parametrize("slug", SLUGS)
def test_the_poll_path_is_reverses(slug: str) -> None:
    assert poll_path(slug) == reverse("polls:poll", args=[slug])
    assert poll_path(slug) == reverse("polls:poll", args=[slug])  # remembered: the same


@given(
    slug=st.sampled_from(SLUGS),
    entry_id=st.integers(1, 10**18 - 1),
    token=st.text(TOKEN_CHARS, min_size=1),
)
def test_the_entry_path_is_reverses(slug: str, entry_id: int, token: str) -> None:
    assert entry_path(slug, entry_id, token) == reverse("polls:entry", args=[slug, entry_id, token])


def test_a_token_reverse_refuses_is_refused() -> None:
    for token in ("", "a/b"):
        with pytest.raises(NoReverseMatch):
            entry_path("team-lunch", 1, token)


def test_each_script_prefix_has_its_own_paths() -> None:
    plain = poll_path("team-lunch")
    try:
        set_script_prefix("/polls/")
        assert (
            poll_path("team-lunch")
            == "/polls/team-lunch/"
            == reverse("polls:poll", args=["team-lunch"])
        )
        assert entry_path("team-lunch", 7, "tok") == "/polls/team-lunch/entry/7/tok/"
    finally:
        set_script_prefix("/")
    assert poll_path("team-lunch") == plain == "/team-lunch/"
