"""Where the cold start goes: `bitpoll serve` from exec to the first 200 of a poll page, stage by
stage, with the master's CPU time before the fork and the worker's for its first request.

Usage: python bench/startup_stages.py [--runs 10] [--other-src DIR]

Each run starts the server through a small wrapper that stamps each stage (wall time since the
client started the process, and the process's CPU time): Python running, Django's setup done
(serve's handle), the WSGI handler built (serve's checks, lock, migration and static tests,
gunicorn's set-up, then the middleware), every view imported, the poll page's templates warmed, the fork, and the first request in the worker. With
--other-src (a `src` directory of another checkout, e.g. `main`'s), runs alternate between that
code (first on PYTHONPATH) and this one, so that a change in the machine's load hits both alike.
Prints the minimum and the median of each stage per code. The figures are for reading side by
side: on a shared machine the same code's times vary by half.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import compile_bytecode, free_port, request
from startup import restart_data

WRAPPER = r"""
import os, sys, time

def stamp(name):
    os.write(2, f"STAGE {name} {time.time():.6f} {time.process_time() * 1000:.1f}\n".encode())

stamp("python")
forked = []
def before_fork():
    if not forked:
        forked.append(True)
        stamp("fork")
os.register_at_fork(before=before_fork)

def after(module, name, label):
    original = getattr(module, name)
    def wrapped(*args, **kwargs):
        result = original(*args, **kwargs)
        stamp(label)
        return result
    setattr(module, name, wrapped)

def before(module, name, label):
    original = getattr(module, name)
    def wrapped(*args, **kwargs):
        stamp(label)
        return original(*args, **kwargs)
    setattr(module, name, wrapped)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bitpoll.settings")
import django.core.wsgi
from bitpoll.core.management.commands import serve
handle = serve.Command.handle
def traced_handle(self, *args, **options):
    stamp("setup")
    from bitpoll.polls import pagecache  # needs the apps loaded
    after(django.core.wsgi, "get_wsgi_application", "handler")
    before(pagecache, "warm_up", "views")
    after(pagecache, "warm_up", "templates")
    before(serve, "freeze_heap", "warm-ups")
    return handle(self, *args, **options)
serve.Command.handle = traced_handle
load = serve.BitpollServer.load
def traced_load(self):
    application = load(self)
    def first(environ, start_response):
        stamp("request>")
        try:
            return application(environ, start_response)
        finally:
            stamp("request<")
    return first
serve.BitpollServer.load = traced_load
from bitpoll.__main__ import main
main(["serve"])
"""

STAGES = ("python", "setup", "handler", "views", "templates", "warm-ups", "fork")


def one_run(env: dict[str, str], wrapper: Path, slug: str) -> dict[str, float]:
    port = free_port()
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, str(wrapper)],
        env={**env, "BITPOLL_BIND": f"127.0.0.1:{port}"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"bitpoll serve exited before it was ready: {process.stderr.read() if process.stderr else ''}"[
                        -2000:
                    ]
                )
            try:
                if request(port, f"/{slug}/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.005)
        total = (time.time() - started) * 1000
        time.sleep(0.1)  # the worker's last stamp
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for line in err.splitlines():
        if line.startswith("STAGE "):
            _tag, name, at, used = line.split()
            wall.setdefault(name, (float(at) - started) * 1000)
            cpu.setdefault(name, float(used))
    figures = {f"{name} (wall)": wall[name] for name in STAGES if name in wall}
    previous = 0.0
    for name in STAGES:
        if name in cpu:
            figures[f"  {name}: CPU of the stage"] = cpu[name] - previous
            previous = cpu[name]
    figures["master's CPU before the fork"] = cpu["fork"]
    figures["first request: CPU in the worker"] = cpu["request<"] - cpu["request>"]
    figures["first 200 (wall)"] = total
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--other-src", type=Path, help="another checkout's src directory")
    args = parser.parse_args()
    compile_bytecode()
    codes = {"this": None}
    if args.other_src:
        other = args.other_src.resolve()
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(other)], check=True)
        codes = {"other": str(other), "this": None}
    with tempfile.TemporaryDirectory(prefix="bitpoll-bench-") as tmp:
        env, slug = restart_data(Path(tmp), without=("PYTHONPATH",))
        wrapper = Path(tmp) / "wrapper.py"
        wrapper.write_text(WRAPPER)
        results: dict[str, list[dict[str, float]]] = {code: [] for code in codes}
        load = [os.getloadavg()[0]]
        for _ in range(args.runs):
            for code, src in codes.items():
                run_env = env if src is None else {**env, "PYTHONPATH": src}
                results[code].append(one_run(run_env, wrapper, slug))
            load.append(os.getloadavg()[0])
    print(f"{args.runs} runs each, load average {min(load):.1f}-{max(load):.1f}; ms, min / median")
    names = list(results["this"][0])
    header = "".join(f"{code:>18}" for code in codes)
    print(f"{'':40}{header}")
    for name in names:
        cells = ""
        for code in codes:
            values = [run[name] for run in results[code]]
            cells += f"{min(values):8.0f} /{statistics.median(values):6.0f}  "
        print(f"{name:40}{cells}")


if __name__ == "__main__":
    main()
