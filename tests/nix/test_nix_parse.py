"""Every Nix file in the repository parses (issue 4: CI parses every .nix file)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from nixhelpers import REPO

_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "result", ".direnv"}


def _nix_files() -> list[Path]:
    found = []
    for directory, subdirs, files in os.walk(REPO):
        # Prune in place so that virtual environments are never walked.
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS)
        found += [Path(directory, f) for f in sorted(files) if f.endswith(".nix")]
    return found


NIX_FILES = _nix_files()


def test_it_finds_the_flake_and_the_module() -> None:
    names = {p.relative_to(REPO).as_posix() for p in NIX_FILES}
    assert {"flake.nix", "nix/package.nix", "nix/module.nix", "nix/hardening.nix"} <= names


@pytest.mark.parametrize("path", NIX_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_it_parses(nix_instantiate: str, path: Path) -> None:
    done = subprocess.run(
        [nix_instantiate, "--parse", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
