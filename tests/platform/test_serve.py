"""`bitpoll serve` as a real process: answers, headers, static files, signals, socket activation."""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from serverutil import BITPOLL, clean_env, get, serving, wait_until_healthy

pytestmark = pytest.mark.slow


def test_it_serves_the_home_page_and_healthz(tmp_path: Path) -> None:
    with serving(tmp_path / "data") as server:
        assert get(server.port, "/healthz")[:1] == (200,)
        status, _, body = get(server.port, "/")
        assert status == 200
        assert b"Bitpoll" in body
        log = server.log()
    assert str(tmp_path / "data") in log
    assert f"http://127.0.0.1:{server.port}/" in log


def test_it_sends_security_headers(tmp_path: Path) -> None:
    with serving(tmp_path / "data") as server:
        _, headers, _ = get(server.port, "/")
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in headers
    assert "secure" not in headers.get("set-cookie", "").lower()


def test_it_sends_hsts_and_secure_cookies_behind_a_tls_proxy(tmp_path: Path) -> None:
    env = {"BITPOLL_BASE_URL": "https://polls.example.org", "BITPOLL_BEHIND_PROXY": "true"}
    with serving(tmp_path / "data", env) as server:
        _, headers, _ = get(server.port, "/", {"X-Forwarded-Proto": "https"})
    assert "max-age=" in headers["strict-transport-security"]
    cookie = headers["set-cookie"].lower()
    assert "secure" in cookie
    assert "httponly" in cookie


