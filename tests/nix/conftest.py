"""Fixtures for the checks of the Nix parts (flake, module, hardening).

None of these tests touch Django's database. They need tools that are not
Python packages: `nix-instantiate` (Debian's nix-bin), `systemd-analyze`, and a
checkout of nixpkgs' `lib` folder (nix-community/nixpkgs.lib) found through
NIXPKGS_LIB. A test skips, giving the reason, when what it needs is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import EXPOSURE_RE, NIX_DIR, find_nixpkgs_lib, nix_eval_json

_DEBIAN_PACKAGE = {"nix-instantiate": "nix-bin", "systemd-analyze": "systemd"}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install {_DEBIAN_PACKAGE[name]})")
    return path


@pytest.fixture(scope="session")
def nix_instantiate() -> str:
    return _tool("nix-instantiate")


@pytest.fixture(scope="session")
def systemd_analyze() -> str:
    path = _tool("systemd-analyze")
    probe = subprocess.run(
        [path, "security", "--help"], capture_output=True, text=True, check=False
    )
    if "--offline" not in probe.stdout:
        pytest.skip("this systemd-analyze has no `security --offline` (needs systemd 250+)")
    return path


@pytest.fixture(scope="session")
def nixpkgs_lib() -> Path:
    lib = find_nixpkgs_lib()
    if lib is None:
        pytest.skip(
            "no nixpkgs lib: set NIXPKGS_LIB to the lib/ folder of a "
            "nix-community/nixpkgs.lib checkout (or put one at "
            "${XDG_CACHE_HOME:-$HOME/.cache}/nixpkgs.lib/lib)"
        )
    if not (lib / "default.nix").is_file() or not (lib / "modules.nix").is_file():
        pytest.fail(f"NIXPKGS_LIB={lib} is not nixpkgs' lib folder (no default.nix, modules.nix)")
    return lib


@pytest.fixture(scope="session")
def hardening(nix_instantiate: str) -> dict[str, Any]:
    return nix_eval_json(nix_instantiate, f"import {NIX_DIR / 'hardening.nix'}")


@dataclass
class Exposure:
    score: float
    output: str
    # Lines where systemd says it ignored a directive of the scored file.
    warnings: list[str]


@pytest.fixture(scope="session")
def exposure_of(
    systemd_analyze: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Exposure]:
    """Score a unit file's text with `systemd-analyze security --offline=true`."""

    def score(unit_text: str, unit_name: str = "bitpoll.service") -> Exposure:
        directory = tmp_path_factory.mktemp("units")
        path = directory / unit_name
        path.write_text(unit_text)
        done = subprocess.run(
            [systemd_analyze, "security", "--offline=true", "--no-pager", str(path)],
            capture_output=True,
            text=True,
            check=False,
            cwd=directory,
        )
        match = EXPOSURE_RE.search(done.stdout)
        assert match, f"no overall exposure in the output:\n{done.stdout}\n{done.stderr}"
        # systemd skips a directive it cannot parse with only a warning, so a
        # typo would silently weaken the sandbox and still score.
        warnings = [line for line in done.stderr.splitlines() if str(path) in line]
        return Exposure(float(match.group(1)), done.stdout, warnings)

    return score
