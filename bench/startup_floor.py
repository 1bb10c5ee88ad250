"""The floor under bitpoll's cold start: how long the smallest honest Django project that
does what `bench/startup.py` measures takes from exec to its first 200, beside `bitpoll serve`.

Usage: python bench/startup_floor.py [--runs 7] [--python PATH]

The floor project is built in a temporary directory: one app with one model on SQLite, i18n
on (LocaleMiddleware, two languages), Django's default middleware and template context
processors, and one view that reads one row and renders one template with a form and
{% csrf_token %}. It is served by gunicorn as `bitpoll serve` serves Bitpoll: two sync workers,
the application preloaded in the master. Unlike Bitpoll it warms nothing before the fork (the
first request imports the view and compiles the template in the worker), has no WhiteNoise,
no checks at start, no page cache.

Four variants, interleaved run by run so that a change in the machine's load hits them
alike, every one on an existing (migrated) database with its bytecode compiled first:
  bitpoll         `bitpoll serve` to the first 200 of a poll page (as bench/startup.py);
  floor           the floor project with the contrib apps Bitpoll installs (admin, auth,
                  contenttypes, sessions, messages, staticfiles) and the admin's URLs;
  floor-no-admin  the same without the admin (the contrib apps a minimal project needs);
  floor-gc-frozen floor-no-admin with the garbage collector off while the application
                  loads and the heap frozen before the fork, as `bitpoll serve` does.
Prints each variant's runs, minimum and median, and the load average during the runs; and
the CPU time its processes (master and workers) used from exec to exit, which a busy machine
disturbs less than the wall time (it includes the shutdown, which is small).
--python PATH serves all four with that interpreter (a venv's python with Bitpoll
installed) instead of the one running this script.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# Run as a script, bench/ is on sys.path: share the other start-up benchmarks' helpers.
from run import compile_bytecode, free_port, request
from startup import restart_data

# A variant: given a port, the command to run, its environment and the path to ask for.
Variant = Callable[[int], tuple[list[str], dict[str, str], str]]

SETTINGS = """
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ["FLOOR_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "floorapp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
FLOOR_ADMIN = os.environ.get("FLOOR_ADMIN") == "1"
if not FLOOR_ADMIN:
    INSTALLED_APPS.remove("django.contrib.admin")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "floorsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "floorsite.wsgi.application"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "German")]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
STATIC_URL = "/static/"
"""

URLS = """
from django.conf import settings
from django.urls import path

from floorapp import views

urlpatterns = [path("<slug:slug>/", views.page)]
if settings.FLOOR_ADMIN:
    from django.contrib import admin

    urlpatterns.insert(0, path("admin/", admin.site.urls))
"""

WSGI = """
import gc
import os

# FLOOR_GC_FROZEN: the collector off while the application loads, then the heap frozen and
# the collector on again, as `bitpoll serve` does before it forks.
frozen = os.environ.get("FLOOR_GC_FROZEN") == "1"
if frozen:
    gc.disable()

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "floorsite.settings")
application = get_wsgi_application()
if frozen:
    gc.freeze()
    gc.enable()
"""

MODELS = """
from django.db import models


class Item(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
"""

VIEWS = """
from django import forms
from django.shortcuts import get_object_or_404, render

from floorapp.models import Item


class AnswerForm(forms.Form):
    name = forms.CharField(max_length=80)
    choice = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect)


def page(request, slug):
    item = get_object_or_404(Item, slug=slug)
    return render(request, "floorapp/page.html", {"item": item, "form": AnswerForm()})
