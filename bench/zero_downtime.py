"""Zero downtime: restarts and reloads under load, with the listening socket held by a parent.

The parent process here plays systemd's socket unit: it owns the listening socket and hands it
to `bitpoll serve` as fd 3 (LISTEN_FDS=1, LISTEN_PID of the child). While clients keep reading
the poll page and posting answers, the server is restarted (SIGTERM, wait, start again) and
reloaded (SIGHUP) several times. Connections that arrive while no server runs wait in the
socket's backlog instead of being refused. Prints request counts, failures (the goal is 0) and
latency figures, the worst latency being the pause a user could notice.

Usage: python bench/zero_downtime.py [--restarts 5] [--reloads 5] [--clients 4]
       [--database-url postgresql://...]   (default: SQLite in a temporary directory)
Exit status 1 if any request failed.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

BITPOLL = [sys.executable, "-m", "bitpoll"]
MAX_REQUESTS = 200_000
MAX_SECONDS = 900.0


def bitpoll(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(
        [*BITPOLL, *args], env=env, capture_output=True, text=True, check=True, timeout=300
    ).stdout


def start(listener: socket.socket, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    fd = listener.fileno()

    def as_fd_3() -> None:
        os.dup2(fd, 3)
        os.set_inheritable(3, True)

    with open(log, "ab") as out:
        return subprocess.Popen(
            ["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', "sh", *BITPOLL, "serve"],
            env=env,
            preexec_fn=as_fd_3,
            pass_fds=(3,),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class Load:
    def __init__(self, port: int, slug: str, options: list[int], choices: list[int]) -> None:
        self.port, self.slug, self.options, self.choices = port, slug, options, choices
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.stop = threading.Event()

    @property
    def count(self) -> int:
        return len(self.latencies) + len(self.failures)

    def request(self, cookies: dict[str, str], method: str, path: str, form: dict[str, str] | None):
        headers = {"Connection": "close"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = cookies.get("csrftoken", "")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            for raw in response.msg.get_all("Set-Cookie") or []:
                jar = http.cookies.SimpleCookie()
                jar.load(raw)
                cookies.update({name: morsel.value for name, morsel in jar.items()})
            return response.status
        finally:
            conn.close()

    def client(self, c: int) -> None:
        cookies: dict[str, str] = {}
        deadline = time.monotonic() + MAX_SECONDS
        n = 0
        while not self.stop.is_set() and time.monotonic() < deadline and self.count < MAX_REQUESTS:
            n += 1
            if n % 2:
                method, path, form, expected = "GET", f"/{self.slug}/", None, 200
            else:
                form = {"name": f"z{c}-{n}"}
                for i, option in enumerate(self.options):
                    form[f"o{option}"] = str(self.choices[(n + i) % len(self.choices)])
                method, path, expected = "POST", f"/{self.slug}/answer/", 302
            began = time.monotonic()
            try:
                status = self.request(cookies, method, path, form)
                outcome = None if status == expected else f"{method} {path}: {status}"
            except OSError as exc:
                outcome = f"{method} {path}: {exc!r}"
            with self.lock:
                if outcome:
                    self.failures.append(outcome)
                else:
                    self.latencies.append(time.monotonic() - began)

    def wait_for_more(self, how_many: int) -> None:
        """Block until `how_many` more requests completed (bounded), so each event is under load."""
        target = self.count + how_many
        deadline = time.monotonic() + 120
        while self.count < target:
            if time.monotonic() > deadline:
                raise TimeoutError("the load stalled")
            time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--reloads", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bitpoll-zero-downtime-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BITPOLL_", "LISTEN_"))}
    env.update(
        BITPOLL_DATA_DIR=str(root / "data"),
        BITPOLL_SECRET_KEY=secrets.token_urlsafe(48),
        BITPOLL_LOG_LEVEL="warning",
    )
    if args.database_url:
        env["BITPOLL_DATABASE_URL"] = args.database_url
    bitpoll(["migrate", "-v0"], env)
    created = bitpoll(
        [
            "shell",
            "-c",
            "import json\nfrom bitpoll.polls import services\n"
            "from bitpoll.polls.options import ParsedOption\n"
            "p, _ = services.create_poll(title='Zero downtime', description='', kind='text', "
            "time_zone='UTC', options=[ParsedOption(text=t) for t in 'abc'])\n"
            "print(json.dumps([p.slug, list(p.options.values_list('pk', flat=True)), "
            "list(p.choices.values_list('pk', flat=True))]))",
        ],
        env,
    )
    slug, options, choices = json.loads(created.strip().splitlines()[-1])

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    log = root / "serve.log"
    process = start(listener, env, log)
    load = Load(port, slug, options, choices)
    threads = [threading.Thread(target=load.client, args=(c,)) for c in range(args.clients)]
    for thread in threads:
        thread.start()
    events: list[tuple[str, float]] = []
    try:
        load.wait_for_more(20)
        for _ in range(args.restarts):
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            if process.wait(timeout=120) != 0:
                print(f"server exited with {process.returncode}", file=sys.stderr)
            process = start(listener, env, log)
            load.wait_for_more(20)
            events.append(("restart", time.monotonic() - began))
        for _ in range(args.reloads):
            began = time.monotonic()
            process.send_signal(signal.SIGHUP)
            load.wait_for_more(40)
            events.append(("reload", time.monotonic() - began))
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=120)
        process.terminate()
        process.wait(timeout=120)
        listener.close()

    lat = sorted(load.latencies)
    print(f"backend: {'postgresql' if args.database_url else 'sqlite'}; clients: {args.clients}")
    print(f"restarts: {args.restarts}, reloads (SIGHUP): {args.reloads}")
    print(f"requests: {load.count}, failed: {len(load.failures)}")
    if lat:
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(
            f"latency: median {statistics.median(lat) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"worst {lat[-1] * 1000:.0f} ms"
        )
    for name, seconds in events:
        print(f"  {name}: {seconds * 1000:.0f} ms until 20+ more requests were served")
    for failure in load.failures[:10]:
        print(f"  failure: {failure}")
    print(f"log: {log}")
    return 1 if load.failures else 0


if __name__ == "__main__":
    sys.exit(main())
