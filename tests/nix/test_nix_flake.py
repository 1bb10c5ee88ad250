"""flake.nix and flake.lock: the outputs of the design, and an honest pin (issue 4).

The flake's `outputs` function is called with nixpkgs' real lib and stand-in
package sets (nix/tests/eval/flake-outputs.nix), so its shape is checked
without fetching nixpkgs; the VM test scripts are compiled as Python.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import NIX_DIR, REPO, nix_eval_json

LINUX = ["aarch64-linux", "x86_64-linux"]
ALL_SYSTEMS = ["aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux"]
FAKE_PACKAGE = "/nix/store/00000000000000000000000000000000-bitpoll-0.1.0"


@pytest.fixture(scope="module")
def flake(nix_instantiate: str, nixpkgs_lib: Path) -> dict[str, Any]:
    expr = (
        f"builtins.removeAttrs (import {NIX_DIR / 'tests' / 'eval' / 'flake-outputs.nix'}"
        f' {{ lib = import {nixpkgs_lib}; }}) [ "module" ]'
    )
    return nix_eval_json(nix_instantiate, expr)


def test_it_has_the_outputs_of_the_design(flake: dict[str, Any]) -> None:
    assert flake["outputNames"] == [
        "apps",
        "checks",
        "devShells",
        "formatter",
        "nixosModules",
        "overlays",
        "packages",
    ]
    assert flake["nixosModules"] == ["bitpoll", "default"]
    assert flake["overlays"] == ["default"]


def test_packages_apps_shells_and_formatter_cover_linux_and_darwin(flake: dict[str, Any]) -> None:
    assert flake["packages"] == {system: ["bitpoll", "default"] for system in ALL_SYSTEMS}
    assert flake["apps"] == {system: f"{FAKE_PACKAGE}/bin/bitpoll" for system in ALL_SYSTEMS}
    assert flake["devShellSystems"] == ALL_SYSTEMS
    assert flake["formatterSystems"] == ALL_SYSTEMS


def test_checks_run_the_vm_tests_on_linux_only(flake: dict[str, Any]) -> None:
    for system in LINUX:
        assert flake["checks"][system] == ["package", "vm-ldap", "vm-postgresql", "vm-sqlite"]
        assert flake["packageTests"][system] == ["vm-ldap", "vm-postgresql", "vm-sqlite"]
    for system in set(ALL_SYSTEMS) - set(LINUX):
        assert flake["checks"][system] == ["package"]
        assert flake["packageTests"][system] == []


def test_the_vm_tests_use_the_flakes_module(flake: dict[str, Any]) -> None:
    assert flake["vmTests"]["vm-sqlite"]["name"] == "bitpoll-sqlite"
    assert flake["vmTests"]["vm-postgresql"]["name"] == "bitpoll-postgresql"
    assert flake["vmTests"]["vm-ldap"]["name"] == "bitpoll-ldap"
    for test in flake["vmTests"].values():
        assert test["importedModules"] == ["/nix/module.nix"]


def test_the_flakes_module_defaults_to_the_flakes_package(
    nix_instantiate: str, nixpkgs_lib: Path
) -> None:
    # The evaluation's pkgs has no bitpoll, like nixpkgs: only the flake's
    # wrapper can supply the package, and flake users set nothing.
    outputs = f"(import {NIX_DIR / 'tests' / 'eval' / 'flake-outputs.nix'} {{ lib = import {nixpkgs_lib}; }})"
    expr = (
        f"(import {NIX_DIR / 'tests' / 'eval'} {{ lib = import {nixpkgs_lib};"
        f" module = {outputs}.module; withPackage = false;"
        " configuration = { services.bitpoll.enable = true; }; }).services.bitpoll.serviceConfig.ExecStart"
    )
    assert nix_eval_json(nix_instantiate, expr) == f"{FAKE_PACKAGE}/bin/bitpoll serve --no-migrate"


def test_the_lock_pins_the_flakes_nixpkgs_input(flake: dict[str, Any]) -> None:
    lock = json.loads((REPO / "flake.lock").read_text())
    assert lock["version"] == 7
    root = lock["nodes"][lock["root"]]
    assert set(root["inputs"]) == {"nixpkgs"}
    node = lock["nodes"][root["inputs"]["nixpkgs"]]
    locked, original = node["locked"], node["original"]
    assert re.fullmatch(r"[0-9a-f]{40}", locked["rev"])
    assert re.fullmatch(r"sha256-[A-Za-z0-9+/]{43}=", locked["narHash"])
    assert isinstance(locked["lastModified"], int) and locked["lastModified"] > 1_600_000_000
    assert (locked["type"], locked["owner"], locked["repo"]) == ("github", "NixOS", "nixpkgs")
    # Nix refuses (or silently re-locks) a lock whose original differs from
    # the input URL, so the two must agree.
    url = f"github:{original['owner']}/{original['repo']}/{original['ref']}"
    assert url == flake["inputUrl"]
    assert re.fullmatch(r"nixos-\d\d\.(05|11)", original["ref"]), "a released NixOS branch"


VM_TESTS = ["sqlite", "postgresql"]


@pytest.mark.parametrize("name", VM_TESTS)
def test_the_vm_test_script_is_valid_python(name: str) -> None:
    # What runNixOSTest runs: the shared helpers followed by the test.
    source = (NIX_DIR / "tests" / "bitpoll_http.py").read_text()
    source += (NIX_DIR / "tests" / f"{name}.py").read_text()
    compile(source, f"nix/tests/{name}.py", "exec")


@pytest.mark.parametrize("name", VM_TESTS)
def test_the_vm_test_checks_the_exposure_target_and_the_admin_wrapper(name: str) -> None:
    script = (NIX_DIR / "tests" / f"{name}.py").read_text()
    assert "systemd-analyze security --no-pager --threshold=10 bitpoll.service" in script
    assert "bitpoll-manage" in script
    assert "create_poll(" in script and "answer_poll(" in script


def test_the_form_helper_submits_what_a_browser_would() -> None:
    namespace: dict[str, Callable[..., Any]] = {}
    exec((NIX_DIR / "tests" / "bitpoll_http.py").read_text(), namespace)  # noqa: S102
    page = """
      <form method="get" action="/search"><input name="q"></form>
      <form method="post" action="/p/answer/">
        <input type="hidden" name="csrfmiddlewaretoken" value="t0k">
        <input name="name" value="">
        <input type="radio" name="o1" value="3"><input type="radio" name="o1" value="4">
        <input type="checkbox" name="notify" value="yes" checked>
        <input type="checkbox" name="skip" value="yes">
        <select name="scale"><option value="a">A</option><option value="b" selected>B</option></select>
        <textarea name="text">hello</textarea>
        <button type="submit">Save</button>
      </form>"""
    form = namespace["form_with"](page, "name")
    assert form["action"] == "/p/answer/"
    assert form["fields"] == {
        "csrfmiddlewaretoken": "t0k",
        "name": "",
        "notify": "yes",
        "scale": "b",
        "text": "hello",
    }
    assert form["radios"] == {"o1": ["3", "4"]}
    hashed = namespace["hashed_static_path"]('<link href="/static/css/site.0123456789ab.css">')
    assert hashed == "/static/css/site.0123456789ab.css"


def test_the_sqlite_vm_test_switches_configurations_under_load() -> None:
    # The real switch-to-configuration, on a NixOS VM: the check that the
    # unit flags do what docs/nixos.md says.
    nix = (NIX_DIR / "tests" / "sqlite.nix").read_text()
    script = (NIX_DIR / "tests" / "sqlite.py").read_text()
    assert "specialisation.upgraded.configuration" in nix
    assert "/run/booted-system/specialisation/upgraded" in script
    assert "switch-to-configuration test" in script
    assert 'machine.fail("test -s /tmp/load-failed")' in script
