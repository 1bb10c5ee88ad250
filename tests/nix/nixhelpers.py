"""Plain helpers for the Nix checks (fixtures live in conftest.py).

Named distinctly so that `import nixhelpers` never picks up another test
package's module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
NIX_DIR = REPO / "nix"
DEPLOY_DIR = REPO / "deploy" / "systemd"

# The exposure targets from issue 4.
HARDENING_TARGET = 1.2
MODULE_TARGET = 1.0

EXPOSURE_RE = re.compile(r"Overall exposure level for \S+: (\d+\.\d+)")


class NixEvalError(Exception):
    """nix-instantiate failed; the message is its stderr."""


def find_nixpkgs_lib() -> Path | None:
    """NIXPKGS_LIB, else the conventional cache checkout, else None."""
    configured = os.environ.get("NIXPKGS_LIB")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    fallback = cache / "nixpkgs.lib" / "lib"
    return fallback if fallback.is_dir() else None


def nix_eval_json(nix_instantiate: str, expr: str, **args: str) -> Any:
    """Evaluate a Nix expression strictly and return it as Python data."""
    cmd = [nix_instantiate, "--eval", "--strict", "--json", "--expr", expr]
    for name, value in args.items():
        cmd += ["--argstr", name, value]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise NixEvalError(done.stderr)
    return json.loads(done.stdout)


def ini_value(value: Any) -> str:
    # Same rendering as NixOS's unit generator: booleans as true/false,
    # numbers and strings verbatim.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_section(name: str, directives: Mapping[str, Any]) -> str:
    """One ini section; a list becomes one line per element, as in NixOS."""
    lines = [f"[{name}]"]
    for key, value in directives.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{key}={ini_value(item)}")
    return "\n".join(lines) + "\n"


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """Parse a unit file into section -> key -> list of assigned values."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"directive outside a section: {line!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def as_lines(value: Any) -> list[str]:
    """A serviceConfig value as the list of values its unit lines carry."""
    return [ini_value(v) for v in (value if isinstance(value, list) else [value])]


def words(values: Iterable[str]) -> list[str]:
    """Split assignments like `ExecPaths=/a /b` so they compare item by item."""
    return [item for value in values for item in value.split()]
