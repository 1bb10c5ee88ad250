"""An upgrade and a rollback under a real systemd, with deploy/systemd's units.

Version A (the installed wheel) serves with data. The "upgrade" is a build of A with one more
polls migration, made here: A's polls migrations plus 9000_rollback_probe in a package of its
own, chosen with MIGRATION_MODULES. Its `migrate` snapshots A's schema, then migrates. Back on A,
the service refuses to start with one line in the journal; `bitpoll restore --before-upgrade`
brings back the data from before the upgrade, and A serves again.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from guestops import PROJECT, SECRET, curl_status, journal, reset_units, usernames
from vmguest import VM

UNITS = ["bitpoll.socket", "bitpoll.service"]
ADMIN = (
    "systemd-run --pipe --wait --collect --quiet --uid=bitpoll --gid=bitpoll"
    " -p StateDirectory=bitpoll -p EnvironmentFile=-/etc/bitpoll/bitpoll.env"
    " -p LoadCredential=secret_key:/etc/bitpoll/secret_key"
    " -E BITPOLL_DATA_DIR=/var/lib/bitpoll"
)
A = f"{ADMIN} /opt/bitpoll/bin/bitpoll"
NEWER = (
    f"{ADMIN} -E DJANGO_SETTINGS_MODULE=newer_settings -E PYTHONPATH=/opt/bitpoll-newer"
    " /opt/bitpoll/bin/python -m django"
)


def polls_leaf() -> str:
    """The newest polls migration of this code (they form one line): the probe follows it."""
    migrations = Path(__file__).resolve().parents[2] / "src/bitpoll/polls/migrations"
    return sorted(p.stem for p in migrations.glob("[0-9][0-9][0-9][0-9]_*.py"))[-1]


PROBE_MIGRATION = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("polls", "{leaf}")]
    operations = [
        migrations.CreateModel("RollbackProbe", [
            ("id", models.BigAutoField(primary_key=True)),
            ("note", models.TextField()),
        ]),
        migrations.AddField("poll", "probe", models.TextField(null=True)),
    ]
"""


@pytest.fixture(scope="module")
def serving_a(guest: VM) -> Iterator[VM]:
    src = f"{PROJECT}/deploy/systemd"
    guest.check(
        f"install -m 0644 {src}/bitpoll.socket {src}/bitpoll.service /etc/systemd/system/"
        " && install -d -m 0750 /etc/bitpoll"
    )
    guest.write(
        "/etc/bitpoll/bitpoll.env",
        "BITPOLL_ALLOWED_HOSTS=localhost,127.0.0.1\nBITPOLL_BASE_URL=http://localhost:8000\n",
        mode="0640",
    )
    guest.write("/etc/bitpoll/secret_key", SECRET + "\n", mode="0600")
    guest.write(
        "/etc/systemd/system/bitpoll.service.d/credentials.conf",
        "[Service]\nLoadCredential=secret_key:/etc/bitpoll/secret_key\n",
    )
    guest.check("systemctl daemon-reload && systemctl enable --now bitpoll.socket")
    try:
        yield guest
    finally:
        reset_units(guest, UNITS)
        guest.run("rm -rf /opt/bitpoll-newer")


def install_newer_build(vm: VM) -> None:
    shipped = vm.check(
        "/opt/bitpoll/bin/python -c 'import os, bitpoll.polls.migrations as m;"
        " print(os.path.dirname(m.__file__))'"
    ).strip()
    vm.check(
        f"install -d -m 0755 /opt/bitpoll-newer && cp -r {shlex.quote(shipped)}"
        " /opt/bitpoll-newer/newer_polls_migrations && chmod -R a+rX /opt/bitpoll-newer"
    )
    vm.write(
        "/opt/bitpoll-newer/newer_polls_migrations/9000_rollback_probe.py",
        PROBE_MIGRATION.replace("{leaf}", polls_leaf()),
    )
    vm.write(
        "/opt/bitpoll-newer/newer_settings.py",
        "from bitpoll.settings import *  # noqa: F403\n\n"
        "MIGRATION_MODULES = {'polls': 'newer_polls_migrations'}\n",
    )


def test_a_rollback_refuses_the_newer_schema_and_restores_the_snapshot(serving_a: VM) -> None:
    vm = serving_a
    assert curl_status(vm) == "200"
    vm.check(
        f"DJANGO_SUPERUSER_PASSWORD=x {A} createsuperuser --noinput"
        " --username alice --email alice@example.org"
    )

    # The upgrade: the newer build migrates (after its snapshot) and takes new data.
    vm.check("systemctl stop bitpoll.socket bitpoll.service")
    install_newer_build(vm)
    upgraded = vm.check(f"{NEWER} migrate --noinput")
    assert "Snapshot of the database before migrating: /var/lib/bitpoll/backups/" in upgraded
    assert "Applying polls.9000_rollback_probe... OK" in upgraded
    vm.check(
        f"DJANGO_SUPERUSER_PASSWORD=x {NEWER} createsuperuser --noinput"
        " --username bob --email bob@example.org"
    )
    assert usernames(vm) == ["alice", "bob"]

    # The rollback to A: the service does not start, and its journal says why and what to do.
    assert not vm.run("systemctl start bitpoll.service").ok
    # Stopped before reading, so that no automatic restart starts a new journal meanwhile.
    vm.run("systemctl stop bitpoll.socket bitpoll.service")
    lines = journal(vm, "bitpoll.service")
    refusal = [line for line in lines if "9000_rollback_probe" in line]
    assert len(refusal) == 1, lines
    assert "bitpoll restore --before-upgrade" in refusal[0]
    assert "/var/lib/bitpoll/backups/bitpoll-snapshot-" in refusal[0]
    vm.run("systemctl reset-failed bitpoll.service")

    restored = vm.check(f"{A} restore --before-upgrade")
    assert "bitpoll-snapshot-" in restored
    assert usernames(vm) == ["alice"]
    vm.check("systemctl start bitpoll.socket")
    assert curl_status(vm) == "200"
