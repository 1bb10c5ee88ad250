"""`bitpoll serve` as a real process: answers, headers, static files, signals, socket activation."""

from __future__ import annotations

import gzip
import json
import os
import re
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
    with serving(tmp_path / "data", {"BITPOLL_LOG_FORMAT": "json"}) as server:
        get(server.port, "/healthz")
        server.stop()
        lines = [line for line in server.log().splitlines() if line.startswith("{")]
    access = [json.loads(line) for line in lines if '"gunicorn.access"' in line]
    assert any(entry["path"] == "/healthz" and entry["status"] == "200" for entry in access)


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
