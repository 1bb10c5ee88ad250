"""The mail sender, the purge and LDAP logins of the NixOS module's units, under a real systemd.

One set of units (see nixunits.py) with mail through an SMTP sink on the
guest's loopback (guest/smtpsink.py), a poll retention, accounts and LDAP
against a slapd in the guest on 192.0.2.10, an address that is not
loopback. The same slapd also answers on 192.0.2.11, which the module does
not allow the service to reach.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shlex
import time
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import icalendar
import nixunits
import pytest
from guestops import (
    GUEST_DIR,
    PYTHON,
    SECRET,
    curl_status,
    exposure,
    journal,
    reset_units,
    run_probe,
    sandbox_copy,
    sandbox_differences,
    unit_property,
)
from vmguest import VM

from sso.slapd import ADMIN_DN, BASE, USERS, seed_ldif, ssha

SINK_PORT = 2525
SINK_DIR = "/run/smtpsink"
SINK_DELAY = "/run/smtpsink.delay"
LDAP_ALLOWED = "192.0.2.10"
LDAP_DENIED = "192.0.2.11"
BIND_PASSWORD = "bind-password-handed-over-as-a-credential"
SLAPD_DIR = "/run/test-slapd"
DB = "/var/lib/bitpoll/bitpoll.sqlite3"

CONFIGURATION = f"""{{
  services.bitpoll = {{
    enable = true;
    secretKeyFile = "/etc/bitpoll/secret_key";
    email = {{
      host = "127.0.0.1";
      port = {SINK_PORT};
      security = "none";
      from = "Bitpoll <polls@example.org>";
    }};
    mail.sender.enable = true;
    retention.days = 30;
    accounts.enable = true;
    ldap = {{
      enable = true;
      uri = "ldap://{LDAP_ALLOWED}";
      bindDn = "{ADMIN_DN}";
      bindPasswordFile = "/etc/bitpoll/ldap_bind_password";
      userSearchBase = "ou=people,{BASE}";
      groupSearchBase = "ou=groups,{BASE}";
    }};
  }};
}}"""

UNITS = [
    "bitpoll.socket",
    "bitpoll.service",
    "bitpoll-mail.service",
    "bitpoll-purge.service",
    "bitpoll-purge.timer",
]


@pytest.fixture(scope="module")
def evaluated() -> dict[str, Any]:
    reason = nixunits.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    return nixunits.evaluate(CONFIGURATION)


def _start_slapd(vm: VM) -> None:
    """slapd as the openldap user, seeded like tests/sso's, on two addresses that are not loopback."""
    vm.check(
        "ip link add bp-remote type dummy && ip link set bp-remote up"
        f" && ip addr add {LDAP_ALLOWED}/32 dev bp-remote"
        f" && ip addr add {LDAP_DENIED}/32 dev bp-remote"
    )
    conf = "\n".join(
        [
            *(f"include /etc/ldap/schema/{s}.schema" for s in ("core", "cosine", "inetorgperson")),
            "modulepath /usr/lib/ldap",
            "moduleload back_mdb",
            f"pidfile {SLAPD_DIR}/slapd.pid",
            "database mdb",
            "maxsize 16777216",
            f"suffix {BASE}",
            f"rootdn {ADMIN_DN}",
            f"rootpw {ssha(BIND_PASSWORD)}",
            f"directory {SLAPD_DIR}/db",
            "access to attrs=userPassword by anonymous auth by * none",
            "access to * by users read by * none",
        ]
    )
    vm.write(f"{SLAPD_DIR}/slapd.conf", conf + "\n")
    vm.write(f"{SLAPD_DIR}/seed.ldif", seed_ldif(BIND_PASSWORD))
    vm.check(
        f"mkdir -p {SLAPD_DIR}/db && slapadd -f {SLAPD_DIR}/slapd.conf -l {SLAPD_DIR}/seed.ldif"
        f" && chown -R openldap:openldap {SLAPD_DIR}"
    )
    listen = f"ldap://{LDAP_ALLOWED}/ ldap://{LDAP_DENIED}/"
    vm.check(
        "systemd-run --unit=test-slapd --service-type=exec /usr/sbin/slapd -d 0"
        f" -u openldap -g openldap -f {SLAPD_DIR}/slapd.conf -h {shlex.quote(listen)}"
    )
    _wait_until(vm, f"{PYTHON} {GUEST_DIR}/connect.py {LDAP_ALLOWED}:389 | grep -q '\"ok\"'")


# The journal of bitpoll-mail.service's first run, started before the migrations.
EARLY_SENDER: list[str] = []


