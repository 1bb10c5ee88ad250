"""What the system tests do in the guest: units, probes, requests, journals.

Plain helpers on top of vmguest.VM; the fixtures live in conftest.py.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from vmguest import VM, GuestError

PROJECT = "/mnt/project"
GUEST_DIR = f"{PROJECT}/tests/system/guest"
PYTHON = "/opt/bitpoll/bin/python"
UNIT_DIR = "/etc/systemd/system"
# The secret key the tests hand over with LoadCredential=.
SECRET = "a-secret-key-handed-over-as-a-systemd-credential-0123456789"
EXPOSURE_RE = re.compile(r"Overall exposure level for \S+: (\d+\.\d+)")

# What a probe unit does not take over from the service it copies: how the
# service starts, stops and is supervised. Everything else (the sandbox,
# user, state directory, credentials, environment) is kept as it is.
_NOT_COPIED = {
    "Type",
    "NotifyAccess",
    "ExecStartPre",
    "ExecStart",
    "ExecStartPost",
    "ExecReload",
    "ExecStop",
    "Restart",
    "RestartSec",
    "KillMode",
    "TimeoutStartSec",
    "StandardOutput",
}


# What probe.py reports inside the sandbox of deploy/systemd and of the
# units the NixOS module renders (the same hardening.nix).
SANDBOXED: dict[str, object] = {
    "user": "bitpoll",
    "root_fs": "ext4",
    "read_ext4_file": "ok",
    "write_state": "ok",
    "write_etc": "EROFS",
    "write_owned_outside_state": "EROFS",
    "write_var_tmp_outside": "EROFS",
    "tmp_marker_visible": False,
    "list_root_home": "EACCES",
    "block_device_visible": False,
    "pid1_visible": False,
    "proc_sys_visible": False,
    "af_unix": "ok",
    "af_inet": "ok",
    "af_packet": "EAFNOSUPPORT",
    "af_netlink": "EAFNOSUPPORT",
    "connect_loopback": "ECONNREFUSED",
    "send_to_loopback": "ok",
    "send_to_remote": "EPERM",
    "exec_in_state_dir": "EACCES",
    # systemd 257 uses the kernel's PR_SET_MDWE, which answers EACCES.
    "wx_mapping": "EACCES",
    "new_user_namespace": "EPERM",
    "setpriority": "EPERM",
    "realtime": "EPERM",
    "cap_effective": "0000000000000000",
    "no_new_privs": "1",
    "seccomp": "2",
    "umask": "0o77",
    "credential_secret_key": "ok",
}


def sandbox_differences(probe: dict[str, object]) -> dict[str, tuple[object, object]]:
    """Entries where the probe saw something else than SANDBOXED: (seen, expected)."""
    return {
        key: (probe.get(key), expected)
        for key, expected in SANDBOXED.items()
        if probe.get(key) != expected
    }


def curl_status(vm: VM, url: str = "http://127.0.0.1:8000/healthz", timeout: int = 300) -> str:
    """HTTP status of one GET from inside the guest ("000" when nothing answered)."""
    return vm.run(
        f"curl -s -o /dev/null -w '%{{http_code}}' --max-time {timeout} {shlex.quote(url)}",
        timeout=timeout + 30,
    ).stdout.strip()


def unit_property(vm: VM, unit: str, name: str) -> str:
    return vm.check(f"systemctl show -P {name} {unit}").strip()


def journal(vm: VM, unit: str) -> list[str]:
    """The journal of the unit's current (or last) run, systemd's own lines included."""
    invocation = unit_property(vm, unit, "InvocationID")
    assert invocation, f"{unit} has not run"
    out = vm.check(
        f"journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID={invocation}"
        f" + INVOCATION_ID={invocation}"
    )
    return out.splitlines()


def sandbox_copy(
    vm: VM, service: str, probe: str, command: str = f"{PYTHON} {GUEST_DIR}/probe.py"
) -> None:
    """Install `probe`: a oneshot running `command` (probe.py) with `service`'s sandbox.

    The copy is made from `systemctl cat`, so drop-ins (such as the
    credentials) come along, exactly as systemd reads the service. The
    command's standard output is what run_probe() reads, as JSON.
    """
    text = vm.check(f"systemctl cat {service}")
    lines = ["[Unit]", f"Description=Sandbox probe of {service}"]
    section = None
    service_lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        key = line.partition("=")[0].strip()
        if section == "[Service]" and key not in _NOT_COPIED:
            service_lines.append(line)
    lines += ["[Service]", "Type=oneshot", *service_lines]
    lines += [
        f"ExecStart={command}",
        f"StandardOutput=truncate:/run/{probe}.json",
    ]
    vm.write(f"/run/systemd/system/{probe}.service", "\n".join(lines) + "\n")
    vm.check("systemctl daemon-reload")


def run_probe(vm: VM, probe: str) -> dict[str, object]:
    result = vm.run(f"systemctl start {probe}.service")
    if not result.ok:
        status = vm.run(f"systemctl status --no-pager -l {probe}.service").stdout
        raise GuestError(f"{result}\n{status}")
    return json.loads(vm.check(f"cat /run/{probe}.json"))


def exposure(vm: VM, service: str) -> float:
    out = vm.check(f"systemd-analyze security --no-pager {service}")
    match = EXPOSURE_RE.search(out)
    assert match, out
    return float(match.group(1))


@dataclass
class Load:
    ok: int
    failed: int
    errors: list[str]


class LoadLoop:
    """A client loop in the guest, running while the caller acts on the units."""

    def __init__(self, vm: VM, url: str) -> None:
        self.vm = vm
        self.url = url
        self.pid = 0

    def start(self) -> None:
        self.vm.check("rm -f /run/load.stop /run/load.progress")
        self.pid = self.vm.spawn(
            f"exec python3 {GUEST_DIR}/load.py --stop /run/load.stop "
            f"--progress /run/load.progress --seconds 400 {shlex.quote(self.url)}"
        )
        self.wait_for_answers(1)

    def answered(self) -> int:
        result = self.vm.run("cat /run/load.progress 2>/dev/null")
        return int(result.stdout.split()[0]) if result.ok and result.stdout.strip() else 0

    def wait_for_answers(self, count: int, timeout: float = 300) -> None:
        """Until the loop has `count` answered requests in total."""
        deadline = time.monotonic() + timeout
        while self.answered() < count:
            if time.monotonic() > deadline:
                raise GuestError(f"the client loop got fewer than {count} answers")
            time.sleep(0.5)

    def stop(self) -> Load:
        self.vm.check("touch /run/load.stop")
        result = self.vm.wait(self.pid, "load.py", timeout=300)
        assert result.ok, str(result)
        data = json.loads(result.stdout)
        return Load(data["ok"], data["failed"], data["errors"])


@contextmanager
def client_loop(vm: VM, url: str = "http://127.0.0.1:8000/healthz") -> Iterator[LoadLoop]:
    loop = LoadLoop(vm, url)
    loop.start()
    try:
        yield loop
    finally:
        if loop.pid:
            vm.run("touch /run/load.stop")


def reset_units(vm: VM, units: list[str]) -> None:
    """Stop and remove Bitpoll's units and all its state, for the next set of units."""
    names = " ".join(units)
    vm.run(f"systemctl disable --now {names}")
    vm.run(f"systemctl reset-failed {names}")
    vm.check(
        "rm -rf /etc/systemd/system/bitpoll* /run/systemd/system/bitpoll* "
        "/var/lib/bitpoll /var/lib/private/bitpoll /etc/bitpoll /usr/local/bin/bitpoll-manage"
        " && systemctl daemon-reload"
    )


def assert_notify_order(lines: list[str]) -> None:
    # Type=notify: systemd reports the start only once gunicorn says READY=1,
    # after the app is loaded and gunicorn listens. A simple or exec service
    # would be reported started as soon as `bitpoll serve` was executed,
    # before Python had even printed its first line.
    serving = [i for i, line in enumerate(lines) if "serving on the socket passed by" in line]
    listening = [i for i, line in enumerate(lines) if "Listening at" in line]
    started = [i for i, line in enumerate(lines) if line.startswith("Started bitpoll.service")]
    assert serving and listening and started, "\n".join(lines)
    assert serving[0] < listening[0] < started[0], "\n".join(lines)


def usernames(vm: VM) -> list[str]:
    # Straight from the file: a Django command takes long under TCG.
    out = vm.check(
        "/opt/bitpoll/bin/python -c 'import sqlite3; print(*(r[0] for r in sqlite3.connect("
        '"/var/lib/bitpoll/bitpoll.sqlite3").execute("SELECT username FROM auth_user")))\''
    )
    return out.split()
