"""Reading and rewriting backup archives in tests, the way a damaged or edited file looks."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def members(path: Path) -> tuple[dict[str, Any], bytes]:
    """The manifest (parsed) and the data (bytes) of an archive."""
    with tarfile.open(path, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        data = tar.extractfile("data.jsonl").read()  # type: ignore[union-attr]
    return manifest, data


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in members(path)[1].splitlines()]


def repack(
    source: Path,
    target: Path,
    edit_manifest: Callable[[dict[str, Any]], None] | None = None,
    edit_data: Callable[[bytes], bytes] | None = None,
    fix_checksum: bool = False,
) -> Path:
    """Write `target` from `source` with edits; with fix_checksum the manifest matches the data."""
    manifest, data = members(source)
    if edit_data:
        data = edit_data(data)
    if fix_checksum:
        manifest["files"]["data.jsonl"] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
    if edit_manifest:
        edit_manifest(manifest)
    raw = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, content in (("manifest.json", raw), ("data.jsonl", data)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return target


def truncate(source: Path, target: Path) -> Path:
    raw = source.read_bytes()
    target.write_bytes(raw[: len(raw) * 2 // 3])
    return target


def flip_byte(source: Path, target: Path) -> Path:
    """Damage one byte in the middle of the compressed stream (a bad disk sector)."""
    raw = bytearray(source.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    return target
