"""A throwaway QEMU guest driven through the QEMU guest agent.

The guest boots the cached image (image.py) directly from its kernel and
initrd, writes to a qcow2 overlay of its own, reads the project (and the
freshly built wheel) over 9p read-only and has no network: its only NIC is
QEMU's user-mode network with `restrict=on`, which lets nothing out and
only forwards the ports given in `forwards` from the host's 127.0.0.1.
Commands run through the guest agent's `guest-exec`.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from vmimage import Image

BOOT_TIMEOUT = float(__import__("os").environ.get("SYSTEM_TESTS_BOOT_TIMEOUT", "300"))
_KVM_GET_API_VERSION = 0xAE00
_KVM_PROBE_SECONDS = 15


@dataclass
class Result:
    command: str
    exitcode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exitcode == 0

    def __str__(self) -> str:
        return (
            f"$ {self.command}\n(exit {self.exitcode})\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


class GuestError(Exception):
    pass


def qemu_binary() -> str | None:
    return shutil.which("qemu-system-x86_64")


def kvm_usable(kernel: Path) -> bool:
    """Whether KVM really runs a guest here; SYSTEM_TESTS_ACCEL=kvm|tcg decides outright.

    An openable /dev/kvm is not enough: a nested, paravirtual one may accept
    the guest and never run it. So the kernel is booted once under KVM
    without a root file system; a working KVM reaches the kernel's panic
    (and QEMU exits, -no-reboot) within a second or two.
    """
    forced = os.environ.get("SYSTEM_TESTS_ACCEL", "").strip().lower()
    if forced in ("kvm", "tcg"):
        return forced == "kvm"
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if fcntl.ioctl(fd, _KVM_GET_API_VERSION) != 12:
            return False
    except OSError:
        return False
    finally:
        os.close(fd)
    qemu = qemu_binary()
    assert qemu is not None
    probe = [qemu, "-nodefaults", "-no-reboot", "-display", "none", "-accel", "kvm"]
    probe += ["-m", "256", "-kernel", str(kernel), "-serial", "none"]
    probe += ["-append", "panic=-1 root=/dev/nonexistent"]
    try:
        subprocess.run(probe, capture_output=True, timeout=_KVM_PROBE_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return False
    return True


class Agent:
    """The guest agent's JSON protocol over QEMU's unix socket."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _connect(self) -> socket.socket:
        if self.sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(self.path))
            self.sock = sock
        return self.sock

    def _send(self, message: dict[str, object], timeout: float = 60) -> None:
        # _read leaves the socket with whatever was left of its last deadline (possibly a few
        # milliseconds): a write to a guest that is still booting must get its own.
        sock = self._connect()
        sock.settimeout(timeout)
        sock.sendall(json.dumps(message).encode() + b"\n")

    def _read(self, timeout: float) -> dict[str, object] | None:
        sock = self._connect()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                raise GuestError("the guest agent closed its socket")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        line = line.strip(b"\xff \r")
        return json.loads(line) if line else {}

    def sync(self, timeout: float) -> bool:
        """guest-sync: true once the agent answers; drops stale replies."""
        token = secrets.randbelow(2**31)
        try:
            self._send({"execute": "guest-sync", "arguments": {"id": token}}, timeout)
        except TimeoutError:
            return False
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            reply = self._read(left)
            if reply is None:
                return False
            if reply.get("return") == token:
                return True
        return False

    def call(self, command: str, timeout: float = 60, **arguments: object) -> object:
        self._send({"execute": command, "arguments": arguments})
        reply = self._read(timeout)
        if reply is None:
            raise GuestError(f"no answer from the guest agent to {command}")
        if "error" in reply:
            raise GuestError(f"{command}: {reply['error']}")
        return reply["return"]

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class VM:
    def __init__(self, image: Image, workdir: Path, shares: dict[str, Path]) -> None:
        self.image = image
        self.workdir = workdir
        self.shares = shares
        self.console = workdir / "console.log"
        self.agent = Agent(workdir / "qga.sock")
        self.process: subprocess.Popen[bytes] | None = None
        self.accel = "kvm" if kvm_usable(image.kernel) else "tcg"

    def command_line(self) -> list[str]:
        overlay = self.workdir / "overlay.qcow2"
        qemu = qemu_binary()
        assert qemu is not None
        cmd = [qemu, "-nodefaults", "-no-reboot", "-display", "none", "-m", "2048", "-smp", "2"]
        cmd += ["-accel", self.accel]
        if self.accel == "kvm":
            cmd += ["-cpu", "host"]
        cmd += ["-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd)]
        cmd += ["-append", "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=0"]
        cmd += ["-drive", f"file={overlay},if=virtio,format=qcow2,cache=unsafe"]
        cmd += ["-serial", f"file:{self.console}"]
        cmd += ["-device", "virtio-rng-pci"]
        cmd += ["-device", "virtio-serial"]
        cmd += ["-chardev", f"socket,path={self.agent.path},server=on,wait=off,id=qga0"]
        cmd += ["-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"]
        # No route anywhere: restrict=on isolates the guest from host and world.
        cmd += ["-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0"]
        for tag, path in self.shares.items():
            cmd += [
                "-virtfs",
                f"local,path={path},mount_tag={tag},security_model=none,readonly=on",
            ]
        return cmd

    def start(self) -> None:
        overlay = self.workdir / "overlay.qcow2"
        subprocess.run(
            [
                "qemu-img",
                "create",
                "-q",
                "-f",
                "qcow2",
                "-F",
                "raw",
                "-b",
                str(self.image.disk),
                str(overlay),
            ],
            check=True,
        )
        self.process = subprocess.Popen(
            self.command_line(),
            stdin=subprocess.DEVNULL,
            stdout=open(self.workdir / "qemu.log", "wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + BOOT_TIMEOUT
        while not self.agent.path.exists():
            self._check_alive()
            if time.monotonic() > deadline:
                raise GuestError("QEMU never created the guest agent socket")
            time.sleep(0.1)
        while not self.agent.sync(timeout=2):
            self._check_alive()
            if time.monotonic() > deadline:
                raise GuestError(f"the guest agent never answered:\n{self.console_tail()}")
        for tag in self.shares:
            self._mount(tag, max(deadline, time.monotonic() + 60))

    def _mount(self, tag: str, deadline: float) -> None:
        """Mount a 9p share. udev loads 9pnet_virtio and binds its devices while the guest
        boots, which on a slow (TCG) guest can come after the agent answers: until then the
        mount fails ("no channels available for device"), so it is tried again until
        `deadline`."""
        command = f"mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 {tag} /mnt/{tag}"
        while True:
            result = self.run(command)
            if result.ok:
                return
            if time.monotonic() > deadline:
                raise GuestError(f"{result}\n{self.console_tail()}")
            time.sleep(1)

    def _check_alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            log = (self.workdir / "qemu.log").read_text(errors="replace")
            raise GuestError(f"QEMU exited with {self.process.returncode}:\n{log}")

    def console_tail(self, lines: int = 40) -> str:
        try:
            text = self.console.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def spawn(self, command: str, stdin: str | None = None) -> int:
        """Start `sh -c command` in the guest; returns the guest pid."""
        arguments: dict[str, object] = {
            "path": "/bin/sh",
            "arg": ["-c", command],
            "capture-output": True,
        }
        if stdin is not None:
            arguments["input-data"] = base64.b64encode(stdin.encode()).decode()
        started = self.agent.call("guest-exec", **arguments)
        assert isinstance(started, dict)
        return int(started["pid"])

    def wait(self, pid: int, command: str = "", timeout: float = 600) -> Result:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            status = self.agent.call("guest-exec-status", pid=pid)
            assert isinstance(status, dict)
            if status.get("exited"):
                return Result(
                    command,
                    int(status.get("exitcode", -int(status.get("signal", 1)))),
                    base64.b64decode(status.get("out-data", "")).decode(errors="replace"),
                    base64.b64decode(status.get("err-data", "")).decode(errors="replace"),
                )
            if time.monotonic() > deadline:
                raise GuestError(f"still running after {timeout} s in the guest: {command}")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def run(self, command: str, timeout: float = 600, stdin: str | None = None) -> Result:
        return self.wait(self.spawn(command, stdin), command, timeout)

    def check(self, command: str, timeout: float = 600, stdin: str | None = None) -> str:
        """Run a command that must succeed; returns its stdout."""
        result = self.run(command, timeout, stdin)
        if not result.ok:
            raise GuestError(str(result))
        return result.stdout

    def write(self, path: str, content: str, mode: str = "0644") -> None:
        self.check(f"install -D -m {mode} /dev/stdin {shlex.quote(path)}", stdin=content)

    def attach(self) -> None:
        """Use a guest that is already running with this workdir (for development)."""
        if not self.agent.sync(timeout=10):
            raise GuestError(f"no guest agent answers on {self.agent.path}")

    def stop(self) -> None:
        """Power off: the overlay is thrown away, so there is nothing to shut down cleanly."""
        self.agent.close()
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
