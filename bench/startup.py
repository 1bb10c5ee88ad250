"""Cold start: time from starting `bitpoll serve` on an existing database to the first 200.

Usage: python bench/startup.py [--runs 5]
Prints each run and the median; the target on a 2-core machine is under 1 second.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, bench/ is on sys.path: share run.py's server helpers.
from run import free_port, wait_healthy

TARGET_SECONDS = 1.0


def one_run(env: dict[str, str]) -> float:
    port = free_port()
    env = {**env, "BITPOLL_BIND": f"127.0.0.1:{port}"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bitpoll", "serve"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        return wait_healthy(port, process, started)
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
