"""The VM harness's side of the guest agent protocol, against a stand-in agent on a unix socket.

No guest is booted: these check how vmguest reads replies that come late or
never, which a real guest does only when the host is overloaded.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import vmguest
from vmguest import VM, Agent, AgentSilent, GuestError
from vmimage import Image

Script = Callable[[Any], None]


@pytest.fixture
def stand_in(tmp_path: Path) -> Iterator[Callable[[Script], Path]]:
    """A unix socket at qga.sock whose one client is served by `script(stream)`."""
    path = tmp_path / "qga.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    threads: list[threading.Thread] = []

    def serve(script: Script) -> Path:
        def run() -> None:
            conn, _ = server.accept()
            with conn, conn.makefile("rwb") as stream:
                script(stream)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return path

    yield serve
    server.close()
    for thread in threads:
        thread.join(timeout=5)


def _answer(stream: Any, request: dict[str, Any], value: object) -> None:
    stream.write(json.dumps({"return": value, "id": request["id"]}).encode() + b"\n")
    stream.flush()


def test_a_late_reply_is_not_taken_for_the_next_command(stand_in: Any) -> None:
    def script(stream: Any) -> None:
        late = json.loads(stream.readline())
        ping = json.loads(stream.readline())
        _answer(stream, late, {"exited": False})
        _answer(stream, ping, {})

    agent = Agent(stand_in(script))
    with pytest.raises(AgentSilent):
        agent.call("guest-exec-status", timeout=0.3, pid=7)
    # The reply to guest-exec-status comes first, then the one to guest-ping.
    assert agent.call("guest-ping", timeout=5) == {}
    agent.close()


def _vm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sock: Path) -> VM:
    monkeypatch.setattr(vmguest, "kvm_usable", lambda kernel: False)
    image = Image(tmp_path / "disk.img", tmp_path / "vmlinuz", tmp_path / "initrd.img")
    vm = VM(image, sock.parent, {})
    vm.console.write_text("[ 812.1] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks\n")
    # Stands in for a QEMU that still runs.
    vm.process = subprocess.Popen(["sleep", "60"])
    return vm


def test_a_slow_guest_is_waited_for(
    stand_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def script(stream: Any) -> None:
        request = json.loads(stream.readline())
        threading.Event().wait(0.6)
        _answer(stream, request, {"pid": 42})

    vm = _vm(tmp_path, monkeypatch, stand_in(script))
    monkeypatch.setattr(vmguest, "AGENT_PATIENCE", 5.0)
    try:
        assert vm.call("guest-exec", timeout=0.2, path="/bin/true") == {"pid": 42}
    finally:
        vm.stop()
    assert "answered guest-exec after" in capsys.readouterr().err
    assert vm.lost is None


def test_a_silent_guest_is_lost_with_what_the_host_sees(
    stand_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def script(stream: Any) -> None:
        stream.readline()
        threading.Event().wait(2)

    vm = _vm(tmp_path, monkeypatch, stand_in(script))
    monkeypatch.setattr(vmguest, "AGENT_PATIENCE", 0.3)
    try:
        with pytest.raises(GuestError) as first:
            vm.call("guest-exec-status", timeout=0.2, pid=3)
        message = str(first.value)
        assert "has not answered guest-exec-status" in message
        # No monitor socket here: its state is unknown, and said so.
        assert "state as 'unknown (" in message
        assert "rcu_preempt detected stalls" in message
        # Later calls do not wait again for a guest that is gone.
        with pytest.raises(GuestError, match="the guest was lost earlier"):
            vm.call("guest-ping", timeout=30)
    finally:
        vm.stop()


def test_the_emulator_does_not_outlive_a_killed_test_process(tmp_path: Path) -> None:
    # What VM.start does, with `sleep` standing in for QEMU, in a process then killed as
    # CI's cleanup kills a pytest (SIGTERM: no fixture's teardown runs).
    program = (
        "import subprocess, sys, time; sys.path.insert(0, sys.argv[1]); import vmguest;"
        " child = subprocess.Popen(['sleep', '300'], preexec_fn=vmguest._die_with_parent);"
        " print(child.pid, flush=True); time.sleep(300)"
    )
    here = str(Path(vmguest.__file__).parent)
    parent = subprocess.Popen([sys.executable, "-c", program, here], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert Path(f"/proc/{child}").exists()
    parent.terminate()
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return not state.startswith("Z")
