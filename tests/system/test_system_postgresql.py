"""The module's PostgreSQL setup (database.createLocally) against Debian's PostgreSQL.

The unit files come from nix/module.nix (see nixunits.py). What NixOS's
services.postgresql would do for `ensureUsers`/`ensureDBOwnership` is done
here with Debian's tools: a role named like the service user owning a
database of the same name, reached over /run/postgresql with peer
authentication, which Debian's pg_hba.conf has for local connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import nixunits
import pytest
from guestops import curl_status, reset_units, unit_property
from vmguest import VM

CONFIGURATION = """{
  services.bitpoll = {
    enable = true;
    database.type = "postgresql";
    database.createLocally = true;
  };
}"""


def psql(vm: VM, sql: str, database: str = "bitpoll") -> str:
    return vm.check(f'runuser -u postgres -- psql -X -A -t -d {database} -c "{sql}"').strip()


@pytest.fixture(scope="module")
def evaluated() -> dict[str, Any]:
    reason = nixunits.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    return nixunits.evaluate(CONFIGURATION)


@pytest.fixture(scope="module")
def on_postgresql(guest: VM, evaluated: dict[str, Any]) -> Iterator[VM]:
    ensure = evaluated["postgresql"]
    assert ensure["ensureDatabases"] == ["bitpoll"]
    assert ensure["ensureUsers"][0]["name"] == "bitpoll"
    assert ensure["ensureUsers"][0]["ensureDBOwnership"] is True
    guest.check("systemctl start postgresql.service")
    psql(guest, "ALTER SYSTEM SET log_connections = on", database="postgres")
    psql(guest, "SELECT pg_reload_conf()", database="postgres")
    guest.check(
        "runuser -u postgres -- createuser bitpoll"
        " && runuser -u postgres -- createdb -O bitpoll bitpoll"
    )
    files = nixunits.unit_files(evaluated)
    for name, text in files.items():
        guest.write(f"/etc/systemd/system/{name}", text)
    guest.check("systemctl daemon-reload && systemctl enable --now bitpoll.socket")
    yield guest
    reset_units(guest, sorted(files))
    guest.run("runuser -u postgres -- dropdb bitpoll; runuser -u postgres -- dropuser bitpoll")
    guest.run("systemctl stop postgresql.service")


def test_the_service_wants_the_local_server(on_postgresql: VM) -> None:
    assert "postgresql.service" in unit_property(on_postgresql, "bitpoll.service", "Requires")
    assert "postgresql.service" in unit_property(on_postgresql, "bitpoll.service", "After")


def test_it_migrates_and_serves_from_postgresql(on_postgresql: VM) -> None:
    assert curl_status(on_postgresql) == "200"
    assert unit_property(on_postgresql, "bitpoll.service", "SubState") == "running"
    assert int(psql(on_postgresql, "SELECT count(*) FROM django_migrations")) > 10
    owner = psql(on_postgresql, "SELECT tableowner FROM pg_tables WHERE tablename = 'polls_poll'")
    assert owner == "bitpoll"
    # Nothing of the database is in the state directory.
    assert not on_postgresql.run("test -e /var/lib/bitpoll/bitpoll.sqlite3").ok


def test_it_logs_in_with_peer_authentication_over_the_socket(on_postgresql: VM) -> None:
    environment = on_postgresql.check("systemctl show -P Environment bitpoll.service")
    assert "BITPOLL_DATABASE_URL=postgresql:///bitpoll?host=/run/postgresql" in environment
    log = on_postgresql.check("cat /var/log/postgresql/postgresql-*-main.log")
    assert 'connection authenticated: identity="bitpoll" method=peer' in log, log[-2000:]
