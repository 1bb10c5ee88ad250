"""A throwaway QEMU guest driven through the QEMU guest agent.

The guest boots the cached image (image.py) directly from its kernel and
initrd, writes to a qcow2 overlay of its own, reads the project (and the
freshly built wheel) over 9p read-only and has no network: its only NIC is
QEMU's user-mode network with `restrict=on`, which lets nothing out and
only forwards the ports given in `forwards` from the host's 127.0.0.1.
Commands run through the guest agent's `guest-exec`.

A guest that stops answering is reported with what the host can still see:
whether QEMU runs, the state QEMU's monitor (QMP) gives the guest, and the
end of the serial console, where the kernel and journald's warnings go.
"""

from __future__ import annotations

import base64
import ctypes
import fcntl
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from vmimage import Image

BOOT_TIMEOUT = float(os.environ.get("SYSTEM_TESTS_BOOT_TIMEOUT", "300"))
# How long past a call's own timeout the guest agent may take before the guest counts as
# lost: a TCG guest on a busy host can stall for a while and then go on.
AGENT_PATIENCE = float(os.environ.get("SYSTEM_TESTS_AGENT_PATIENCE", "240"))
_KVM_GET_API_VERSION = 0xAE00
_KVM_PROBE_SECONDS = 15
_PR_SET_PDEATHSIG = 1


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


class AgentSilent(GuestError):
    """The guest agent did not answer within the time given."""


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


def _die_with_parent() -> None:
    """In the child before QEMU starts: killed when the test process ends, however it
    ends. A pytest stopped with SIGTERM (CI's cleanup) runs no fixture's teardown, and
    its guest would go on using the CPU."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


class Agent:
    """The guest agent's JSON protocol over QEMU's unix socket."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.calls = 0

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

    def send(self, command: str, **arguments: object) -> str:
        """Send a command; returns the id its reply will carry (the agent echoes it)."""
        self.calls += 1
        ident = f"bitpoll-{self.calls}"
        self._send({"execute": command, "arguments": arguments, "id": ident})
        return ident

    def reply(self, command: str, ident: str, timeout: float) -> object:
        """The reply to the command sent as `ident`. Replies to earlier commands, which
        came after their caller had given up on them, are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(max(0.0, deadline - time.monotonic()))
            if reply is None:
                raise AgentSilent(f"no answer from the guest agent to {command}")
            if reply.get("id") != ident:
                continue
            if "error" in reply:
                raise GuestError(f"{command}: {reply['error']}")
            return reply.get("return")

    def call(self, command: str, timeout: float = 60, **arguments: object) -> object:
        return self.reply(command, self.send(command, **arguments), timeout)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class Monitor:
    """QEMU's monitor (QMP) over its unix socket: what QEMU says of the guest."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def status(self, timeout: float = 10) -> str:
        """The guest's run state (running, paused, guest-panicked, ...), or why it is unknown."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(str(self.path))
                stream = sock.makefile("rwb")
                json.loads(stream.readline())  # the greeting
                for command in ("qmp_capabilities", "query-status"):
                    stream.write(json.dumps({"execute": command}).encode() + b"\n")
                    stream.flush()
                    while "return" not in (reply := json.loads(stream.readline())):
                        if "error" in reply:
                            return f"unknown ({reply['error']})"
                state = reply["return"]
                return str(state.get("status", state)) if isinstance(state, dict) else str(state)
        except (OSError, ValueError) as error:
            return f"unknown ({error})"


class VM:
    def __init__(self, image: Image, workdir: Path, shares: dict[str, Path]) -> None:
        self.image = image
        self.workdir = workdir
        self.shares = shares
        self.console = workdir / "console.log"
        self.agent = Agent(workdir / "qga.sock")
        self.monitor = Monitor(workdir / "qmp.sock")
        self.process: subprocess.Popen[bytes] | None = None
        # Set once the guest has stopped answering: every later call fails at once with it.
        self.lost: str | None = None
        self.accel = "kvm" if kvm_usable(image.kernel) else "tcg"

    def command_line(self) -> list[str]:
        overlay = self.workdir / "overlay.qcow2"
        qemu = qemu_binary()
        assert qemu is not None
        cmd = [qemu, "-nodefaults", "-no-reboot", "-display", "none", "-m", "3072", "-smp", "2"]
        cmd += ["-accel", self.accel]
        if self.accel == "kvm":
            cmd += ["-cpu", "host"]
        cmd += ["-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd)]
        cmd += ["-append", "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=0"]
        cmd += ["-drive", f"file={overlay},if=virtio,format=qcow2,cache=unsafe"]
        cmd += ["-serial", f"file:{self.console}"]
        cmd += ["-qmp", f"unix:{self.monitor.path},server=on,wait=off"]
        # A guest kernel's panic shows as the state guest-panicked instead of a silent guest.
        cmd += ["-device", "pvpanic", "-action", "panic=pause"]
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
            preexec_fn=_die_with_parent,
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
            raise GuestError(
                f"QEMU exited with {self.process.returncode}:\n{log}\n"
                f"The guest's console (last lines):\n{self.console_tail(80)}"
            )

    def console_tail(self, lines: int = 40) -> str:
        try:
            text = self.console.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def call(self, command: str, timeout: float = 60, **arguments: object) -> object:
        """A guest agent command. A reply later than `timeout` is still taken, up to
        AGENT_PATIENCE more, and said on stderr; past that the guest is lost, and this
        and every later call raise GuestError with what the host sees of it."""
        if self.lost is not None:
            raise GuestError(f"the guest was lost earlier:\n{self.lost}")
        started = time.monotonic()
        ident = self.agent.send(command, **arguments)
        try:
            return self.agent.reply(command, ident, timeout)
        except AgentSilent:
            pass
        self._check_alive()
        try:
            result = self.agent.reply(command, ident, AGENT_PATIENCE)
        except AgentSilent:
            waited = time.monotonic() - started
            self.lost = (
                f"the guest agent has not answered {command} for {waited:.0f} s;"
                f" QEMU runs, its monitor gives the guest's state as"
                f" {self.monitor.status()!r}.\nThe guest's console (last lines):\n"
                f"{self.console_tail(80)}"
            )
            raise GuestError(self.lost) from None
        sys.stderr.write(
            f"vmguest: the guest agent answered {command} after"
            f" {time.monotonic() - started:.0f} s\n"
        )
        return result

    def spawn(self, command: str, stdin: str | None = None) -> int:
        """Start `sh -c command` in the guest; returns the guest pid."""
        arguments: dict[str, object] = {
            "path": "/bin/sh",
            "arg": ["-c", command],
            "capture-output": True,
        }
        if stdin is not None:
            arguments["input-data"] = base64.b64encode(stdin.encode()).decode()
        started = self.call("guest-exec", **arguments)
        assert isinstance(started, dict)
        return int(started["pid"])

    def wait(self, pid: int, command: str = "", timeout: float = 600) -> Result:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            status = self.call("guest-exec-status", pid=pid)
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
