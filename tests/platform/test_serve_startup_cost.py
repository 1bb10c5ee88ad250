"""What `bitpoll serve` does before it forks its workers, kept small (issue 16: cold start).

The figures are in bench/startup.py; these tests keep the measures from coming undone: the
garbage collector is off while the server starts and on again once its heap is frozen, and the
libraries only some sites use are not imported on the way.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

import pytest

from serverutil import clean_env, run_bitpoll

# Runs the steps of `bitpoll serve` up to the fork (BitpollServer.load) without serving, and
# reports what a worker would inherit.
UP_TO_THE_FORK = """
import dataclasses, gc, json, sys
from unittest import mock

# Each dataclass costs its module about a millisecond to build (its methods are generated
# source, compiled one by one): recorded before anything of Bitpoll's is imported.
made = []
process_class = dataclasses._process_class
def recording(cls, *args, **kwargs):
    made.append(f"{cls.__module__}.{cls.__qualname__}")
    return process_class(cls, *args, **kwargs)
dataclasses._process_class = recording

from bitpoll import __main__ as entry

seen = {"dataclasses": made}

def fake_execute(argv):
    seen["collector_during_start_up"] = gc.isenabled()
    import django
    django.setup()
    from bitpoll.core.management.commands.serve import BitpollServer
    server = BitpollServer.__new__(BitpollServer)
    BitpollServer.load(server)
    seen["collector_after_load"] = gc.isenabled()
    seen["frozen"] = gc.get_freeze_count()
    from bitpoll.polls import forms
    seen["zones_listed"] = forms.time_zones.cache_info().currsize
    from bitpoll.polls.models import _default_labels, _source_labels
    seen["labels_loaded"] = _default_labels.cache_info().currsize
    seen["sources_loaded"] = _source_labels.cache_info().currsize
    from django.urls import get_resolver
    from django.utils.translation import trans_real
    seen["catalogs"] = sorted(trans_real._translations)
    seen["url_maps"] = sorted(get_resolver()._reverse_dict)
    from django.template import engines
    cached = engines["django"].engine.template_loaders[0].get_template_cache
    seen["templates"] = sorted(str(name) for name in cached)
    seen["modules"] = sorted(sys.modules)

with mock.patch("django.core.management.execute_from_command_line", fake_execute):
    entry.main(sys.argv[1:])
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def served_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data directory with its static files collected, as serve finds it on a restart."""
    data = tmp_path_factory.mktemp("startup") / "data"
    env = clean_env(data, BITPOLL_SECRET_KEY=secrets.token_urlsafe(48))
    collected = run_bitpoll(["collectstatic", "--noinput", "-v0"], env)
    assert collected.returncode == 0, collected.stderr
    return env


def up_to_the_fork(env: dict[str, str], *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", UP_TO_THE_FORK, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return result


def test_serve_starts_with_the_collector_off_and_forks_with_it_on(
    served_env: dict[str, str],
) -> None:
    seen = up_to_the_fork(served_env, "serve")
    assert seen["collector_during_start_up"] is False
    assert seen["collector_after_load"] is True
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 10_000


def test_other_commands_keep_the_collector(served_env: dict[str, str]) -> None:
    seen = up_to_the_fork(served_env, "check")
    assert seen["collector_during_start_up"] is True


def test_start_up_imports_no_single_sign_on_nor_backup_code_nor_lists_time_zones(
    served_env: dict[str, str],
) -> None:
    seen = up_to_the_fork(served_env, "serve")
    modules = seen["modules"]
    assert isinstance(modules, list)
    # Every view is imported before the fork (sso_views included), the OIDC libraries not.
    assert "bitpoll.accounts.sso_views" in modules
    assert "bitpoll.polls.admin_views" in modules
    loaded = {name.split(".")[0] for name in modules}
    assert "joserfc" not in loaded
    assert "cryptography" not in loaded
    # Backups and snapshots (bitpoll.ops.archive) are written by other commands, or by serve
    # only when it migrates.
    assert "tarfile" not in loaded
    assert "bitpoll.ops.archive" not in modules
    assert seen["zones_listed"] == 0


def test_start_up_builds_few_dataclasses(served_env: dict[str, str]) -> None:
    # Records that every process builds when it starts are NamedTuples (their class is made
    # with one small generated function, not five or six); a dataclass stays where a record
    # has a cached property, defaults made per instance, or a field named like a tuple method.
    seen = up_to_the_fork(served_env, "serve")
    made = seen["dataclasses"]
    assert isinstance(made, list)
    ours = sorted(name for name in made if name.startswith("bitpoll."))
    assert ours == [
        "bitpoll.conf.Rate",
        "bitpoll.polls.pagecache.Page",
        "bitpoll.polls.pagecache.Stretch",
    ]


def test_the_poll_page_is_prepared_before_the_fork(served_env: dict[str, str]) -> None:
    seen = up_to_the_fork(served_env, "serve")
    templates = seen["templates"]
    assert isinstance(templates, list)
    # Included only when a poll has options, answers or comments (bitpoll.polls.warmup).
    assert "polls/_answer.html" in templates
    assert "polls/_comments.html" in templates
    # In the default language only: the first poll page in English needs no other catalog
    # (an English label is its own source) and no other language's URL map. Each other
    # language's first visitor in a worker loads them (issue 16, fifth round).
    assert seen["sources_loaded"] == 1
    assert seen["labels_loaded"] == 0
    assert seen["catalogs"] == ["en"]
    assert seen["url_maps"] == ["en"]


# Builds Bitpoll's static files middleware as the WSGI handler does before the fork, and
# reports what it indexed and how many files STATIC_ROOT holds.
STATIC_AT_START = """
import json, os, django
django.setup()
from django.conf import settings
from bitpoll.core.staticfiles import StaticFilesMiddleware
middleware = StaticFilesMiddleware(lambda request: None)
files = sum(len(names) for _d, _s, names in os.walk(settings.STATIC_ROOT))
print(json.dumps([len(middleware.files), len(middleware.directories), files]))
"""


def test_the_static_files_are_not_indexed_before_the_fork(served_env: dict[str, str]) -> None:
    # Each is found on its first request (tests/platform/test_static_lazy.py compares what is
    # then served with WhiteNoise's eager index, file by file).
    out = subprocess.run(
        [sys.executable, "-c", STATIC_AT_START],
        env={**served_env, "DJANGO_SETTINGS_MODULE": "bitpoll.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    indexed, roots, files = json.loads(out.stdout.splitlines()[-1])
    assert (indexed, roots) == (0, 1)
    assert files > 200
