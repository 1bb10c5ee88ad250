"""nix/package.nix against pyproject.toml, by name (issue 10).

nix/package.nix is called with nixpkgs' real lib and a stand-in Python
package set (nix/tests/eval/package.nix), so the test sees the lists exactly
as buildPythonApplication would receive them. buildPythonApplication puts
only `dependencies` on the wrapped program's path: a requirement that is
missing there (or only in `optional-dependencies`) is missing at run time.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import NIX_DIR, REPO, nix_eval_json

# PyPI name (normalized) -> nixpkgs python3Packages attribute, where the two
# differ. Everything else is expected under its normalized PyPI name
# (Markdown -> markdown, markdown-it-py -> markdown-it-py, psycopg -> psycopg).
NIXPKGS_NAME = {
    # The 5.2 LTS series; the unversioned `django` may move to the next major
    # release within a NixOS release.
    "django": "django_5",
}

# Extras of pyproject.toml that the NixOS module needs at run time.
RUNTIME_EXTRAS = ["postgres", "ldap"]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    """`psycopg[binary]>=3.1.8` -> `psycopg`."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"not a requirement: {requirement!r}"
    return _normalize(match.group(1))


def nixpkgs_name(requirement: str) -> str:
    name = _requirement_name(requirement)
    return NIXPKGS_NAME.get(name, name)


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def package(nix_instantiate: str, nixpkgs_lib: Path) -> dict[str, Any]:
    expr = f"import {NIX_DIR / 'tests' / 'eval' / 'package.nix'} {{ lib = import {nixpkgs_lib}; }}"
    return nix_eval_json(nix_instantiate, expr)


def _runtime_requirements(pyproject: dict[str, Any]) -> list[str]:
    project = pyproject["project"]
    extras = project.get("optional-dependencies", {})
    return project["dependencies"] + [req for extra in RUNTIME_EXTRAS for req in extras[extra]]


def test_the_name_mapping_handles_extras_versions_and_case() -> None:
    assert nixpkgs_name("psycopg[binary]>=3.1.8") == "psycopg"
    assert nixpkgs_name("Markdown>=3.5") == "markdown"
    assert nixpkgs_name("markdown-it-py>=3") == "markdown-it-py"
    assert nixpkgs_name("Django>=5.2,<5.3") == "django_5"
    assert nixpkgs_name("typing_extensions ; python_version < '3.12'") == "typing-extensions"


def test_every_runtime_requirement_is_a_propagated_dependency(
    package: dict[str, Any], pyproject: dict[str, Any]
) -> None:
    missing = [
        req
        for req in _runtime_requirements(pyproject)
        if nixpkgs_name(req) not in package["dependencies"]
    ]
    assert missing == [], f"not in `dependencies` of nix/package.nix: {missing}"


def test_the_postgresql_driver_is_on_the_programs_path(package: dict[str, Any]) -> None:
    # The NixOS module's PostgreSQL mode runs the wrapped `bitpoll`, which
    # only sees `dependencies`.
    assert "psycopg" in package["dependencies"]
    assert package["optionalDependencies"]["postgres"] == ["psycopg"]


def test_every_propagated_dependency_is_required_by_pyproject(
    package: dict[str, Any], pyproject: dict[str, Any]
) -> None:
    # A stray package would be something the wheel does not declare.
    declared = {nixpkgs_name(req) for req in _runtime_requirements(pyproject)}
    assert set(package["dependencies"]) <= declared


def test_the_check_phase_has_every_test_dependency(
    package: dict[str, Any], pyproject: dict[str, Any]
) -> None:
    available = set(package["dependencies"]) | set(package["nativeCheckInputs"])
    missing = [
        req for req in pyproject["dependency-groups"]["test"] if nixpkgs_name(req) not in available
    ]
    assert missing == []
    assert "pytestCheckHook" in package["nativeCheckInputs"]


def test_the_dev_shell_gets_runtime_and_test_packages(package: dict[str, Any]) -> None:
    assert set(package["dependencies"]) <= set(package["devPackages"])
    assert len(package["devPackages"]) == len(set(package["devPackages"]))


def test_the_check_phase_may_use_loopback_on_darwin(package: dict[str, Any]) -> None:
    # Server tests bind 127.0.0.1; the macOS sandbox denies that otherwise.
    assert package["darwinAllowLocalNetworking"] is True


def test_the_build_system_matches_pyproject(
    package: dict[str, Any], pyproject: dict[str, Any]
) -> None:
    required = {nixpkgs_name(req) for req in pyproject["build-system"]["requires"]}
    assert required <= set(package["buildSystem"])