"""

TEMPLATE = """{% load i18n %}<!doctype html>
<html lang="{{ LANGUAGE_CODE }}">
<head><meta charset="utf-8"><title>{{ item.title }}</title></head>
<body>
<h1>{{ item.title }}</h1>
<form method="post">{% csrf_token %}
{{ form }}
<button type="submit">{% translate "Save" %}</button>
</form>
</body>
</html>
"""


def build_floor(root: Path, python: str) -> tuple[dict[str, str], str]:
    """Write the floor project into `root`, migrate its database and add the row its view
    reads; return the environment to serve it with and the row's slug."""
    files = {
        "floorsite/__init__.py": "",
        "floorsite/settings.py": SETTINGS,
        "floorsite/urls.py": URLS,
        "floorsite/wsgi.py": WSGI,
        "floorapp/__init__.py": "",
        "floorapp/models.py": MODELS,
        "floorapp/views.py": VIEWS,
        "floorapp/migrations/__init__.py": "",
        "floorapp/templates/floorapp/page.html": TEMPLATE,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.lstrip())
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BITPOLL_", "DJANGO_")) and k != "PYTHONPATH"
    }
    env.update(
        PYTHONPATH=str(root),
        DJANGO_SETTINGS_MODULE="floorsite.settings",
        FLOOR_SECRET_KEY=secrets.token_urlsafe(48),
        FLOOR_ADMIN="1",
    )
    django_admin = [python, "-m", "django"]
    subprocess.run([*django_admin, "makemigrations", "floorapp", "-v0"], env=env, check=True)
    subprocess.run([*django_admin, "migrate", "-v0"], env=env, check=True)
    slug = "start-up"
    subprocess.run(
        [
            python,
            "-c",
            "import django; django.setup()\n"
            "from floorapp.models import Item\n"
            f"Item.objects.create(slug={slug!r}, title='Start-up')",
        ],
        env=env,
        check=True,
    )
    subprocess.run([python, "-m", "compileall", "-q", str(root)], check=True)
    return env, slug


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def first_200(
    command: list[str], env: dict[str, str], port: int, path: str
) -> tuple[float, float, bytes]:
    """Seconds from exec of `command` to the first 200 for `path`, the CPU seconds its
    processes used from exec to exit (it is stopped after that response), and the body."""
    cpu_before = cpu_of_children()
    started = time.perf_counter()
    wall = 0.0
    body = b""
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < 120:
            if process.poll() is not None:
                raise RuntimeError(f"{' '.join(command)} exited before it was ready")
            try:
                status, _headers, body = request(port, path)
            except OSError:
                time.sleep(0.005)
                continue
            if status == 200:
                wall = time.perf_counter() - started
                break
        else:
            raise TimeoutError(f"{' '.join(command)} did not become ready")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    # Reaped: its CPU time (with its reaped workers') is now in RUSAGE_CHILDREN.
    return wall, cpu_of_children() - cpu_before, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", default=sys.executable, metavar="PATH")
    args = parser.parse_args()
    python = args.python
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="bitpoll-floor-") as tmp:
        root = Path(tmp)
        (root / "floor").mkdir()
        bitpoll_env, poll = restart_data(root, python=python)
        floor_env, slug = build_floor(root / "floor", python)

        def bitpoll(port: int) -> tuple[list[str], dict[str, str], str]:
            env = {**bitpoll_env, "BITPOLL_BIND": f"127.0.0.1:{port}"}
            return [python, "-m", "bitpoll", "serve"], env, f"/{poll}/"

        def floor(admin: bool, gc_frozen: bool = False) -> Variant:
            def variant(port: int) -> tuple[list[str], dict[str, str], str]:
                command = [
                    python,
                    "-m",
                    "gunicorn",
                    "--workers=2",
                    "--worker-class=sync",
                    "--preload",
                    f"--bind=127.0.0.1:{port}",
                    "floorsite.wsgi",
                ]
                env = {
                    **floor_env,
                    "FLOOR_ADMIN": "1" if admin else "0",
                    "FLOOR_GC_FROZEN": "1" if gc_frozen else "0",
                }
                return command, env, f"/{slug}/"

            return variant

        variants: dict[str, Variant] = {
            "bitpoll": bitpoll,
            "floor": floor(admin=True),
            "floor-no-admin": floor(admin=False),
            "floor-gc-frozen": floor(admin=False, gc_frozen=True),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        load = [os.getloadavg()[0]]
        for _ in range(args.runs):
            for name, variant in variants.items():
                port = free_port()
                command, env, path = variant(port)
                seconds, used, body = first_200(command, env, port, path)
                # The page is the one meant: the row read, the form and its CSRF token.
                if b"Start-up" not in body or b"csrfmiddlewaretoken" not in body:
                    raise RuntimeError(f"{name}: the first 200 is not the expected page")
                times[name].append(seconds)
                cpu[name].append(used)
            load.append(os.getloadavg()[0])
    print(
        f"{python}, {args.runs} runs each, interleaved; load average {min(load):.1f}-{max(load):.1f}"
    )
    for name, runs in times.items():
        listed = ", ".join(f"{seconds * 1000:.0f}" for seconds in runs)
        print(
            f"{name:15} min {min(runs) * 1000:4.0f} ms, median {statistics.median(runs) * 1000:4.0f} ms"
            f"  ({listed})"
        )
    print("CPU of all its processes, exec to exit:")
    for name, runs in cpu.items():
        listed = ", ".join(f"{seconds * 1000:.0f}" for seconds in runs)
        print(
            f"{name:15} min {min(runs) * 1000:4.0f} ms, median {statistics.median(runs) * 1000:4.0f} ms"
            f"  ({listed})"
        )


if __name__ == "__main__":
    main()
