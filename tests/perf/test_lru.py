"""The page cache's LRU store: bounded by size, evicts the least recently used page first."""

from bitpoll.polls.pagecache import LRUCache


def test_it_returns_what_was_stored() -> None:
    cache = LRUCache(max_bytes=100)
    cache.set("a", "x" * 10)
    assert cache.get("a") == "x" * 10
    assert cache.get("b") is None


def test_it_evicts_the_least_recently_used_entry_when_full() -> None:
    cache = LRUCache(max_bytes=30)
    cache.set("a", "a" * 10)
    cache.set("b", "b" * 10)
    cache.set("c", "c" * 10)
    assert cache.get("a") is not None  # a is now the most recently used
    cache.set("d", "d" * 10)
    assert cache.get("b") is None
    assert {k for k in "acd" if cache.get(k)} == {"a", "c", "d"}
    assert cache.size == 30


def test_it_replaces_an_entry_without_counting_it_twice() -> None:
    cache = LRUCache(max_bytes=30)
    cache.set("a", "a" * 10)
    cache.set("a", "a" * 20)
    assert cache.size == 20
    assert len(cache) == 1


def test_it_refuses_an_entry_bigger_than_the_whole_cache() -> None:
    cache = LRUCache(max_bytes=10)
    cache.set("a", "a" * 11)
    assert cache.get("a") is None
    assert cache.size == 0