def test_it_serves_hashed_static_files_compressed_and_cached_forever(tmp_path: Path) -> None:
    with serving(tmp_path / "data") as server:
        _, _, home = get(server.port, "/")
        css = re.search(rb'href="(/static/bitpoll/css/bitpoll\.[0-9a-f]{12}\.css)"', home)
        assert css, "the home page links the hashed stylesheet"
        status, headers, body = get(server.port, css.group(1).decode(), {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert b":root" in gzip.decompress(body)
    assert "immutable" in headers["cache-control"]
    assert int(re.search(r"max-age=(\d+)", headers["cache-control"]).group(1)) >= 365 * 86400  # type: ignore[union-attr]


def test_it_logs_json_when_asked(tmp_path: Path) -> None:
    """Every line, from the first (migrations, static files, where it serves) to the last."""
    with serving(tmp_path / "data", {"BITPOLL_LOG_FORMAT": "json"}) as server:
        get(server.port, "/healthz")
        server.stop()
        lines = server.log().splitlines()
    entries = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert entries[0]["logger"] == "bitpoll.serve"
    assert any("serving on" in entry["message"] for entry in entries)
    access = [entry for entry in entries if entry["logger"] == "gunicorn.access"]
    assert any(entry["path"] == "/healthz" and entry["status"] == "200" for entry in access)


def test_the_log_level_governs_access_lines(tmp_path: Path) -> None:
    with serving(tmp_path / "data", {"BITPOLL_LOG_LEVEL": "warning"}) as server:
        assert get(server.port, "/healthz")[0] == 200
        assert get(server.port, "/no-such-page/here/")[0] == 404
        server.stop()
        log = server.log()
    assert "/healthz" not in log
    assert "GET" not in log
    assert " INFO " not in log


def test_it_refuses_an_unknown_host_with_a_page_and_one_log_line(tmp_path: Path) -> None:
    with serving(tmp_path / "data") as server:
        for _ in range(2):
            status, _, body = get(server.port, "/", {"Host": "polls.example.org"})
            assert status == 400
        server.stop()
        log = server.log()
    assert b"This site is not served under this name" in body
    assert b"BITPOLL_ALLOWED_HOSTS" in body
    refusals = [line for line in log.splitlines() if "polls.example.org" in line]
    assert len(refusals) == 2, log
    assert all("BITPOLL_ALLOWED_HOSTS" in line for line in refusals)
    assert "Traceback" not in log
    assert " ALLOWED_HOSTS" not in log  # only our variable's name, never Django's setting


def test_it_trusts_no_forwarded_proto_without_behind_proxy(tmp_path: Path) -> None:
    """Even from loopback: anything on this machine could otherwise claim https."""
    env = {
        "BITPOLL_BASE_URL": "https://polls.example.org",
        "BITPOLL_ALLOWED_HOSTS": "localhost,127.0.0.1",
    }
    with serving(tmp_path / "data", env) as server:
        _, headers, _ = get(server.port, "/", {"Host": "localhost", "X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in headers


def test_it_trusts_no_forwarded_proto_on_a_unix_socket_without_behind_proxy(
    tmp_path: Path,
) -> None:
    sock_path = tmp_path / "bitpoll.sock"
    env = clean_env(
        tmp_path / "data",
        BITPOLL_BIND=f"unix:{sock_path}",
        BITPOLL_SECRET_KEY=secrets.token_urlsafe(48),
        BITPOLL_BASE_URL="https://polls.example.org",
        BITPOLL_ALLOWED_HOSTS="localhost",
    )
    process = subprocess.Popen([*BITPOLL, "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        reply = unix_get(sock_path, b"X-Forwarded-Proto: https\r\n")
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0
    assert reply.startswith(b"HTTP/1.1 200") or reply.startswith(b"HTTP/1.0 200")
    assert b"strict-transport-security" not in reply.lower()


def unix_get(sock_path: Path, extra_headers: bytes = b"") -> bytes:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sock_path.exists():
            with socket.socket(socket.AF_UNIX) as client:
                try:
                    client.connect(str(sock_path))
                except OSError:
                    time.sleep(0.05)
                    continue
                client.sendall(
                    b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n" + extra_headers + b"\r\n"
                )
                reply = b""
                while chunk := client.recv(4096):
                    reply += chunk
                return reply
        time.sleep(0.05)
    raise TimeoutError("no answer on the unix socket")


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded_for", "remote"),
    [
        ("true", "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the entry the proxy appended
        ("true", "2001:db8::1", "2001:db8::1"),
        ("true", "not-an-address", "127.0.0.1"),
        ("false", "203.0.113.9", "127.0.0.1"),
    ],
)
def test_it_takes_the_client_address_from_the_proxy_only_behind_one(
    tmp_path: Path, behind_proxy: str, forwarded_for: str, remote: str
) -> None:
    """REMOTE_ADDR is what rate limits and the access log use; it must be the client's."""
    env = {"BITPOLL_BEHIND_PROXY": behind_proxy, "BITPOLL_LOG_FORMAT": "json"}
    with serving(tmp_path / "data", env) as server:
        assert get(server.port, "/healthz?probe", {"X-Forwarded-For": forwarded_for})[0] == 200
        server.stop()
        entries = [json.loads(line) for line in server.log().splitlines()]
    (probe,) = [e for e in entries if e["logger"] == "gunicorn.access" and "probe" in e["message"]]
    assert probe["remote"] == remote


def test_it_exits_zero_on_sigterm(tmp_path: Path) -> None:
    with serving(tmp_path / "data") as server:
        assert server.stop(signal.SIGTERM) == 0


def test_it_listens_on_a_unix_socket(tmp_path: Path) -> None:
    sock_path = tmp_path / "bitpoll.sock"
    env = clean_env(
        tmp_path / "data", BITPOLL_BIND=f"unix:{sock_path}", BITPOLL_SECRET_KEY="k" * 60
    )
    process = subprocess.Popen([*BITPOLL, "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        reply = b""
        for _ in range(600):
            if sock_path.exists():
                with socket.socket(socket.AF_UNIX) as client:
                    try:
                        client.connect(str(sock_path))
                    except OSError:
                        time.sleep(0.05)
                        continue
                    client.sendall(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
                    reply = client.recv(4096)
                    break
            time.sleep(0.05)
        assert reply.startswith(b"HTTP/1.0 200") or reply.startswith(b"HTTP/1.1 200")
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0


def test_it_tells_systemd_when_ready(tmp_path: Path) -> None:
    notify_path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(notify_path))
        notify.settimeout(60)
        with serving(tmp_path / "data", {"NOTIFY_SOCKET": str(notify_path)}):
            message = notify.recv(4096)
    assert b"READY=1" in message


def test_it_survives_sighup_under_load_without_a_failed_request(tmp_path: Path) -> None:
    with serving(tmp_path / "data") as server:
        failures: list[str] = []
        done = threading.Event()
        count = 0

        def hammer() -> None:
            nonlocal count
            deadline = time.monotonic() + 60
            while not done.is_set() and time.monotonic() < deadline and count < 5000:
                try:
                    status = get(server.port, "/")[0]
                    if status != 200:
                        failures.append(f"status {status}")
                except OSError as exc:
                    failures.append(repr(exc))
                count += 1

        workers_before = worker_pids(server.process.pid)
        thread = threading.Thread(target=hammer)
        thread.start()
        for _ in range(2):
            server.process.send_signal(signal.SIGHUP)
            old = workers_before
            wait_for(lambda old=old: worker_pids(server.process.pid).isdisjoint(old))  # type: ignore[misc]
            workers_before = worker_pids(server.process.pid)
        done.set()
        thread.join()
    assert count > 0
    assert failures == []


def worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()


def wait_for(condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


def start_with_socket(
    listener: socket.socket, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """Start `bitpoll serve` the way systemd does: the socket as fd 3, LISTEN_PID of the child."""
    fd = listener.fileno()

    def as_fd_3() -> None:
        os.dup2(fd, 3)
        os.set_inheritable(3, True)

    # sh replaces itself with Python, so $$ is the PID that Python will have.
    command = 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"'
    with open(log, "ab") as out:
        return subprocess.Popen(
            ["/bin/sh", "-c", command, "sh", *BITPOLL, "serve"],
            env=env,
            preexec_fn=as_fd_3,
            pass_fds=(3,),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_it_restarts_on_a_held_socket_without_a_failed_request(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    env = clean_env(
        tmp_path / "data", BITPOLL_SECRET_KEY="s" * 30 + "ocket-activation-secret-0123456789"
    )
    log = tmp_path / "serve.log"
    process = start_with_socket(listener, env, log)
    wait_until_healthy(port, process)

    failures: list[str] = []
    done = threading.Event()
    count = 0

    def hammer() -> None:
        nonlocal count
        deadline = time.monotonic() + 120
        while not done.is_set() and time.monotonic() < deadline and count < 20000:
            try:
                status = get(port, "/healthz", timeout=30)[0]
                if status != 200:
                    failures.append(f"status {status}")
            except OSError as exc:
                failures.append(repr(exc))
            count += 1

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        for _ in range(5):
            before = count
            wait_for(lambda before=before: count > before + 5)  # type: ignore[misc]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
            process = start_with_socket(listener, env, log)
        wait_until_healthy(port, process)
    finally:
        done.set()
        thread.join()
        process.terminate()
        process.wait(timeout=60)
        listener.close()
    assert count > 0
    assert failures == [], log.read_text()[-3000:]


class _Worker:
    alive = True


@pytest.mark.parametrize("queued", [[], [signal.SIGTERM]])
def test_a_worker_stopped_before_gunicorn_set_it_up_does_not_serve(
    queued: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """gunicorn installs a worker's signal handlers late; a stop in between must not be lost."""
    import queue

    from bitpoll.core.management.commands import serve
    from bitpoll.core.sqlite import base as sqlite_base

    monkeypatch.setattr(sqlite_base, "_background", None)  # the hook also sets this

    class Master:
        SIG_QUEUE: queue.SimpleQueue[int] = queue.SimpleQueue()

    for signum in queued:  # arrived between the fork and the hook, into the master's handler
        Master.SIG_QUEUE.put_nowait(signum)
    saved = {s: signal.getsignal(s) for s in serve.STOP_SIGNALS}
    worker = _Worker()
    try:
        serve._post_fork(Master(), worker)
        if not queued:
            assert worker.alive
            os.kill(os.getpid(), signal.SIGTERM)  # arrives after the hook, before gunicorn's
            time.sleep(0.05)
        assert not worker.alive
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
