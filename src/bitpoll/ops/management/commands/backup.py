"""`bitpoll backup`: write (or verify) a backup archive."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from bitpoll.ops import archive


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {value!r}")
    return int(value)


class Command(BaseCommand):
    help = (
        "Write the whole database into one archive file: a manifest (Bitpoll version, applied "
        "migrations, row counts, SHA-256) and a canonical, database-independent dump. The dump "
        "is read in one transaction, so it is consistent while the server keeps taking answers. "
        "The file is written atomically with mode 0600, by default into <data dir>/backups/ "
        "under a timestamped name. With --verify, check an existing archive instead, without "
        "touching the database."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            metavar="PATH",
            help="File to write, or a directory to write a timestamped archive into "
            "(default: <data dir>/backups/).",
        )
        parser.add_argument(
            "--keep",
            metavar="N",
            type=_count,
            help="After writing, delete all but the newest N timestamped archives in the "
            "directory written to (other files are never touched).",
        )
        parser.add_argument(
            "--verify",
            metavar="PATH",
            help="Check that the archive at PATH is complete and intact; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verify"]:
            if options["output"] or options["keep"]:
                raise CommandError("--verify checks an archive; it takes no --output or --keep")
            self._verify(Path(options["verify"]))
            return
        target = self._target(options["output"])
        try:
            manifest = archive.write_archive(target)
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"cannot read the database: {_first_line(exc)}") from None
        except OSError as exc:
            raise CommandError(f"cannot write {target}: {exc.strerror or exc}") from None
        self.stdout.write(
            f"Backup written to {target} ({manifest.rows} rows, "
            f"{target.stat().st_size} bytes, sha256 of the data {manifest.data_sha256[:16]}...)"
        )
        if options["keep"]:
            for old in archive.prune(target.parent, options["keep"]):
                self.stdout.write(f"Deleted old backup {old}")

    def _target(self, output: str | None) -> Path:
        if output is None:
            directory = Path(settings.DATA_DIR) / "backups"
            try:
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise CommandError(
                    f"cannot create the backup directory {directory}: {exc.strerror}; "
                    "pass --output with a writable directory"
                ) from None
            return directory / archive.archive_name(dt.datetime.now(dt.UTC))
        path = Path(output).expanduser().absolute()
        if path.is_dir():
            return path / archive.archive_name(dt.datetime.now(dt.UTC))
        if output.endswith(os.sep):
            raise CommandError(f"cannot write the backup: directory {path} does not exist")
        return path

    def _verify(self, path: Path) -> None:
        try:
            manifest = archive.verify_archive(path)
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{path}: OK, written by Bitpoll {manifest.bitpoll_version} from "
            f"{manifest.database_vendor} at {manifest.created_at}, {manifest.rows} rows "
            f"({', '.join(f'{n} {label}' for label, n in sorted(manifest.counts.items()) if n)})"
        )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
