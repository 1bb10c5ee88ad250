# The default setup: SQLite, socket activation, credentials, backups.
# (bitpoll_http.py is prepended: Client, create_poll, answer_poll.)
start_all()
machine.wait_for_unit("bitpoll.socket")
machine.wait_for_unit("bitpoll.service")
client = Client(machine, "http://127.0.0.1:8000")

with subtest("the app answers its health check"):
    status, _, body = client.get("/healthz")
    assert (status, body.strip()) == (200, "ok"), (status, body)

with subtest("a poll is created and answered over HTTP"):
    poll_path, admin_path = create_poll(client, "Team offsite", ["Monday", "Tuesday"])
    answer_poll(client, poll_path, "Alice")
    status, _, body = client.get(poll_path)
    assert status == 200 and "Team offsite" in body and "Alice" in body

with subtest("the secret key comes from the credential, not from the data dir"):
    machine.succeed("systemctl show -p LoadCredential bitpoll.service | grep -q secret_key")
    machine.fail("test -e /var/lib/bitpoll/secret_key")
    machine.succeed('test "$(stat -c %a /var/lib/bitpoll)" = 700')

with subtest("the data survives a restart, and the socket queues requests meanwhile"):
    machine.succeed(
        "systemctl restart --no-block bitpoll.service && "
        "curl -fsS --max-time 120 http://127.0.0.1:8000/healthz"
    )
    machine.wait_for_unit("bitpoll.service")
    status, _, body = client.get(poll_path)
    assert status == 200 and "Alice" in body

with subtest("nixos-rebuild switch restarts the service in place, the socket keeps listening"):
    # What switch-to-configuration does on an upgrade (docs/nixos.md): the
    # changed service is restarted after activation; bitpoll.socket is not
    # touched, so clients queue instead of being refused, and the service
    # runs again when the switch returns, without waiting for a request.
    def show(unit, prop):
        return machine.succeed(f"systemctl show -p {prop} --value {unit}").strip()

    socket_since = show("bitpoll.socket", "ActiveEnterTimestampMonotonic")
    main_pid = show("bitpoll.service", "MainPID")
    machine.succeed(
        "rm -f /tmp/load-ok /tmp/load-failed /tmp/load-stop && "
        "systemd-run --unit=bitpoll-load --collect --property=Type=exec "
        "/run/current-system/sw/bin/sh -c '"
        "while [ ! -e /tmp/load-stop ]; do "
        "if /run/current-system/sw/bin/curl -fsS --max-time 120 -o /dev/null http://127.0.0.1:8000/healthz; "
        "then echo >> /tmp/load-ok; else echo >> /tmp/load-failed; fi; done'"
    )
    machine.wait_until_succeeds("test -s /tmp/load-ok")
    for target in ["/run/booted-system/specialisation/upgraded", "/run/booted-system"]:
        out = machine.succeed(f"{target}/bin/switch-to-configuration test 2>&1")
        print(out)
        assert "bitpoll.socket" not in out, out
        assert re.search(r"restarting the following units:.*bitpoll\.service", out), out
        machine.succeed("systemctl is-active bitpoll.service")
        assert show("bitpoll.socket", "ActiveEnterTimestampMonotonic") == socket_since
        new_pid = show("bitpoll.service", "MainPID")
        assert new_pid not in (main_pid, "0"), (main_pid, new_pid)
        main_pid = new_pid
    machine.succeed("touch /tmp/load-stop")
    machine.wait_until_fails("systemctl is-active bitpoll-load.service")
    served = int(machine.succeed("wc -l < /tmp/load-ok"))
    machine.fail("test -s /tmp/load-failed")
    assert served > 0, served

with subtest("a reload (SIGHUP) keeps serving"):
    machine.succeed("systemctl reload bitpoll.service")
    machine.succeed("curl -fsS --max-time 60 http://127.0.0.1:8000/healthz")

with subtest("the hardened service meets the exposure target (1.0)"):
    print(machine.succeed("systemd-analyze security --no-pager bitpoll.service"))
    machine.succeed("systemd-analyze security --no-pager --threshold=10 bitpoll.service")
    machine.succeed("systemd-analyze security --no-pager --threshold=10 bitpoll-backup.service")

with subtest("the backup timer writes an archive, and it verifies"):
    machine.succeed("systemctl is-active bitpoll-backup.timer")
    machine.wait_until_succeeds("find /var/lib/bitpoll/backups -type f | grep -q .", timeout=180)
    archive = machine.succeed("ls -t /var/lib/bitpoll/backups/* | head -n1").strip()
    machine.succeed(f"bitpoll-manage backup --verify {archive}")

with subtest("old archives are pruned to backup.keep"):
    for _ in range(3):
        machine.succeed("systemctl start bitpoll-backup.service")
    count = int(machine.succeed("find /var/lib/bitpoll/backups -type f | wc -l"))
    assert count <= 2, f"{count} archives kept, expected at most 2"

with subtest("restore brings back the state of the archive"):
    machine.succeed("systemctl start bitpoll-backup.service")
    archive = machine.succeed("ls -t /var/lib/bitpoll/backups/* | head -n1").strip()
    answer_poll(client, poll_path, "Bob")
    # The socket goes down too, or a request could start the app mid-restore.
    machine.succeed("systemctl stop bitpoll.socket bitpoll.service")
    machine.succeed(f"bitpoll-manage restore {archive} --force")
    machine.succeed("systemctl start bitpoll.socket bitpoll.service")
    machine.wait_for_unit("bitpoll.service")
    status, _, body = client.get(poll_path)
    assert status == 200 and "Alice" in body and "Bob" not in body

with subtest("bitpoll-manage runs as the service user with its credentials"):
    uid = machine.succeed("id -u bitpoll").strip()
    out = machine.succeed("bitpoll-manage shell -c 'import os; print(os.getuid())'")
    assert out.strip().splitlines()[-1] == uid, out
    out = machine.succeed(
        "bitpoll-manage shell -c "
        "'import os; print(sorted(os.listdir(os.environ[\"CREDENTIALS_DIRECTORY\"])))'"
    )
    assert "secret_key" in out, out
    machine.succeed("bitpoll-manage check")
    machine.fail("runuser -u nobody -- bitpoll-manage check")
