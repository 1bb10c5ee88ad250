"""Backup archives: one gzip-compressed tar file with two members.

- `manifest.json`: format and version, the Bitpoll version and database that wrote it, the
  applied migrations per app, the row count per model and the SHA-256 and size of the data.
- `data.jsonl`: the canonical dump (see bitpoll.ops.dump).

The checksum detects damage, not tampering: it is a plain SHA-256, not keyed with the secret
key, because an archive must restore on a new host under a new key. Nothing restored is
trusted to be safe to show: restore renders stored HTML again from its source text.

Archives are written atomically: into a temporary file in the target directory (mode 0600),
flushed and fsynced, renamed over the final name, then the directory is fsynced so that the
rename itself survives a crash. A reader either sees the previous file or the complete new one.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.apps.registry import Apps
from django.db import DEFAULT_DB_ALIAS, connections

from bitpoll import __version__
from bitpoll.ops import dump

FORMAT = "bitpoll-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.jsonl"
# Archives this program names itself; --keep only ever deletes files matching this.
NAME_RE = re.compile(r"^bitpoll-backup-\d{8}T\d{6}\.\d{6}Z\.tar\.gz$")


class ArchiveError(Exception):
    """The archive cannot be written or read; the message is one line that says why."""


@dataclass(frozen=True)
class Manifest:
    bitpoll_version: str
    created_at: str
    database_vendor: str
    migrations: dict[str, list[str]]
    counts: dict[str, int]
    data_sha256: str
    data_size: int

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def migration_nodes(self) -> set[tuple[str, str]]:
        return {(app, name) for app, names in self.migrations.items() for name in names}


def archive_name(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("bitpoll-backup-%Y%m%dT%H%M%S.%fZ.tar.gz")


class _HashingWriter(io.RawIOBase):
    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.target.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tar_member(tar: tarfile.TarFile, name: str, size: int, mtime: int, content: IO[bytes]) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    tar.addfile(info, content)


def write_archive(
    path: Path, using: str = DEFAULT_DB_ALIAS, registry: Apps | None = None
) -> Manifest:
    """Dump the database into a new archive at `path`, atomically, readable only by its owner.

    `registry`: the models to dump with, when not the code's (see dump.dumped_models).
    """
    directory = path.parent
    if not directory.is_dir():
        raise ArchiveError(f"cannot write the backup: directory {str(directory)!r} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ArchiveError(
            f"cannot write the backup: directory {str(directory)!r} is not writable by this user"
        )
    now = dt.datetime.now(dt.UTC)
    # The dump is staged in an unnamed file in the same directory (never /tmp: the data is
    # private, and the target file system is the one known to have room for it).
    with tempfile.TemporaryFile(dir=directory) as staged:
        writer = _HashingWriter(staged)
        with dump.snapshot(using):
            migrations = dump.migration_state(using)
            counts = dump.write_dump(writer, using, registry)  # type: ignore[arg-type]
        manifest = Manifest(
            bitpoll_version=__version__,
            created_at=now.isoformat(),
            database_vendor=connections[using].vendor,
            migrations=migrations,
            counts=counts,
            data_sha256=writer.sha256.hexdigest(),
            data_size=writer.size,
        )
        manifest_bytes = manifest_json(manifest)
        staged.seek(0)
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".bitpoll-backup-", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                    with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                        mtime = int(now.timestamp())
                        _tar_member(
                            tar, MANIFEST, len(manifest_bytes), mtime, io.BytesIO(manifest_bytes)
                        )
                        _tar_member(tar, DATA, writer.size, mtime, staged)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    _fsync_dir(directory)
    return manifest


def manifest_json(manifest: Manifest) -> bytes:
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "bitpoll_version": manifest.bitpoll_version,
        "created_at": manifest.created_at,
        "database_vendor": manifest.database_vendor,
        "migrations": manifest.migrations,
        "counts": manifest.counts,
        "files": {DATA: {"sha256": manifest.data_sha256, "size": manifest.data_size}},
    }
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _parse_manifest(raw: bytes, path: Path) -> Manifest:
    def invalid(why: str) -> ArchiveError:
        return ArchiveError(f"{path} is not a valid Bitpoll backup: {why}")

    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise invalid("manifest.json is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise invalid("manifest.json does not describe a Bitpoll backup")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise invalid("manifest.json has no valid format_version")
    if version > FORMAT_VERSION:
        raise ArchiveError(
            f"{path} has backup format {version!r}, newer than this Bitpoll "
            f"({__version__}) reads; restore it with a newer Bitpoll"
        )
    try:
        data = doc["files"][DATA]
        migrations = doc["migrations"]
        counts = doc["counts"]
        manifest = Manifest(
            bitpoll_version=str(doc["bitpoll_version"]),
            created_at=str(doc["created_at"]),
            database_vendor=str(doc["database_vendor"]),
            migrations={str(app): [str(n) for n in names] for app, names in migrations.items()},
            counts={str(label): int(count) for label, count in counts.items()},
            data_sha256=str(data["sha256"]),
            data_size=int(data["size"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise invalid("manifest.json lacks a field or has one of the wrong type") from None
    if not re.fullmatch(r"[0-9a-f]{64}", manifest.data_sha256):
        raise invalid("manifest.json has no valid SHA-256 for data.jsonl")
    return manifest


class ArchiveReader:
    """Reads an archive: the manifest on opening, then the rows, checking size and checksum.

    Every failure becomes an ArchiveError with one line naming the file and the problem.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tar: tarfile.TarFile | None = None
        self.manifest = self._open()

    def _fail(self, exc: BaseException) -> ArchiveError:
        if isinstance(exc, ArchiveError):
            return exc
        if isinstance(exc, FileNotFoundError):
            return ArchiveError(f"no such file: {self.path}")
        if isinstance(exc, IsADirectoryError):
            return ArchiveError(f"{self.path} is a directory, not a backup archive")
        if isinstance(exc, PermissionError):
            return ArchiveError(f"cannot read {self.path}: permission denied")
        if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile):
            return ArchiveError(f"cannot read {self.path}: {exc.strerror or exc}")
        return ArchiveError(f"{self.path} is truncated or damaged ({exc}); it cannot be used")

    def _open(self) -> Manifest:
        try:
            with open(self.path, "rb") as probe:
                if probe.read(2) != b"\x1f\x8b":
                    raise ArchiveError(
                        f"{self.path} is not a Bitpoll backup: expected a .tar.gz archive "
                        "written by `bitpoll backup`"
                    )
            self._tar = tarfile.open(self.path, mode="r:gz")
            member = self._tar.next()
            if member is None or member.name != MANIFEST or not member.isfile():
                raise ArchiveError(f"{self.path} is not a Bitpoll backup: no manifest.json first")
            handle = self._tar.extractfile(member)
            assert handle is not None
            raw = handle.read()
        except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
            self.close()
            raise self._fail(exc) from None
        except ArchiveError:
            self.close()
            raise
        try:
            return _parse_manifest(raw, self.path)
        except ArchiveError:
            self.close()
            raise

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
            self._tar = None

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_compression(self) -> None:
        """Decompress the whole file: gzip's CRC and length cover bytes the tar reader skips."""
        try:
            with gzip.open(self.path, "rb") as stream:
                while stream.read(1 << 20):
                    pass
        except (OSError, EOFError, zlib.error) as exc:
            raise self._fail(exc) from None

    def rows(self) -> Iterator[dict[str, Any]]:
        """Yield the dumped rows; raise ArchiveError at the end if the data does not match."""
        assert self._tar is not None
        digest = hashlib.sha256()
        size = 0
        bad_line = 0
        try:
            member = self._tar.next()
            if member is None or member.name != DATA or not member.isfile():
                raise ArchiveError(f"{self.path} is not a Bitpoll backup: no data.jsonl")
            handle = self._tar.extractfile(member)
            assert handle is not None
            for number, line in enumerate(handle, start=1):
                digest.update(line)
                size += len(line)
                if bad_line:
                    continue  # keep hashing: a checksum mismatch explains a bad line best
                row = _parse_row(line)
                if row is None:
                    bad_line = number
                    continue
                yield row
        except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
            raise self._fail(exc) from None
        if size != self.manifest.data_size or digest.hexdigest() != self.manifest.data_sha256:
            raise ArchiveError(
                f"{self.path} failed its checksum: data.jsonl does not match the manifest "
                "(the file was modified or damaged); it cannot be used"
            )
        if bad_line:
            raise ArchiveError(
                f"{self.path} is not a valid Bitpoll backup: line {bad_line} of "
                "data.jsonl is not a dumped row"
            )


def _parse_row(line: bytes) -> dict[str, Any] | None:
    try:
        row = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if (
        not isinstance(row, dict)
        or set(row) != {"model", "pk", "fields"}
        or not isinstance(row["model"], str)
        or not isinstance(row["fields"], dict)
    ):
        return None
    return row


def verify_archive(path: Path) -> Manifest:
    """Read the whole archive and check it against its manifest; the database is not touched."""
    with ArchiveReader(path) as reader:
        reader.check_compression()
        counts: dict[str, int] = {}
        for row in reader.rows():
            counts[row["model"]] = counts.get(row["model"], 0) + 1
        expected = {label: n for label, n in reader.manifest.counts.items() if n}
        if counts != expected:
            raise ArchiveError(
                f"{path} is not consistent: the row counts in data.jsonl do not match the manifest"
            )
        return reader.manifest


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives named by `bitpoll backup`; return the deleted."""
    ours = sorted(p for p in directory.iterdir() if NAME_RE.match(p.name) and p.is_file())
    doomed = ours[:-keep] if keep else ours
    for old in doomed:
        old.unlink()
    return doomed
