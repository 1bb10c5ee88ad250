"""Probe the sandbox this process runs in; prints one JSON object.

Runs inside the guest (Python 3.13, standard library only), started as the
ExecStart= of a oneshot copy of a Bitpoll service, so it gets exactly that
service's sandbox. Each entry is "ok" or the name of the error the attempt
raised, so a test can tell a refused operation from a permitted one.
"""

from __future__ import annotations

import errno
import json
import mmap
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable


def outcome(attempt: Callable[[], object]) -> str:
    try:
        attempt()
    except TimeoutError:
        return "timeout"
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc))
    return "ok"


def write(path: str) -> None:
    with open(path, "w") as handle:
        handle.write("probe\n")
    os.unlink(path)


def read(path: str) -> None:
    with open(path, "rb") as handle:
        handle.read()


def open_socket(family: int, kind: int, proto: int = 0) -> None:
    socket.socket(family, kind, proto).close()


def send_udp(host: str, port: int) -> None:
    # UDP, because a TCP SYN dropped by IPAddressDeny= is retried until the
    # connect times out, which looks the same as an unreachable host; a
    # dropped datagram fails the send with EPERM at once.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"probe", (host, port))


def connect(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(3)
        sock.connect((host, port))


def exec_copy(directory: str) -> None:
    target = os.path.join(directory, "probe-true")
    shutil.copy("/usr/bin/true", target)
    os.chmod(target, 0o700)
    try:
        subprocess.run([target], check=True)
    finally:
        os.unlink(target)


def wx_mapping() -> None:
    prot = mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC
    mmap.mmap(-1, mmap.PAGESIZE, prot=prot).close()


def root_fs_type() -> str:
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            if fields[4] == "/":
                return fields[fields.index("-") + 1]
    return "unknown"


def status_field(name: str) -> str:
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key == name:
                return value.strip()
    return "missing"


def main() -> None:
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0] or "/var/lib/bitpoll"
    credentials = os.environ.get("CREDENTIALS_DIRECTORY", "")
    result = {
        "user": os.environ.get("USER") or str(os.getuid()),
        "uid": os.getuid(),
        "root_fs": root_fs_type(),
        "read_ext4_file": outcome(lambda: read("/etc/hostname")),
        "write_state": outcome(lambda: write(os.path.join(state, "probe"))),
        "write_etc": outcome(lambda: write("/etc/bitpoll-probe")),
        "write_owned_outside_state": outcome(lambda: write("/srv/bitpoll-owned/probe")),
        "write_var_tmp_outside": outcome(lambda: write("/var/lib/bitpoll-probe")),
        "tmp_marker_visible": os.path.exists("/tmp/bitpoll-host-marker"),
        "list_root_home": outcome(lambda: os.listdir("/root")),
        "block_device_visible": os.path.exists("/dev/vda"),
        "pid1_visible": os.path.exists("/proc/1"),
        "proc_sys_visible": os.path.exists("/proc/sys"),
        "af_unix": outcome(lambda: open_socket(socket.AF_UNIX, socket.SOCK_STREAM)),
        "af_inet": outcome(lambda: open_socket(socket.AF_INET, socket.SOCK_STREAM)),
        "af_packet": outcome(lambda: open_socket(socket.AF_PACKET, socket.SOCK_RAW)),
        "af_netlink": outcome(lambda: open_socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)),
        "connect_loopback": outcome(lambda: connect("127.0.0.1", 9)),
        "send_to_loopback": outcome(lambda: send_udp("127.0.0.1", 9)),
        "send_to_remote": outcome(lambda: send_udp("10.0.2.2", 9)),
        "exec_in_state_dir": outcome(lambda: exec_copy(state)),
        "wx_mapping": outcome(wx_mapping),
        "new_user_namespace": outcome(lambda: os.unshare(os.CLONE_NEWUSER)),
        "setpriority": outcome(lambda: os.setpriority(os.PRIO_PROCESS, 0, 19)),
        "realtime": outcome(lambda: os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))),
        "cap_effective": status_field("CapEff"),
        "no_new_privs": status_field("NoNewPrivs"),
        "seccomp": status_field("Seccomp"),
        "umask": oct(os.umask(0o077)),
        "credential_secret_key": outcome(lambda: read(os.path.join(credentials, "secret_key")))
        if credentials
        else "no CREDENTIALS_DIRECTORY",
    }
    json.dump(result, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
