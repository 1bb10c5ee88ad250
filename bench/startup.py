"""Cold start: time from starting `bitpoll serve` on an existing database to the first 200.

Usage: python bench/startup.py [--runs 5]
Prints each run and the median; the target on a 2-core machine is under 1 second.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 1.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthz(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status
    finally:
        conn.close()


def one_run(env: dict[str, str]) -> float:
    port = free_port()
    env = {**env, "BITPOLL_BIND": f"127.0.0.1:{port}"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bitpoll", "serve"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = started + 60
        while time.perf_counter() < deadline:
            try:
                if healthz(port) == 200:
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.005)
        raise TimeoutError("no answer within 60 s")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bitpoll-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BITPOLL_")}
        env.update(
            BITPOLL_DATA_DIR=str(Path(tmp) / "data"), BITPOLL_SECRET_KEY=secrets.token_urlsafe(48)
        )
        # The database exists and is migrated, static files are collected: a restart, not an install.
        subprocess.run([sys.executable, "-m", "bitpoll", "migrate", "-v0"], env=env, check=True)
        subprocess.run(
            [sys.executable, "-m", "bitpoll", "collectstatic", "--noinput", "-v0"],
            env=env,
            check=True,
        )
        times = [one_run(env) for _ in range(args.runs)]
    for number, seconds in enumerate(times, 1):
        print(f"run {number}: {seconds * 1000:.0f} ms")
    median = statistics.median(times)
    print(f"median start to first 200 over {len(times)} runs: {median * 1000:.0f} ms")
    verdict = "met" if median < TARGET_SECONDS else "not met"
    print(f"target: cold start < {TARGET_SECONDS * 1000:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
