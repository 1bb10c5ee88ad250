"""Know whether STATIC_ROOT holds the static files of the running code.

The stamp is written by `bitpoll collectstatic` (at build time for the Nix package, at first
start for a pip install) and compared by `bitpoll serve`, which re-collects only when the code
changed. It hashes Bitpoll's own static files plus Django's version (the admin's files only
change with Django), so it is cheap to compute at every start.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import django
from django.conf import settings

from bitpoll import __version__

STAMP_NAME = ".bitpoll-static-stamp"


def current_stamp() -> str:
    digest = hashlib.sha256(f"{__version__} django-{django.__version__}".encode())
    for static_dir in sorted(Path(__file__).resolve().parent.parent.glob("**/static")):
        for file in sorted(p for p in static_dir.rglob("*") if p.is_file()):
            digest.update(str(file.relative_to(static_dir)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def stamp_path() -> Path:
    return Path(settings.STATIC_ROOT) / STAMP_NAME


def is_current() -> bool:
    try:
        return stamp_path().read_text().strip() == current_stamp()
    except OSError:
        return False


def write() -> None:
    stamp_path().write_text(current_stamp() + "\n")
