"""Test configuration shared by every test module.

The environment is set before pytest-django imports the settings, so the tests exercise the
same BITPOLL_* parsing as production, with a throwaway data directory.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator

import pytest

_TEST_ROOT = tempfile.mkdtemp(prefix="bitpoll-tests-")
for _name in list(os.environ):
    if _name.startswith("BITPOLL_") and _name not in (
        "BITPOLL_DATABASE_URL",
        "BITPOLL_DATABASE_PASSWORD",
    ):
        del os.environ[_name]
os.environ["BITPOLL_DATA_DIR"] = os.path.join(_TEST_ROOT, "data")
os.environ["BITPOLL_STATIC_ROOT"] = os.path.join(_TEST_ROOT, "static")
os.environ["BITPOLL_SECRET_KEY"] = secrets.token_urlsafe(48)
os.environ["DJANGO_SETTINGS_MODULE"] = "bitpoll.settings"
os.makedirs(os.environ["BITPOLL_DATA_DIR"], mode=0o700, exist_ok=True)

# Loading the settings now lets pytest-django finish setting Django up in pytest_configure.
from django.conf import settings  # noqa: E402

settings.INSTALLED_APPS  # noqa: B018


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker: object) -> Iterator[None]:
    """Collect static files once, as `bitpoll serve` does, so templates render hashed URLs."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    yield
