"""Test configuration shared by every test module.

The environment is set before pytest-django imports the settings, so the tests exercise the
same BITPOLL_* parsing as production, with a throwaway data directory.

Database: SQLite by default. BITPOLL_TEST_BACKEND=postgresql starts a throwaway PostgreSQL
cluster (tests/pgcluster.py) before the settings are read and points BITPOLL_DATABASE_URL at
it, so the whole suite runs against a real server; without the server binaries every test is
skipped with the reason. A BITPOLL_DATABASE_URL set by the caller is used as it is.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator

import pytest

from smtpsink import SmtpSink

_BACKEND = os.environ.get("BITPOLL_TEST_BACKEND", "sqlite").strip().lower() or "sqlite"
if _BACKEND not in ("sqlite", "postgresql"):
    raise pytest.UsageError(
        f"BITPOLL_TEST_BACKEND={_BACKEND!r} is not valid: expected sqlite or postgresql"
    )
_BACKEND_UNAVAILABLE: str | None = None

_TEST_ROOT = tempfile.mkdtemp(prefix="bitpoll-tests-")
for _name in list(os.environ):
    if _name.startswith("BITPOLL_") and _name not in (
        "BITPOLL_DATABASE_URL",
        "BITPOLL_DATABASE_PASSWORD",
        "BITPOLL_TEST_BACKEND",
        "BITPOLL_PG_BIN",
    ):
        del os.environ[_name]
os.environ["BITPOLL_DATA_DIR"] = os.path.join(_TEST_ROOT, "data")
os.environ["BITPOLL_STATIC_ROOT"] = os.path.join(_TEST_ROOT, "static")
os.environ["BITPOLL_SECRET_KEY"] = secrets.token_urlsafe(48)
os.environ["DJANGO_SETTINGS_MODULE"] = "bitpoll.settings"
os.makedirs(os.environ["BITPOLL_DATA_DIR"], mode=0o700, exist_ok=True)

if _BACKEND == "postgresql" and not os.environ.get("BITPOLL_DATABASE_URL"):
    import pgcluster

    _BACKEND_UNAVAILABLE = pgcluster.unavailable_reason()
    if _BACKEND_UNAVAILABLE is None:
        # Stopped and deleted at exit (atexit, registered by start()).
        PG_CLUSTER = pgcluster.Cluster().start()
        # `bitpoll` subprocesses use this database; pytest-django creates test_bitpoll beside it.
        os.environ["BITPOLL_DATABASE_URL"] = PG_CLUSTER.create_database("bitpoll")

# Loading the settings now lets pytest-django finish setting Django up in pytest_configure.
from django.conf import settings  # noqa: E402

settings.INSTALLED_APPS  # noqa: B018


def _post_forms_urlencoded() -> None:
    """Make the test client post form data as browsers post Bitpoll's forms: urlencoded.

    Django's test client sends a dict as multipart/form-data, which Bitpoll refuses outright
    (nothing is uploaded; see bitpoll.core.bodylimit). A test that means to send another
    content type passes `content_type=` explicitly and is left alone.
    """
    from collections.abc import Mapping
    from urllib.parse import urlencode

    from django.test import Client

    urlencoded = "application/x-www-form-urlencoded"
    original = Client.post

    def post(self: Client, path: str, data: object = None, content_type: str = urlencoded, **kw):  # type: ignore[no-untyped-def]
        if content_type == urlencoded and isinstance(data, Mapping):
            data = urlencode([(k, v) for k, v in data.items() if v is not None], doseq=True)
        return original(self, path, data, content_type=content_type, **kw)

    Client.post = post  # type: ignore[method-assign]


_post_forms_urlencoded()


def pytest_report_header() -> str:
    return f"bitpoll database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if _BACKEND_UNAVAILABLE:
        skip = pytest.mark.skip(
            reason=f"BITPOLL_TEST_BACKEND=postgresql, but {_BACKEND_UNAVAILABLE}"
        )
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker: object) -> Iterator[None]:
    """Collect static files once, as `bitpoll serve` does, so templates render hashed URLs."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    yield


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on loopback (tests/smtpsink.py); its Maildir is read by the test."""
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(autouse=True)
def _reset_language() -> Iterator[None]:
    """Put the active language back after each test: a test that activates one (the
    translation tests do) must not leave later tests reading Italian."""
    from django.utils import translation

    language = translation.get_language()
    yield
    if translation.get_language() != language:
        if language is None:
            translation.deactivate_all()
        else:
            translation.activate(language)
