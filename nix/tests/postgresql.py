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
