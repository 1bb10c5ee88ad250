"""The real-systemd tests: one throwaway QEMU guest for the whole session.

The guest is Debian 13 (systemd 257 with the BPF framework, a kernel with
the BPF LSM), booted from a cached image (vmimage.py, built with mmdebstrap
on the first run) under KVM when it really works, else TCG. The project is
shared read-only over 9p at /mnt/project and a wheel freshly built from it
at /mnt/wheel; the wheel is installed into /opt/bitpoll (whose dependencies
the image already has). Every test module installs its set of units and
removes them, with all state, when it is done.

Skips, with the reason, when QEMU is missing, or when the image is not
cached and cannot be built here (no mmdebstrap, not root).
SYSTEM_TESTS_ACCEL=kvm|tcg overrides the choice of accelerator. For
development, SYSTEM_TESTS_ATTACH=<dir> uses a guest already running with its
agent socket at <dir>/qga.sock and this project at /mnt/project, and the
wheel directory <dir>/wheel shared at /mnt/wheel, and leaves it running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import vmimage
from guestops import PROJECT
from vmguest import VM, qemu_binary

REPO = vmimage.REPO
SYSTEM_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SYSTEM_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.system)


def _skip_reason() -> str | None:
    if qemu_binary() is None or shutil.which("qemu-img") is None:
        return "QEMU is not installed (Debian: apt-get install qemu-system-x86 qemu-utils)"
    if vmimage.cached() is None:
        return vmimage.cannot_build_reason()
    return None


def _build_wheel(target: Path) -> Path:
    # Built from a copy: pip builds a local project in its tree (build/, *.egg-info), and CI
    # installs the project while these tests start.
    with tempfile.TemporaryDirectory(prefix="bitpoll-src-") as tmp:
        source = Path(tmp) / "src"
        shutil.copytree(
            REPO,
            source,
            ignore=shutil.ignore_patterns(
                ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "node_modules"
            ),
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "-w",
                str(target),
                str(source),
            ],
            check=True,
        )
    (wheel,) = target.glob("bitpoll-*.whl")
    return wheel


def _prepare(vm: VM) -> None:
    # An address and a route, so that a refused connection to another host
    # is the sandbox's doing (QEMU's restrict=on drops it anyway).
    vm.check(
        "nic=$(ls /sys/class/net | grep -v '^lo$' | head -n1)"
        " && ip link set $nic up && ip addr replace 10.0.2.15/24 dev $nic"
        " && ip route replace default via 10.0.2.2"
    )
    # The service user (the NixOS module declares the same one), a file the
    # sandbox must not see in /tmp, and a directory the user owns outside
    # the state directory, which the sandbox must not write.
    vm.check(
        f"install -D -m 0644 {PROJECT}/deploy/systemd/bitpoll.sysusers"
        " /etc/sysusers.d/bitpoll.conf && systemd-sysusers"
        " && touch /tmp/bitpoll-host-marker"
        " && install -d -o bitpoll -g bitpoll -m 0700 /srv/bitpoll-owned"
    )


@pytest.fixture(scope="session")
def guest() -> Iterator[VM]:
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    image = vmimage.build()
    attach = os.environ.get("SYSTEM_TESTS_ATTACH")
    workdir = Path(attach) if attach else Path(tempfile.mkdtemp(prefix="bitpoll-vm-"))
    wheels = workdir / "wheel"
    wheel = _build_wheel(wheels)
    vm = VM(image, workdir, {"project": REPO, "wheel": wheels})
    if attach:
        vm.attach()
        vm.check(f"/opt/bitpoll/bin/pip install -q --no-deps /mnt/wheel/{wheel.name}")
        _prepare(vm)
        yield vm
        vm.stop()
        return
    try:
        vm.start()
        vm.check(
            f"/opt/bitpoll/bin/pip install --quiet --no-deps --no-index /mnt/wheel/{wheel.name}"
        )
        _prepare(vm)
        yield vm
    except BaseException:
        sys.stderr.write(f"guest console (last lines):\n{vm.console_tail()}\n")
        raise
    finally:
        vm.stop()
        shutil.rmtree(workdir, ignore_errors=True)
