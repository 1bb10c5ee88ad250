"""The `bitpoll` command: Django's command line with Bitpoll's settings preset.

Before Django starts it makes sure the data directory exists (mode 0700) and, when no secret key
is configured, generates one into it (mode 0600). Settings are imported here first so that a bad
BITPOLL_* value ends the program with one line instead of a traceback.
"""

from __future__ import annotations

import gc
import json
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from bitpoll import conf


def prepare_data_dir() -> Path:
    data_dir = conf.data_dir()
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise conf.ConfigError(
            f"cannot create the data directory {str(data_dir)!r} ({exc.strerror}): "
            "set BITPOLL_DATA_DIR to a directory this user may write"
        ) from None
    if conf.env_secret("SECRET_KEY") is None:
        ensure_secret_key(data_dir / "secret_key")
    return data_dir


def ensure_secret_key(path: Path) -> None:
    """Create the secret key file once; concurrent first starts agree on a single key."""
    if path.exists():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(64) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if another process was first: keep theirs
        except FileExistsError:
            pass
    except OSError as exc:
        raise conf.ConfigError(
            f"cannot write the secret key to {str(path)!r} ({exc.strerror}): "
            "make the data directory writable or set BITPOLL_SECRET_KEY_FILE"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def config_error_line(message: str) -> str:
    """The one line for a configuration error, as JSON when the logs are JSON.

    Logging is not set up yet (the settings failed), so this mirrors JsonFormatter's fields.
    """
    line = f"bitpoll: configuration error: {message}"
    if (os.environ.get("BITPOLL_LOG_FORMAT") or "").strip().lower() != "json":
        return line
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    entry = {"time": now, "level": "error", "logger": "bitpoll", "message": line}
    return json.dumps(entry, ensure_ascii=False)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        # Start-up creates a hundred thousand objects that live as long as the server, and the
        # cyclic garbage collector walked them again and again while they were made: a third
        # of the master's work before it forks. `bitpoll serve` turns the collector back on
        # once they are frozen (bitpoll.core.memory.freeze_heap), or before it migrates.
        gc.disable()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bitpoll.settings")
    # Everything Bitpoll writes (database, secret, backups) is private to its user.
    os.umask(0o077)
    try:
        prepare_data_dir()
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - imports the settings module, validating it
    except conf.ConfigError as exc:
        print(config_error_line(str(exc)), file=sys.stderr)
        sys.exit(2)

    from django.core.management import execute_from_command_line

    execute_from_command_line(["bitpoll", *args])


if __name__ == "__main__":
    main()
