"""Every BITPOLL_* variable: good values are applied, bad values stop `bitpoll` with one line.

These run the installed command as a subprocess, exactly as an administrator would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from serverutil import clean_env, run_bitpoll

SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'hosts': s.ALLOWED_HOSTS, 'debug': s.DEBUG, 'base': s.BASE_URL, 'bind': s.BIND.gunicorn(), "
    "'workers': s.WORKERS, 'log': [s.LOG_LEVEL, s.LOG_FORMAT], 'static': str(s.STATIC_ROOT), "
    "'db': {k: str(v) for k, v in s.DATABASES['default'].items() if k in ('ENGINE', 'NAME', 'USER', 'HOST', 'PORT')}, "
    "'email': [s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL], "
    "'from': s.DEFAULT_FROM_EMAIL, 'proxy': s.SECURE_PROXY_SSL_HEADER, 'hsts': s.SECURE_HSTS_SECONDS, "
    "'secure_cookies': s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE, 'trusted': s.CSRF_TRUSTED_ORIGINS}))"
)


def show(tmp_path: Path, **env: str) -> dict[str, object]:
    result = run_bitpoll(["shell", "--no-imports", "-c", SHOW], clean_env(tmp_path / "data", **env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


GOOD = [
    (
        "BITPOLL_ALLOWED_HOSTS",
        "polls.example.org, .example.net",
        "hosts",
        ["polls.example.org", ".example.net"],
    ),
    ("BITPOLL_DEBUG", "true", "debug", True),
    ("BITPOLL_DEBUG", "0", "debug", False),
    ("BITPOLL_BASE_URL", "https://polls.example.org/", "base", "https://polls.example.org"),
    ("BITPOLL_BIND", "0.0.0.0:8080", "bind", "0.0.0.0:8080"),
    ("BITPOLL_BIND", "[::1]:9000", "bind", "[::1]:9000"),
    ("BITPOLL_BIND", "unix:/run/bitpoll/http.sock", "bind", "unix:/run/bitpoll/http.sock"),
    ("BITPOLL_WORKERS", "5", "workers", 5),
    ("BITPOLL_LOG_LEVEL", "WARNING", "log", ["warning", "text"]),
    ("BITPOLL_LOG_FORMAT", "json", "log", ["info", "json"]),
    ("BITPOLL_STATIC_ROOT", "/srv/static", "static", "/srv/static"),
    ("BITPOLL_EMAIL_FROM", "polls@example.org", "from", "polls@example.org"),
    ("BITPOLL_BEHIND_PROXY", "yes", "proxy", ["HTTP_X_FORWARDED_PROTO", "https"]),
]


@pytest.mark.parametrize(
    ("name", "value", "key", "expected"), GOOD, ids=[f"{g[0]}={g[1]}" for g in GOOD]
)
def test_it_applies_good_values(
    tmp_path: Path, name: str, value: str, key: str, expected: object
) -> None:
    assert show(tmp_path, **{name: value})[key] == expected


def test_it_has_safe_defaults(tmp_path: Path) -> None:
    # An empty variable counts as unset; this also hides the PostgreSQL run's database URL.
    shown = show(tmp_path, BITPOLL_DATABASE_URL="")
    assert shown["debug"] is False
    assert shown["hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert shown["bind"] == "127.0.0.1:8000"
    assert shown["workers"] == 2
    assert shown["static"] == str(tmp_path / "data" / "static")
    assert shown["db"]["NAME"] == str(tmp_path / "data" / "bitpoll.sqlite3")  # type: ignore[index]
    assert shown["email"][0] == "django.core.mail.backends.console.EmailBackend"  # type: ignore[index]
    assert shown["hsts"] == 0
    assert shown["proxy"] is None


def test_it_turns_on_hsts_and_secure_cookies_for_https(tmp_path: Path) -> None:
    shown = show(tmp_path, BITPOLL_BASE_URL="https://polls.example.org")
    assert shown["hsts"] >= 31536000  # type: ignore[operator]
    assert shown["secure_cookies"] is True
    assert shown["trusted"] == ["https://polls.example.org"]


def test_it_reads_sqlite_urls_relative_to_the_data_dir_or_absolute(tmp_path: Path) -> None:
    relative = show(tmp_path, BITPOLL_DATABASE_URL="sqlite:///other.sqlite3")
    assert relative["db"]["NAME"] == str(tmp_path / "data" / "other.sqlite3")  # type: ignore[index]
    absolute = show(tmp_path, BITPOLL_DATABASE_URL=f"sqlite:///{tmp_path}/abs.sqlite3")
    assert absolute["db"]["NAME"] == f"{tmp_path}/abs.sqlite3"  # type: ignore[index]


def test_it_reads_postgresql_urls(tmp_path: Path) -> None:
    tcp = show(tmp_path, BITPOLL_DATABASE_URL="postgresql://bitpoll@db.internal:5433/polls")
    assert tcp["db"] == {  # type: ignore[comparison-overlap]
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "polls",
        "USER": "bitpoll",
        "HOST": "db.internal",
        "PORT": "5433",
    }
    unix = show(tmp_path, BITPOLL_DATABASE_URL="postgresql:///bitpoll?host=/run/postgresql")
    assert unix["db"]["HOST"] == "/run/postgresql"  # type: ignore[index]
    assert unix["db"]["NAME"] == "bitpoll"  # type: ignore[index]


def test_it_reads_smtp_urls(tmp_path: Path) -> None:
    shown = show(tmp_path, BITPOLL_EMAIL_URL="smtp+starttls://mailer@mail.example.org")
    assert shown["email"] == [  # type: ignore[comparison-overlap]
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.org",
        587,
        "mailer",
        True,
        False,
    ]


BAD = [
    ("BITPOLL_ALLOWED_HOSTS", "exa mple.org", "a comma-separated list of host names"),
    ("BITPOLL_ALLOWED_HOSTS", "https://example.org", "a comma-separated list of host names"),
    ("BITPOLL_DEBUG", "maybe", "true or false"),
    ("BITPOLL_BASE_URL", "polls.example.org", "an http:// or https:// URL"),
    ("BITPOLL_BASE_URL", "ftp://polls.example.org", "an http:// or https:// URL"),
    ("BITPOLL_BASE_URL", "https://polls.example.org:99999", "a URL with a valid port"),
    ("BITPOLL_BIND", "8000", "host:port"),
    ("BITPOLL_BIND", "127.0.0.1:70000", "host:port"),
    ("BITPOLL_BIND", "unix:relative.sock", "'unix:' followed by an absolute socket path"),
    ("BITPOLL_WORKERS", "0", "a whole number from 1 to 64"),
    ("BITPOLL_WORKERS", "two", "a whole number from 1 to 64"),
    ("BITPOLL_LOG_LEVEL", "verbose", "one of debug, info, warning, error, critical"),
    ("BITPOLL_LOG_FORMAT", "xml", "one of text, json"),
    ("BITPOLL_STATIC_ROOT", "static", "an absolute path"),
    ("BITPOLL_DATA_DIR", "relative/dir", "an absolute path"),
    ("BITPOLL_DATABASE_URL", "mysql://db/bitpoll", "a sqlite:/// or postgresql:// URL"),
    ("BITPOLL_DATABASE_URL", "postgresql://db.internal:5432/", "with a database name"),
    ("BITPOLL_DATABASE_URL", "postgresql://db.internal:port/polls", "a valid port"),
    ("BITPOLL_DATABASE_URL", "sqlite://", "sqlite:///file.sqlite3"),
    ("BITPOLL_EMAIL_URL", "mail.example.org", "smtp://host:25"),
    ("BITPOLL_BEHIND_PROXY", "sometimes", "true or false"),
    ("BITPOLL_RATELIMIT_ENABLED", "sometimes", "true or false"),
    ("BITPOLL_RATELIMIT_POLLS", "20 per hour", "COUNT/PERIOD such as 20/h"),
    ("BITPOLL_RATELIMIT_COMMENTS", "0/10m", "COUNT/PERIOD such as 20/h"),
    ("BITPOLL_MAIL_SENDER", "cron", "one of serve, external"),
]


@pytest.mark.parametrize(("name", "value", "expected"), BAD, ids=[f"{b[0]}={b[1]}" for b in BAD])
def test_it_refuses_bad_values_with_one_line(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    result = run_bitpoll(["check"], clean_env(tmp_path / "data", **{name: value}))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert name in lines[0]
    assert repr(value) in lines[0]
    assert expected in lines[0]


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("BITPOLL_DATABASE_URL", "postgresql://bitpoll:hunter22@db/polls"),
        ("BITPOLL_EMAIL_URL", "smtps://mailer:hunter22@mail.example.org"),
    ],
)
def test_it_refuses_passwords_in_urls_without_echoing_them(
    tmp_path: Path, name: str, url: str
) -> None:
    result = run_bitpoll(["check"], clean_env(tmp_path / "data", **{name: url}))
    assert result.returncode != 0
    assert "hunter22" not in result.stderr
    assert "_PASSWORD_FILE" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_it_names_an_unreadable_secret_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = run_bitpoll(
        ["check"], clean_env(tmp_path / "data", BITPOLL_SECRET_KEY_FILE=str(missing))
    )
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"bitpoll: configuration error: BITPOLL_SECRET_KEY_FILE={str(missing)!r} cannot be read "
        "(No such file or directory)"
    )


def test_it_explains_an_uncreatable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_bitpoll(["check"], clean_env(blocker / "data"))
    assert result.returncode != 0
    assert "cannot create the data directory" in result.stderr
    assert "BITPOLL_DATA_DIR" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
