"""Static files found on their first request, served as WhiteNoise's index serves them (issue 16).

`bitpoll.core.staticfiles` no longer indexes STATIC_ROOT before the fork. These tests collect
the static files as an administrator does, then ask WhiteNoise's own middleware (with its
eager index and its own immutable test) and Bitpoll's the same questions, for every file in
STATIC_ROOT and every way of asking for it, and compare the answers: status, every header and
the body. Paths that must not be served (traversal, encoded traversal, absolute paths, the
compressed copies as files of their own, directories) must fall through to Django as before.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from serverutil import clean_env, run_bitpoll

COMPARE = r"""
import hashlib, json, os, sys, django
django.setup()
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from whitenoise.middleware import WhiteNoiseMiddleware
from bitpoll.core.staticfiles import StaticFilesMiddleware

def fall_through(request):
    return HttpResponse(b"fell through", status=404)

eager = WhiteNoiseMiddleware(fall_through)
lazy = StaticFilesMiddleware(fall_through)
out = {"indexed_at_start": len(lazy.files), "eager_index": sorted(eager.files)}
factory = RequestFactory()

def ask(middleware, method, path, headers):
    request = factory.generic(method, path, **headers)
    response = middleware(request)
    if response.streaming:
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    response.close()
    return [response.status_code, sorted(response.headers.items()),
            hashlib.sha256(body).hexdigest()]

root = os.path.join(str(settings.STATIC_ROOT), "")
urls = []
for directory, _dirs, files in os.walk(root, followlinks=True):
    for name in files:
        urls.append("/static/" + os.path.relpath(os.path.join(directory, name), root))
urls.sort()
out["urls"] = urls

ENCODINGS = ["", "gzip", "br", "gzip, deflate, br", "deflate", "*", "identity"]
mismatches = []
served = {}
for url in urls:
    for method in ("GET", "HEAD"):
        for encoding in ENCODINGS:
            headers = {"HTTP_ACCEPT_ENCODING": encoding} if encoding else {}
            theirs = ask(eager, method, url, headers)
            ours = ask(lazy, method, url, headers)
            if theirs != ours:
                mismatches.append([method, url, encoding, theirs, ours])
            if method == "GET" and encoding == "gzip, deflate, br":
                served[url] = theirs
    # Conditional and partial requests, with the validators WhiteNoise sent.
    status, headers, _ = served[url]
    if status == 200:
        sent = dict(headers)
        for extra in (
            {"HTTP_IF_NONE_MATCH": sent["ETag"]},
            {"HTTP_IF_NONE_MATCH": '"something-else"'},
            {"HTTP_IF_MODIFIED_SINCE": sent["Last-Modified"]},
            {"HTTP_RANGE": "bytes=0-9"},
            {"HTTP_RANGE": "bytes=-5"},
            {"HTTP_RANGE": "bytes=999999999-"},
            {"HTTP_RANGE": "bytes=0-9", "HTTP_ACCEPT_ENCODING": "gzip"},
        ):
            for method in ("GET", "HEAD"):
                theirs = ask(eager, method, url, extra)
                ours = ask(lazy, method, url, extra)
                if theirs != ours:
                    mismatches.append([method, url, sorted(extra.items()), theirs, ours])
out["served"] = served
out["kept_after_files"] = len(lazy.files)

refused = {}
for path in json.loads(sys.argv[1]):
    for method in ("GET", "HEAD"):
        theirs = ask(eager, method, path, {})
        ours = ask(lazy, method, path, {})
        if theirs != ours:
            mismatches.append([method, path, "", theirs, ours])
    refused[path] = ours[0], ours[2] == hashlib.sha256(b"fell through").hexdigest()
out["refused"] = refused
out["mismatches"] = mismatches

before = len(lazy.files)
for n in range(2000):
    ask(lazy, "GET", "/static/missing-%d.css" % n, {})
