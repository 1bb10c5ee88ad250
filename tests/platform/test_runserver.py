"""`bitpoll runserver`, the development server, works with and without BITPOLL_DEBUG."""

from __future__ import annotations

import re
import secrets
import subprocess
from pathlib import Path

import pytest

from serverutil import BITPOLL, clean_env, free_port, get, run_bitpoll, wait_until_healthy

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("debug", ["false", "true"])
def test_it_serves_pages_and_their_styles(tmp_path: Path, debug: str) -> None:
    """Without debug, pages link hashed static names: they must exist before the first page."""
    port = free_port()
    env = clean_env(
        tmp_path / "data",
        BITPOLL_SECRET_KEY=secrets.token_urlsafe(48),
        BITPOLL_DEBUG=debug,
        BITPOLL_STATIC_ROOT=str(tmp_path / "static"),
    )
    assert run_bitpoll(["migrate", "-v0"], env).returncode == 0
    process = subprocess.Popen(
        [*BITPOLL, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_healthy(port, process)
        status, _, body = get(port, "/")
        assert status == 200
        css = re.search(rb'href="(/static/bitpoll/css/bitpoll[.0-9a-f]*\.css)"', body)
        assert css
        assert get(port, css.group(1).decode())[0] == 200
        assert get(port, "/new/")[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=60)
