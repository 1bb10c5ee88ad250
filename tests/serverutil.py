"""Start the installed `bitpoll` command as a real process, the way administrators run it."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from privileges import without_root_powers

BITPOLL = [sys.executable, "-m", "bitpoll"]
READY_TIMEOUT = 60.0


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """An environment with no BITPOLL_* leaking in from the test process, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BITPOLL_", "DJANGO_"))}
    for name in ("LISTEN_FDS", "LISTEN_PID", "NOTIFY_SOCKET", "CREDENTIALS_DIRECTORY"):
        env.pop(name, None)
    env["BITPOLL_DATA_DIR"] = str(data_dir)
    if "BITPOLL_DATABASE_URL" in os.environ and "BITPOLL_DATABASE_URL" not in extra:
        # The PostgreSQL run of the suite serves from PostgreSQL too.
        env["BITPOLL_DATABASE_URL"] = os.environ["BITPOLL_DATABASE_URL"]
        if "BITPOLL_DATABASE_PASSWORD" in os.environ:
            env["BITPOLL_DATABASE_PASSWORD"] = os.environ["BITPOLL_DATABASE_PASSWORD"]
    env.update(extra)
    return env


def run_bitpoll(
    args: list[str], env: Mapping[str, str], timeout: float = 120, unprivileged: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the installed command; `unprivileged` binds it by file permissions even as root."""
    argv = [*BITPOLL, *args]
    return subprocess.run(
        without_root_powers(argv) if unprivileged else argv,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(
    port: int, path: str, headers: Mapping[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """One GET on a fresh connection; returns status, headers (lower-case names) and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def wait_until_healthy(
    port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = READY_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"bitpoll serve exited with {process.returncode} before it was ready"
            )
        try:
            if get(port, "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"bitpoll serve did not answer /healthz within {timeout} s")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@contextmanager
def serving(
    data_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    args: list[str] | None = None,
    port: int | None = None,
) -> Iterator[Server]:
    # A caller passes `port` when something must know the address first (an OIDC provider
    # registering the callback URL).
    port = port or free_port()
    # extra_env may bring its own secret key: servers sharing one database share it.
    env = clean_env(
        data_dir,
        BITPOLL_BIND=f"127.0.0.1:{port}",
        **{"BITPOLL_SECRET_KEY": secrets.token_urlsafe(48), **dict(extra_env or {})},
    )
    log_path = data_dir.parent / f"serve-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*BITPOLL, "serve", *(args or [])], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(process=process, port=port, data_dir=data_dir, log_path=log_path, env=env)
    try:
        wait_until_healthy(port, process)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