out["kept_after_misses"] = len(lazy.files) - before
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("static-lazy")
    data = base / "data"
    env = clean_env(data, BITPOLL_SECRET_KEY=secrets.token_urlsafe(48))
    collected = run_bitpoll(["collectstatic", "--noinput", "-v0"], env)
    assert collected.returncode == 0, collected.stderr
    static = data / "static"
    assert (static / "staticfiles.json").is_file()
    # What traversal would reach: a file beside STATIC_ROOT and one elsewhere.
    (data / "secret.txt").write_text("not static\n")
    outside = base / "outside"
    outside.mkdir()
    (outside / "elsewhere.css").write_text("body{}\n")
    # Symbolic links inside the root to files and directories outside it: WhiteNoise's index
    # follows them (an administrator put them there), so the lazy look-up must too.
    (static / "linked.css").symlink_to(outside / "elsewhere.css")
    (static / "linked-dir").symlink_to(outside, target_is_directory=True)
    secret = str(data / "secret.txt")
    refused = [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/%252e%252e/secret.txt",
        "/static/..\\secret.txt",
        "/static/..%5csecret.txt",
        "/static/./staticfiles.json",
        "/static//staticfiles.json",
        "/static/" + secret,
        "/static/" + secret.lstrip("/"),
        "/static/linked-dir/../../data/secret.txt",
        "/static/x%00.css",
        "/static/",
        "/static",
        "/static/admin",
        "/static/admin/",
        "/static/does-not-exist.css",
        "/secret.txt",
        "/polls/",
    ]
    out = subprocess.run(
        [sys.executable, "-c", COMPARE, json.dumps(refused)],
        env={**env, "DJANGO_SETTINGS_MODULE": "bitpoll.settings"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    result["secret"] = secret
    return result


def test_nothing_is_indexed_before_the_first_request(compared: dict[str, Any]) -> None:
    assert compared["indexed_at_start"] == 0
    assert len(compared["eager_index"]) > 100  # what WhiteNoise's index holds at start


def test_every_file_is_served_with_the_eager_index_headers(compared: dict[str, Any]) -> None:
    assert compared["mismatches"] == []
    served = {url: r for url, r in compared["served"].items() if r[0] == 200}
    # Every file WhiteNoise indexed was asked for (by its URL) and served the same way.
    assert set(served) == set(compared["eager_index"])
    # The compressed copies exist and are only ever sent as an encoding of their file.
    copies = [url for url in compared["urls"] if url.endswith((".gz", ".br"))]
    assert len(copies) > 100
    assert not any(url in served for url in copies)
    immutable = [url for url, r in served.items() if "immutable" in str(r[1])]
    assert len(immutable) > 100
    assert not any(url.endswith("staticfiles.json") for url in immutable)
    assert "/static/linked.css" in served
    assert "/static/linked-dir/elsewhere.css" in served


def test_what_is_found_is_kept_and_misses_are_not(compared: dict[str, Any]) -> None:
    served = [url for url, r in compared["served"].items() if r[0] == 200]
    assert compared["kept_after_files"] == len(served)
    assert compared["kept_after_misses"] == 0


def test_traversal_and_non_files_fall_through_to_django(compared: dict[str, Any]) -> None:
    refused = compared["refused"]
    assert len(refused) == 20
    for path, (status, fell_through) in refused.items():
        assert (status, fell_through) == (404, True), path


def test_a_root_that_does_not_exist_warns_as_whitenoise_does(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path / "data",
        BITPOLL_SECRET_KEY=secrets.token_urlsafe(48),
        BITPOLL_STATIC_ROOT=str(tmp_path / "absent"),
        DJANGO_SETTINGS_MODULE="bitpoll.settings",
    )
    script = (
        "import warnings, django; django.setup()\n"
        "from bitpoll.core.staticfiles import StaticFilesMiddleware\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    m = StaticFilesMiddleware(lambda r: None)\n"
        "print(m.directories, [str(w.message) for w in seen])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("[] ")
    assert "No directory at" in out.stdout
    assert os.fspath(tmp_path / "absent") in out.stdout
