"""The cached Debian 13 disk image the system tests boot (built by image/build.sh).

The image is keyed on a hash of build.sh (which names the Debian packages)
and of the Python requirements preinstalled into its /opt/bitpoll venv, and
lives under ${XDG_CACHE_HOME:-~/.cache}/bitpoll/vm/<key>/. A run with an
unchanged key reuses it; the tests themselves boot a copy-on-write overlay,
so the image stays as built.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = Path(__file__).resolve().parent / "image" / "build.sh"
GUEST_PYTHON = "3.13"
# Platforms whose wheels run on Debian 13's glibc and Python 3.13.
_PLATFORMS = ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "any"]


@dataclass(frozen=True)
class Image:
    disk: Path
    kernel: Path
    initrd: Path


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return project


def requirements() -> list[str]:
    """Bitpoll's runtime dependencies, with the PostgreSQL driver."""
    project = _project()
    return [*project["dependencies"], *project["optional-dependencies"]["postgres"]]


def ldap_requirements() -> list[str]:
    """The `ldap` extra: fetched without its python-ldap, which has no wheels.

    The image links Debian's python3-ldap into the venv instead (image/build.sh).
    """
    return list(_project()["optional-dependencies"]["ldap"])


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bitpoll" / "vm"


def cache_key() -> str:
    digest = hashlib.sha256()
    digest.update(BUILD_SCRIPT.read_bytes())
    digest.update("\n".join(requirements() + ldap_requirements()).encode())
    digest.update(GUEST_PYTHON.encode())
    return digest.hexdigest()[:16]


def cached() -> Image | None:
    directory = cache_root() / cache_key()
    image = Image(directory / "disk.img", directory / "vmlinuz", directory / "initrd.img")
    return image if all(p.is_file() for p in (image.disk, image.kernel, image.initrd)) else None


def cannot_build_reason() -> str | None:
    if os.geteuid() != 0:
        return "building the VM image needs root (mmdebstrap root mode, mkfs.ext4 -d)"
    for tool, package in (("mmdebstrap", "mmdebstrap"), ("mkfs.ext4", "e2fsprogs")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install {package})"
    return None


def _download_wheels(target: Path) -> None:
    reqs = requirements()
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(target)]
    cmd += ["--only-binary=:all:", "--python-version", GUEST_PYTHON, "--implementation", "cp"]
    for platform in _PLATFORMS:
        cmd += ["--platform", platform]
    subprocess.run([*cmd, *reqs], check=True)
    subprocess.run([*cmd, "--no-deps", *ldap_requirements()], check=True)
    lines = [*reqs, *ldap_requirements()]
    (target / "requirements.txt").write_text("\n".join(lines) + "\n")


def build() -> Image:
    """The cached image, built first when missing (one builder at a time)."""
    directory = cache_root() / cache_key()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        image = cached()
        if image is not None:
            return image
        wheels = directory / "wheels"
        shutil.rmtree(wheels, ignore_errors=True)
        wheels.mkdir()
        _download_wheels(wheels)
        subprocess.run([str(BUILD_SCRIPT), str(directory), str(wheels)], check=True)
        shutil.rmtree(wheels)
        image = cached()
        assert image is not None, f"{BUILD_SCRIPT} did not produce an image in {directory}"
        return image


if __name__ == "__main__":
    print(build())
