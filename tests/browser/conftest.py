"""Playwright against a real `bitpoll serve` process, driving Debian's chromium.

Skipped with the reason when the playwright package or a chromium binary is missing. The
server lives for the whole session; the browser only for one module, because Playwright's
sync API runs an event loop in this thread and Django refuses database access while one
is running, which would break the non-browser tests that run afterwards.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from serverutil import Server, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

# The test modules skip themselves with pytest.importorskip when playwright is missing.

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def find_chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if find_chromium() is None:
        skip = pytest.mark.skip(reason="no chromium binary (/usr/bin/chromium or on PATH)")
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    data_dir.mkdir(mode=0o700)
    # One server (one client address) for every browser test: the per-client limits meant
    # for strangers would refuse the session's 21st poll. The limits have tests of their own.
    generous = {
        f"BITPOLL_RATELIMIT_{scope}": "100000/h" for scope in ("POLLS", "ANSWERS", "RENDERS")
    }
    with serving(data_dir, extra_env=generous) as running:
        yield running


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no chromium binary (/usr/bin/chromium or on PATH)")
    from playwright.sync_api import sync_playwright

    # launch() gives chromium a fresh temporary profile of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


NewContext = Callable[..., "BrowserContext"]


@pytest.fixture
def new_context(browser: Browser, base_url: str) -> Iterator[NewContext]:
    """Separate contexts are separate people: no shared cookies or storage."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        settings: dict[str, Any] = {
            "base_url": base_url,
            "locale": "en-US",
            "timezone_id": "Europe/Berlin",
            "viewport": DESKTOP,
            **options,
        }
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
