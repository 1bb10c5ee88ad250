"""A real OpenID provider on loopback: the npm package oidc-provider in oidc_provider.mjs.

The package is installed once, pinned, into a cache directory with npm (`ensure_installed`);
.ci/run may do the same beforehand. Without node or npm, or when the install fails, the tests
that need the provider are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest

from serverutil import free_port

PACKAGE = "oidc-provider"
VERSION = "9.13.3"
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bitpoll-tests" / f"{PACKAGE}-{VERSION}"


def ensure_installed() -> Path:
    """The node_modules directory holding the pinned package; installs it when missing."""
    if shutil.which("node") is None:
        pytest.skip("no node on PATH: the OpenID provider of the tests runs on node")
    target = cache_dir()
    modules = target / "node_modules"
    if (modules / PACKAGE / "package.json").is_file():
        return modules
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"{PACKAGE} is not installed in {target} and there is no npm to install it")
    target.mkdir(parents=True, exist_ok=True)
    (target / "package.json").write_text('{"private": true}\n')
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", f"{PACKAGE}@{VERSION}"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"npm could not install {PACKAGE}@{VERSION}: {result.stderr.strip()[-300:]}")
    return modules


class OidcProvider:
    def __init__(self, redirect_uri: str) -> None:
        self.modules = ensure_installed()
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_id = "bitpoll"
        self.client_secret = secrets.token_urlsafe(24)
        self.redirect_uri = redirect_uri
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> OidcProvider:
        self.process = subprocess.Popen(
            [
                "node",
                str(SCRIPT),
                str(self.modules),
                str(self.port),
                self.redirect_uri,
                self.client_secret,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        seen = []
        # Warnings (the package's about node versions, development keys) come first.
        for line in self.process.stdout:
            if line.strip() == "ready":
                # Keep reading, so that later output never fills the pipe and blocks node.
                threading.Thread(target=self.process.stdout.read, daemon=True).start()
                return self
            seen.append(line)
        self.stop()
        raise RuntimeError("the OpenID provider did not start: " + "".join(seen)[-2000:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def control(self, path: str) -> dict[str, object]:
        request = urllib.request.Request(self.issuer + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            result: dict[str, object] = json.load(response)
            return result
