"""The original Bitpoll's sample database and helpers to import it.

The sample lives outside the repository, in ../shared/upstream beside it (or the folder named
by UPSTREAM_BITPOLL_DIR): without it every test here is skipped with that reason.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

SAMPLE = "bitpoll-upstream-sample.sqlite3"


def upstream_dir() -> Path | None:
    configured = os.environ.get("UPSTREAM_BITPOLL_DIR")
    candidates = [Path(configured)] if configured else []
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared" / "upstream")
    for candidate in candidates:
        if (candidate / SAMPLE).is_file() and (candidate / "EXPECTED-sample.json").is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def upstream() -> Path:
    found = upstream_dir()
    if found is None:
        pytest.skip(
            "the original Bitpoll's sample database is not here: put it in ../shared/upstream "
            "beside the repository or name its folder in UPSTREAM_BITPOLL_DIR"
        )
    return found


@pytest.fixture(scope="session")
def expected(upstream: Path) -> dict[str, Any]:
    return json.loads((upstream / "EXPECTED-sample.json").read_text(encoding="utf-8"))


@pytest.fixture
def sample_url(upstream: Path) -> str:
    return f"sqlite:///{upstream / SAMPLE}"


@pytest.fixture
def sample_copy(upstream: Path, tmp_path: Path) -> Path:
    """A writable copy of the sample, for tests that change it."""
    copy = tmp_path / SAMPLE
    shutil.copyfile(upstream / SAMPLE, copy)
    copy.chmod(0o600)
    return copy


def import_bitpoll(url: str, *args: str) -> str:
    """Run `bitpoll import-bitpoll` in-process; return what it printed."""
    out = io.StringIO()
    call_command("import-bitpoll", url, *args, stdout=out)
    return out.getvalue()
