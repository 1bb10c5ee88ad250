"""The units nix/module.nix renders, run under a real systemd (see nixunits.py).

The Bitpoll package's store path is mapped onto the venv in /opt/bitpoll;
each set of units starts from an empty state directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import nixunits
import pytest
from guestops import (
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

CONFIGURATION = """{
  services.bitpoll = {
    enable = true;
    secretKeyFile = "/etc/bitpoll/secret_key";
    backup.enable = true;
  };
}"""


@pytest.fixture(scope="module")
def evaluated() -> dict[str, Any]:
    reason = nixunits.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    return nixunits.evaluate(CONFIGURATION)


@pytest.fixture(scope="module")
def rendered(guest: VM, evaluated: dict[str, Any]) -> Iterator[VM]:
    files = nixunits.unit_files(evaluated)
    for name, text in files.items():
        guest.write(f"/etc/systemd/system/{name}", text)
    guest.write("/usr/local/bin/bitpoll-manage", nixunits.manage_script(evaluated), mode="0755")
    guest.write("/etc/bitpoll/secret_key", SECRET + "\n", mode="0600")
    guest.check(
        "systemctl daemon-reload && systemctl enable bitpoll.service bitpoll-backup.timer"
        " && systemctl enable --now bitpoll.socket"
    )
    yield guest
    reset_units(guest, sorted(files))


def test_systemd_reads_the_rendered_units_without_complaint(rendered: VM) -> None:
    for name in (
        "bitpoll.socket",
        "bitpoll.service",
        "bitpoll-backup.service",
        "bitpoll-backup.timer",
    ):
        result = rendered.run(f"systemd-analyze verify /etc/systemd/system/{name}")
        assert result.ok and "bitpoll" not in result.stderr, str(result)


def test_it_starts_the_service_on_the_first_request(rendered: VM) -> None:
    assert unit_property(rendered, "bitpoll.service", "ActiveState") == "inactive"
    assert curl_status(rendered) == "200"
    assert unit_property(rendered, "bitpoll.service", "SubState") == "running"
    assert_notify_order(journal(rendered, "bitpoll.service"))


def test_it_keeps_its_state_private_and_its_secret_in_a_credential(rendered: VM) -> None:
    assert rendered.check("stat -c '%a %U' /var/lib/bitpoll").split() == ["700", "bitpoll"]
    assert not rendered.run("test -e /var/lib/bitpoll/secret_key").ok
    assert rendered.check("cat /run/credentials/bitpoll.service/secret_key").strip() == SECRET


def test_its_sandbox_is_in_force(rendered: VM) -> None:
    sandbox_copy(rendered, "bitpoll.service", "bitpoll-module-probe")
    # Before the module named its data directory in NoExecPaths=, this showed
    # {"exec_in_state_dir": ("ok", "EACCES")}: a file written there could be run.
    assert sandbox_differences(run_probe(rendered, "bitpoll-module-probe")) == {}


def test_systemd_analyze_security_in_the_guest_meets_the_target(rendered: VM) -> None:
    for service in ("bitpoll.service", "bitpoll-backup.service"):
        assert exposure(rendered, service) <= 1.0


def _upgrade(vm: VM, evaluated: dict[str, Any]) -> None:
    # The new generation's unit differs (another store path, in real life).
    vm.check("sed -i 's/^Description=.*/&, next generation/' /etc/systemd/system/bitpoll.service")
    for command in nixunits.switch_commands(evaluated):
        vm.check(command)


def test_nixos_rebuild_switch_keeps_the_listener(rendered: VM, evaluated: dict[str, Any]) -> None:
    assert curl_status(rendered) == "200"
    commands = nixunits.switch_commands(evaluated)
    # Before the module set stopIfChanged = false, the switch stopped bitpoll.socket with the
    # service and about 1,200 requests of this loop failed (refused or reset).
    assert "bitpoll.socket" not in evaluated["switchOnUpgrade"]["stop"], commands
    with client_loop(rendered) as loop:
        _upgrade(rendered, evaluated)
        before = loop.answered()
        loop.wait_for_answers(before + 1)
        load = loop.stop()
    assert load.failed == 0, (commands, load.errors)


def test_after_the_switch_it_runs_without_waiting_for_a_request(
    rendered: VM, evaluated: dict[str, Any]
) -> None:
    _upgrade(rendered, evaluated)
    assert unit_property(rendered, "bitpoll.service", "ActiveState") == "active"


def test_the_backup_timer_writes_an_archive_that_bitpoll_manage_restores(rendered: VM) -> None:
    assert unit_property(rendered, "bitpoll-backup.timer", "UnitFileState") == "enabled"
    rendered.check("rm -rf /var/lib/bitpoll/backups")
    rendered.check(
        "DJANGO_SUPERUSER_PASSWORD=x bitpoll-manage createsuperuser --noinput"
        " --username bob --email bob@example.org"
    )
    rendered.check("systemctl start bitpoll-backup.service")
    (archive,) = rendered.check("ls /var/lib/bitpoll/backups").split()
    path = f"/var/lib/bitpoll/backups/{archive}"

    rendered.check("systemctl stop bitpoll.service && rm -f /var/lib/bitpoll/bitpoll.sqlite3*")
    rendered.check(f"bitpoll-manage restore {path}")
    assert "bob" in usernames(rendered)
    assert curl_status(rendered) == "200"