def _wait_until(vm: VM, command: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not vm.run(command).ok:
        assert time.monotonic() < deadline, f"still not true after {timeout} s: {command}"
        time.sleep(1)


@pytest.fixture(scope="module")
def rendered(guest: VM, evaluated: dict[str, Any]) -> Iterator[VM]:
    files = nixunits.unit_files(evaluated)
    assert sorted(files) == sorted(UNITS)
    for name, text in files.items():
        guest.write(f"/etc/systemd/system/{name}", text)
    guest.write("/usr/local/bin/bitpoll-manage", nixunits.manage_script(evaluated), mode="0755")
    guest.write("/etc/bitpoll/secret_key", SECRET + "\n", mode="0600")
    guest.write("/etc/bitpoll/ldap_bind_password", BIND_PASSWORD + "\n", mode="0600")
    _start_slapd(guest)
    guest.check(
        f"rm -rf {SINK_DIR} {SINK_DELAY} && systemd-run --unit=test-smtpsink --service-type=exec"
        f" python3 {GUEST_DIR}/smtpsink.py --port {SINK_PORT} --dir {SINK_DIR}"
        f" --delay-file {SINK_DELAY}"
    )
    guest.check(
        "systemctl daemon-reload && systemctl enable bitpoll.service bitpoll-mail.service"
        " && systemctl enable --now bitpoll.socket bitpoll-purge.timer"
    )
    # Started on the fresh database, before anything has migrated, the sender refuses with
    # one line, and systemd starts it again every 10 s. The first request starts
    # bitpoll.service, which migrates; the next try of the sender stays up.
    guest.check("systemctl start bitpoll-mail.service")
    _wait_until(guest, "systemctl show -P Result bitpoll-mail.service | grep -qx exit-code")
    EARLY_SENDER.extend(journal(guest, "bitpoll-mail.service"))
    assert curl_status(guest) == "200"
    _wait_until(
        guest,
        "systemctl is-active --quiet bitpoll-mail.service"
        " && test $(systemctl show -P NRestarts bitpoll-mail.service) -ge 1",
    )
    yield guest
    guest.run("systemctl stop test-slapd.service test-smtpsink.service")
    guest.run(f"ip link del bp-remote; rm -rf {SLAPD_DIR} {SINK_DIR} {SINK_DELAY}")
    reset_units(guest, UNITS)


def manage_shell(vm: VM, code: str) -> Any:
    """Run Python in `bitpoll-manage shell`; `code` sets `result`, returned as JSON."""
    program = f"{code}\nimport json\nprint('RESULT', json.dumps(result))"
    out = vm.check(f"bitpoll-manage shell -c {shlex.quote(program)}", timeout=300)
    (line,) = [line for line in out.splitlines() if line.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT "))


def sql(vm: VM, query: str) -> list[list[Any]]:
    # Straight from the file: a Django command takes long under TCG.
    script = (
        "import json, sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " print(json.dumps([list(r) for r in c.execute(sys.argv[2])])); c.commit()"
    )
    out = vm.check(f"{PYTHON} -c {shlex.quote(script)} {DB} {shlex.quote(query)}")
    rows: list[list[Any]] = json.loads(out)
    return rows


def delivered(vm: VM) -> list[EmailMessage]:
    out = vm.check(
        f"{PYTHON} -c 'import json, pathlib, sys; print(json.dumps([p.read_text() for p in"
        f' sorted(pathlib.Path(sys.argv[1]).glob("*.eml"))]))\' {SINK_DIR}'
    )
    return [
        email.message_from_string(text, policy=email.policy.default)  # type: ignore[misc]
        for text in json.loads(out)
    ]


def wait_for_mails(vm: VM, count: int, timeout: float = 180) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while True:
        found = delivered(vm)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(1)


def test_systemd_reads_the_mail_and_purge_units_without_complaint(rendered: VM) -> None:
    for name in ("bitpoll-mail.service", "bitpoll-purge.service", "bitpoll-purge.timer"):
        result = rendered.run(f"systemd-analyze verify /etc/systemd/system/{name}")
        assert result.ok and "bitpoll" not in result.stderr, str(result)
    assert unit_property(rendered, "bitpoll-mail.service", "SubState") == "running"
    assert unit_property(rendered, "bitpoll-purge.timer", "ActiveState") == "active"


def test_a_sender_started_before_the_migrations_refuses_in_one_line_and_then_runs(
    rendered: VM,
) -> None:
    refusals = [line for line in EARLY_SENDER if "send-mail did nothing" in line]
    assert len(refusals) == 1, EARLY_SENDER
    assert "the database is not migrated to this release yet" in refusals[0]
    assert "run `bitpoll migrate`" in refusals[0]
    assert not any("Traceback" in line for line in EARLY_SENDER), EARLY_SENDER
    assert unit_property(rendered, "bitpoll-mail.service", "SubState") == "running"


def test_the_sender_delivers_the_decision_with_its_calendar(rendered: VM) -> None:
    before = len(delivered(rendered))
    result = manage_shell(
        rendered,
        """
import zoneinfo
from bitpoll.polls import lifecycle, services
from bitpoll.polls.options import parse_lines
zone = zoneinfo.ZoneInfo("Europe/Berlin")
options = parse_lines("datetime", "2030-05-04 12:00-13:00\\n2030-05-05 12:30-13:30", zone)
poll, _ = services.create_poll(
    title="Team lunch", description="", kind="datetime", time_zone="Europe/Berlin",
    options=options,
)
services.add_entry(poll, "Ann", {}, email="ann@example.org")
queued = lifecycle.finalize(poll, [poll.options.order_by("pk").first().pk], location="Canteen")
result = {"slug": poll.slug, "queued": queued}
""",
    )
    assert result["queued"] == 1
    found = wait_for_mails(rendered, before + 1)
    decisions = [m for m in found[before:] if m["To"] == "ann@example.org"]
    assert len(decisions) == 1, [(m["To"], m["Subject"]) for m in found[before:]]
    message = decisions[0]
    assert message["From"] == "Bitpoll <polls@example.org>"
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    assert f"http://localhost:8000/{result['slug']}/" in message.get_body(("plain",)).get_content()
    (ics,) = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    # Noon in Berlin (summer time), whichever zone the calendar writes it in.
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert event.decoded("DTSTART") == dt.datetime(2030, 5, 4, 12, 0, tzinfo=berlin)
    assert event.decoded("DTEND") == dt.datetime(2030, 5, 4, 13, 0, tzinfo=berlin)
    assert str(event["LOCATION"]) == "Canteen"
    assert any("sent=1" in line for line in journal(rendered, "bitpoll-mail.service"))


def test_a_killed_sender_is_restarted_and_loses_no_mail(rendered: VM) -> None:
    count = 8
    before = len(delivered(rendered))
    restarts = int(unit_property(rendered, "bitpoll-mail.service", "NRestarts"))
    rendered.write(SINK_DELAY, "1.5")
    ids = manage_shell(
        rendered,
        f"""
from django.db import transaction
from bitpoll.mail import outbox
with transaction.atomic():
    rows = [
        outbox.enqueue_text(f"kill-{{i}}@example.org", "test/kill", f"Mail {{i}}", "Hello.",
                            language="en")
        for i in range({count})
    ]
result = [row.message_id for row in rows]
""",
    )
    # The sender claims the whole batch, then is killed in the middle of it.
    wait_for_mails(rendered, before + 2)
    rendered.check("systemctl kill --signal=SIGKILL bitpoll-mail.service")
    rendered.check(f"rm -f {SINK_DELAY}")
    in_hand = sql(rendered, "SELECT count(*) FROM mail_message WHERE status = 'sending'")[0][0]
    assert in_hand > 0
    # What a killed sender held waits for its lease (5 minutes) to run out: move it to now.
    sql(rendered, "UPDATE mail_message SET lease_until = '2000-01-01 00:00:00'"
        " WHERE status = 'sending'")  # fmt: skip
    _wait_until(
        rendered,
        f"test $(systemctl show -P NRestarts bitpoll-mail.service) -gt {restarts}"
        " && systemctl is-active --quiet bitpoll-mail.service",
    )
    deadline = time.monotonic() + 180
    while sql(rendered, "SELECT count(*) FROM mail_message WHERE kind = 'test/kill'"
              " AND status != 'sent'")[0][0]:  # fmt: skip
        assert time.monotonic() < deadline, sql(
            rendered, "SELECT status, last_error FROM mail_message"
        )
        time.sleep(1)
    copies = Counter(m["Message-ID"] for m in delivered(rendered)[before:])
    assert set(copies) == set(ids), copies
    marked = {
        row[0]
        for row in sql(rendered, "SELECT message_id FROM mail_message WHERE maybe_duplicate = 1")
    }
    # Each mail arrived once, or twice when the sender died between the server's
    # acceptance and its own record of it, and then it is marked as maybe sent twice.
    assert all(n == 1 or (n == 2 and mid in marked) for mid, n in copies.items()), (copies, marked)
    assert int(unit_property(rendered, "bitpoll-mail.service", "NRestarts")) == restarts + 1


def test_the_purge_deletes_an_expired_poll_in_its_sandbox(rendered: VM) -> None:
    slugs = manage_shell(
        rendered,
        """
import datetime as dt
from django.utils import timezone
from bitpoll.polls import services
from bitpoll.polls.models import Entry, Poll
from bitpoll.polls.options import parse_lines
result = []
for title, days in (("Old", 90), ("Fresh", 1)):
    poll, _ = services.create_poll(
        title=title, description="", kind="text", time_zone="UTC",
        options=parse_lines("text", "Yes\\nNo", timezone.get_default_timezone()),
    )
    services.add_entry(poll, "Ann", {}, email=f"ann-{poll.pk}@example.org")
    past = timezone.now() - dt.timedelta(days=days)
    Poll.objects.filter(pk=poll.pk).update(updated=past, created=past)
    Entry.objects.filter(poll=poll).update(updated=past, created=past)
    result.append(poll.slug)
""",
    )
    old, fresh = slugs
    assert "bitpoll-purge.service" in unit_property(rendered, "bitpoll-purge.timer", "Triggers")
    rendered.check("systemctl start bitpoll-purge.service")
    lines = journal(rendered, "bitpoll-purge.service")
    assert any(f"deleted poll {old}" in line for line in lines), lines
    assert not any(fresh in line for line in lines), lines
    assert unit_property(rendered, "bitpoll-purge.service", "Result") == "success"
    remaining = {row[0] for row in sql(rendered, "SELECT slug FROM polls_poll")}
    assert fresh in remaining and old not in remaining
    # The participant's address went with the poll.
    addresses = sql(rendered, "SELECT e.email, p.slug FROM polls_entry e JOIN polls_poll p"
                    " ON p.id = e.poll_id WHERE e.email LIKE 'ann-%'")  # fmt: skip
    assert [slug for _address, slug in addresses] == [fresh]


@pytest.mark.parametrize("service", ["bitpoll-mail.service", "bitpoll-purge.service"])
def test_the_mail_and_purge_sandboxes_are_the_services(rendered: VM, service: str) -> None:
    probe = service.removesuffix(".service") + "-probe"
    sandbox_copy(rendered, service, probe)
    assert sandbox_differences(run_probe(rendered, probe)) == {}
    assert exposure(rendered, service) <= 1.0


def test_an_ldap_login_through_the_form_maps_the_directory_groups(rendered: VM) -> None:
    name, _mail, password, groups = USERS["carol"]
    out = rendered.check(
        f"python3 {GUEST_DIR}/login.py http://127.0.0.1:8000 carol {shlex.quote(password)}"
        f" /accounts/groups/ {' '.join(groups)}",
        timeout=300,
    )
    result = json.loads(out)
    assert result["status"] == 302 and result["location"] == "/accounts/groups/", result
    assert result["session"] and result["next_status"] == 200, result
    assert sorted(result["found"]) == sorted(groups), result
    rows = sql(
        rendered,
        "SELECT g.name, g.source FROM accounts_group g JOIN accounts_membership m"
        " ON m.group_id = g.id JOIN auth_user u ON u.id = m.user_id WHERE u.username = 'carol'",
    )
    assert sorted(map(tuple, rows)) == sorted((group, "ldap") for group in groups)
    assert sql(rendered, "SELECT email FROM auth_user WHERE username = 'carol'") == [
        ["carol@example.org"]
    ]
    del name


def test_a_wrong_ldap_password_is_refused(rendered: VM) -> None:
    out = rendered.check(
        f"python3 {GUEST_DIR}/login.py http://127.0.0.1:8000 dave wrong-password /accounts/groups/",
        timeout=300,
    )
    result = json.loads(out)
    assert result["status"] == 200 and result["error"] and not result["location"], result


def test_the_service_reaches_the_configured_directory_and_no_other_address(rendered: VM) -> None:
    targets = f"{LDAP_ALLOWED}:389 {LDAP_DENIED}:389"
    sandbox_copy(
        rendered,
        "bitpoll.service",
        "bitpoll-connect-probe",
        command=f"{PYTHON} {GUEST_DIR}/connect.py {targets}",
    )
    inside = run_probe(rendered, "bitpoll-connect-probe")
    outside = json.loads(rendered.check(f"{PYTHON} {GUEST_DIR}/connect.py {targets}"))
    assert outside == {f"{LDAP_ALLOWED}:389": "ok", f"{LDAP_DENIED}:389": "ok"}
    # The same slapd on both addresses: only the module's IPAddressAllow= tells them apart.
    # Its filter drops the SYN to the other one, so that connection attempt times out.
    assert inside == {f"{LDAP_ALLOWED}:389": "ok", f"{LDAP_DENIED}:389": "TIMEOUT"}
    allow = unit_property(rendered, "bitpoll.service", "IPAddressAllow").split()
    assert f"{LDAP_ALLOWED}/32" in allow and not any(LDAP_DENIED in a for a in allow), allow
