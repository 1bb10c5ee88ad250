"""Chores that make mail, run by `bitpoll send-mail` (see bitpoll.polls.lifecycle)."""

from __future__ import annotations


def run() -> dict[str, int]:
    from bitpoll.polls import lifecycle

    return lifecycle.run_chores()
