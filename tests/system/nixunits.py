"""The units nix/module.nix renders, as unit files for the Debian guest.

The module is evaluated with nixpkgs' lib and the option stubs of
nix/tests/eval (as tests/nix does); its systemd.services, sockets and timers
are written out the way NixOS writes unit files, with the stub store paths
mapped onto the guest's install: the Bitpoll package to the venv in
/opt/bitpoll, every other package (coreutils, systemd) to /usr.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
_STORE_PATH = re.compile(r"/nix/store/[0-9a-z]{32}-([^/\s\"']+)")
# Code is executable from the store on NixOS, from /usr and the venv here.
_STORE_EXEC_PATHS = "/usr /opt/bitpoll"


def unavailable_reason() -> str | None:
    if shutil.which("nix-instantiate") is None:
        return "nix-instantiate is not installed (Debian: apt-get install nix-bin)"
    lib = os.environ.get("NIXPKGS_LIB")
    if not lib:
        return "NIXPKGS_LIB is not set (the lib/ folder of nixpkgs, see tests/nix)"
    if not (Path(lib) / "modules.nix").is_file():
        return f"NIXPKGS_LIB={lib} is not nixpkgs' lib folder"
    return None


def evaluate(configuration: str) -> dict[str, Any]:
    """Evaluate the module with a NixOS configuration written in Nix."""
    lib = os.environ["NIXPKGS_LIB"]
    expr = (
        f"import {REPO / 'nix/tests/eval'} {{ lib = import {lib};"
        f" configuration = {configuration}; }}"
    )
    done = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "--expr", expr],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["failedAssertions"] == [], result["failedAssertions"]
    return result


def guest_paths(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return "/opt/bitpoll" if match.group(1).startswith("bitpoll-") else "/usr"

    return _STORE_PATH.sub(replace, text)


def _install_section(unit: dict[str, Any]) -> str:
    # NixOS links the unit into the targets' .wants directories itself;
    # [Install] lets `systemctl enable` do the same here.
    wanted = unit.get("wantedBy", [])
    return f"\n[Install]\nWantedBy={' '.join(wanted)}\n" if wanted else ""


def unit_files(evaluated: dict[str, Any]) -> dict[str, str]:
    """File name -> text of every unit the module defines, for this guest.

    The text is what nix/tests/eval/render.nix says NixOS writes (checked by tests/nix), with
    the store paths mapped onto the guest's install and an [Install] section added.
    """
    files = {}
    for name, text in evaluated["unitFiles"].items():
        stem, kind = name.rsplit(".", 1)
        unit = evaluated[{"service": "services", "socket": "sockets", "timer": "timers"}[kind]][
            stem
        ]
        text = re.sub(r"(?m)^ExecPaths=/nix/store$", f"ExecPaths={_STORE_EXEC_PATHS}", text)
        files[name] = guest_paths(text) + _install_section(unit)
    return files


def manage_script(evaluated: dict[str, Any]) -> str:
    (package,) = [p for p in evaluated["systemPackages"] if p["name"] == "bitpoll-manage"]
    # writeShellScriptBin adds the interpreter line.
    return "#!/bin/bash\n" + guest_paths(package["text"])


def switch_commands(evaluated: dict[str, Any]) -> list[str]:
    """What switch-to-configuration runs when bitpoll.service's unit file changed.

    Derived from the evaluated units' restart flags by nix/tests/eval/switch.nix (the model of
    nixpkgs' switch-to-configuration that tests/nix checks), here as shell commands.
    """
    return [shlex.join(argv) for argv in evaluated["switchOnUpgrade"]["commands"]]
