"""deploy/systemd's units under a real systemd, installed as deploy/systemd/README.md says."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from guestops import (
    PROJECT,
    SECRET,
    assert_notify_order,
    client_loop,
    curl_status,
    exposure,
    journal,
    reset_units,
    run_probe,
    sandbox_copy,
    sandbox_differences,
    unit_property,
    usernames,
)
from vmguest import VM

UNITS = ["bitpoll.socket", "bitpoll.service", "bitpoll-backup.service", "bitpoll-backup.timer"]


@pytest.fixture(scope="module")
def plain(guest: VM) -> Iterator[VM]:
    src = f"{PROJECT}/deploy/systemd"
    guest.check(
        f"install -m 0644 {src}/bitpoll.socket {src}/bitpoll.service"
        f" {src}/bitpoll-backup.service {src}/bitpoll-backup.timer /etc/systemd/system/"
        " && install -d -m 0750 /etc/bitpoll"
    )
    guest.write(
        "/etc/bitpoll/bitpoll.env",
        "BITPOLL_ALLOWED_HOSTS=localhost,127.0.0.1\nBITPOLL_BASE_URL=http://localhost:8000\n",
        mode="0640",
    )
    # The secret as the units' comments suggest: a root-only file handed over
    # with LoadCredential= (here in drop-ins, as an operator would add it).
    guest.write("/etc/bitpoll/secret_key", SECRET + "\n", mode="0600")
    for service in ("bitpoll.service", "bitpoll-backup.service"):
        guest.write(
            f"/etc/systemd/system/{service}.d/credentials.conf",
            "[Service]\nLoadCredential=secret_key:/etc/bitpoll/secret_key\n",
        )
    guest.check("systemctl daemon-reload && systemctl enable --now bitpoll.socket")
    yield guest
    reset_units(guest, UNITS)


def test_it_starts_the_service_on_the_first_request(plain: VM) -> None:
    assert unit_property(plain, "bitpoll.service", "ActiveState") == "inactive"
    assert unit_property(plain, "bitpoll.socket", "ActiveState") == "active"
    assert curl_status(plain) == "200"
    assert unit_property(plain, "bitpoll.service", "ActiveState") == "active"
    assert unit_property(plain, "bitpoll.service", "SubState") == "running"


def test_it_migrates_before_it_serves(plain: VM) -> None:
    lines = journal(plain, "bitpoll.service")
    applying = [i for i, line in enumerate(lines) if re.match(r"\s*Applying \w+\.\d{4}", line)]
    serving = [
        i for i, line in enumerate(lines) if "serving on the socket passed by systemd" in line
    ]
    assert applying and serving, "\n".join(lines)
    assert max(applying) < min(serving)


def test_it_tells_systemd_when_it_is_ready(plain: VM) -> None:
    assert_notify_order(journal(plain, "bitpoll.service"))


def test_its_state_directory_is_private_to_the_service_user(plain: VM) -> None:
    assert plain.check("stat -c '%a %U %G' /var/lib/bitpoll").split() == [
        "700",
        "bitpoll",
        "bitpoll",
    ]
    assert plain.check("stat -c '%a %U' /var/lib/bitpoll/bitpoll.sqlite3").split() == [
        "600",
        "bitpoll",
    ]


def test_it_takes_the_secret_key_from_the_credential(plain: VM) -> None:
    # Without a key from anywhere, `bitpoll` would have generated one into
    # the data directory.
    assert not plain.run("test -e /var/lib/bitpoll/secret_key").ok
    pid = unit_property(plain, "bitpoll.service", "MainPID")
    environ = plain.check(f"tr '\\0' '\\n' < /proc/{pid}/environ")
    assert "CREDENTIALS_DIRECTORY=/run/credentials/bitpoll.service" in environ
    assert plain.check("cat /run/credentials/bitpoll.service/secret_key").strip() == SECRET


def test_its_sandbox_is_in_force(plain: VM) -> None:
    sandbox_copy(plain, "bitpoll.service", "bitpoll-probe")
    probe = run_probe(plain, "bitpoll-probe")
    assert sandbox_differences(probe) == {}


def test_the_probe_tells_a_sandbox_from_none(plain: VM) -> None:
    # Control: the same probe as plain root is allowed nearly everything, so
    # the refusals above come from the unit's directives.
    free = json.loads(plain.check(f"python3 {PROJECT}/tests/system/guest/probe.py"))
    # (Not realtime scheduling: the guest's cgroups give no one a realtime
    # budget, so it is refused outside the sandbox too.)
    refused_by_the_sandbox = {
        "write_etc", "write_owned_outside_state", "write_var_tmp_outside", "list_root_home",
        "block_device_visible", "pid1_visible", "proc_sys_visible", "af_packet", "af_netlink",
        "send_to_remote", "wx_mapping", "new_user_namespace", "setpriority", "cap_effective",
        "no_new_privs", "seccomp",
    }  # fmt: skip
    assert refused_by_the_sandbox <= set(sandbox_differences(free)), free


def test_systemd_analyze_security_in_the_guest_meets_the_target(plain: VM) -> None:
    for service in ("bitpoll.service", "bitpoll-backup.service"):
        assert exposure(plain, service) <= 1.0


def test_restarts_and_reloads_drop_no_request(plain: VM) -> None:
    assert curl_status(plain) == "200"
    with client_loop(plain) as loop:
        for action in ("restart", "reload"):
            before = loop.answered()
            plain.check(f"systemctl {action} bitpoll.service")
            loop.wait_for_answers(before + 1)
        load = loop.stop()
    assert load.failed == 0, load.errors
    assert load.ok > 2


def test_a_stopped_service_starts_again_on_the_next_request(plain: VM) -> None:
    plain.check("systemctl stop bitpoll.service")
    assert unit_property(plain, "bitpoll.service", "ActiveState") == "inactive"
    assert curl_status(plain) == "200"
    assert unit_property(plain, "bitpoll.service", "ActiveState") == "active"


def test_an_upgrade_keeps_the_listener_and_restarts_at_once(plain: VM) -> None:
    # An upgrade on Debian: changed units (and a new version in the venv),
    # then daemon-reload and a restart of the service; the socket stays up.
    listening_since = unit_property(plain, "bitpoll.socket", "ActiveEnterTimestampMonotonic")
    with client_loop(plain) as loop:
        plain.check(
            "sed -i 's/^Description=.*/&, upgraded/' /etc/systemd/system/bitpoll.service"
            " && systemctl daemon-reload && systemctl restart bitpoll.service"
        )
        before = loop.answered()
        loop.wait_for_answers(before + 1)
        load = loop.stop()
    assert load.failed == 0, load.errors
    assert unit_property(plain, "bitpoll.service", "ActiveState") == "active"
    assert (
        unit_property(plain, "bitpoll.socket", "ActiveEnterTimestampMonotonic") == listening_since
    )


def test_the_backup_timer_writes_an_archive_that_restores(plain: VM) -> None:
    assert unit_property(plain, "bitpoll-backup.timer", "UnitFileState") == "disabled"
    plain.check("systemctl enable --now bitpoll-backup.timer")
    assert unit_property(plain, "bitpoll-backup.timer", "Unit") == "bitpoll-backup.service"
    admin = (
        "systemd-run --pipe --wait --collect --quiet --uid=bitpoll --gid=bitpoll"
        " -p StateDirectory=bitpoll -p EnvironmentFile=-/etc/bitpoll/bitpoll.env"
        " -p LoadCredential=secret_key:/etc/bitpoll/secret_key"
        " -E BITPOLL_DATA_DIR=/var/lib/bitpoll /opt/bitpoll/bin/bitpoll"
    )
    plain.check(
        f"DJANGO_SUPERUSER_PASSWORD=x {admin} createsuperuser --noinput"
        " --username alice --email alice@example.org",
    )
    plain.check("systemctl start bitpoll-backup.service")
    archives = plain.check("ls /var/lib/bitpoll/backups").split()
    assert len(archives) == 1, archives
    archive = f"/var/lib/bitpoll/backups/{archives[0]}"

    # Restore into a new, empty database, as docs/operations.md describes
    # (the restore verifies the archive first).
    plain.check("systemctl stop bitpoll.service && mv /var/lib/bitpoll/bitpoll.sqlite3 /root/")
    plain.check("rm -f /var/lib/bitpoll/bitpoll.sqlite3-*")
    plain.check(f"{admin} restore {archive}")
    assert usernames(plain) == ["alice"]
    assert curl_status(plain) == "200"
