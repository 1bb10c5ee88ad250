"""One answer per account holds when one account's answers arrive at the same moment."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import re
import secrets
import urllib.parse
from pathlib import Path

import pytest

PASSWORD = "correct horse battery staple"
SETUP = """
import json
from django.contrib.auth import get_user_model
from bitpoll.polls import services
get_user_model().objects.create_user(%r, "", %r)
out = {}
for i in range(%d):
    poll, _ = services.create_poll(title=f"Race {i}", description="", kind="text",
        time_zone="UTC", options=[], one_answer_per_account=True)
    from bitpoll.polls.models import Choice, Option
    option = Option.objects.create(poll=poll, text="A")
    choice = Choice.objects.create(poll=poll, label="Yes", weight=1)
    out[poll.slug] = [option.pk, choice.pk]
print(json.dumps(out))
"""
# Only this test's polls: the PostgreSQL run serves from the suite's database, shared with
# other tests, which is also why the test removes what it made.
COUNT = (
    "import json; from bitpoll.polls.models import Poll; from django.db.models import Count; "
    "print(json.dumps(sorted(Poll.objects.filter(slug__in=%r)"
    ".annotate(n=Count('entries')).values_list('n', flat=True))))"
)
CLEAN_UP = (
    "from bitpoll.polls.models import Poll; from django.contrib.auth import get_user_model; "
    "Poll.objects.filter(slug__in=%r).delete(); get_user_model().objects.filter(username=%r).delete()"
)


def _request(
    port: int, method: str, path: str, body: dict[str, str] | None, cookie: str
) -> tuple[int, list[str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urllib.parse.urlencode(body)
        connection.request(method, path, data, headers)
        response = connection.getresponse()
        return response.status, response.msg.get_all("Set-Cookie") or [], response.read().decode()
    finally:
        connection.close()


def _cookie(set_cookies: list[str], name: str) -> str:
    for header in set_cookies:
        found = re.match(rf"{name}=([^;]+)", header)
        if found:
            return found.group(1)
    raise AssertionError(f"no {name} cookie in {set_cookies}")


@pytest.mark.slow
def test_parallel_answers_from_one_account_store_exactly_one(tmp_path: Path) -> None:
    from serverutil import run_bitpoll, serving

    rounds, parallel = 4, 6
    env = {
        "BITPOLL_ALLOWED_HOSTS": "127.0.0.1",
        "BITPOLL_WORKERS": "4",
        "BITPOLL_RATELIMIT_ENABLED": "false",
        "BITPOLL_ACCOUNTS_ENABLED": "true",
    }
    with serving(tmp_path / "data", env) as server:
        port = server.port
        username = f"race-{secrets.token_hex(4)}"
        setup = SETUP % (username, PASSWORD, rounds)
        made = run_bitpoll(["shell", "--no-imports", "-c", setup], server.env)
        assert made.returncode == 0, made.stderr
        polls = json.loads(made.stdout.strip().splitlines()[-1])
        try:
            _race(port, username, polls, parallel)
            counted = run_bitpoll(["shell", "--no-imports", "-c", COUNT % list(polls)], server.env)
            assert json.loads(counted.stdout.strip().splitlines()[-1]) == [1] * rounds
        finally:
            clean = CLEAN_UP % (list(polls), username)
            run_bitpoll(["shell", "--no-imports", "-c", clean], server.env)


def _race(port: int, username: str, polls: dict[str, list[int]], parallel: int) -> None:
    """Log in over HTTP, then send each poll `parallel` identical answers at once."""
    status, cookies, page = _request(port, "GET", "/accounts/login/", None, "")
    csrf = _cookie(cookies, "csrftoken")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert status == 200 and token
    form = {"csrfmiddlewaretoken": token.group(1)}
    login = {**form, "username": username, "password": PASSWORD}
    status, cookies, _ = _request(port, "POST", "/accounts/login/", login, f"csrftoken={csrf}")
    assert status == 302
    cookie = f"csrftoken={_cookie(cookies, 'csrftoken')}; sessionid={_cookie(cookies, 'sessionid')}"
    # Logging in rotates the CSRF token: fetch the form again with the session.
    _, _, page = _request(port, "GET", f"/{next(iter(polls))}/", None, cookie)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token and "answer-form" in page
    form = {"csrfmiddlewaretoken": token.group(1)}

    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        for slug, (option, choice) in polls.items():
            body = {**form, "name": "Mia", f"o{option}": str(choice)}
            futures = [
                pool.submit(_request, port, "POST", f"/{slug}/answer/", body, cookie)
                for _ in range(parallel)
            ]
            statuses = sorted(f.result()[0] for f in futures)
            # Refused ones are told so on the poll page: every answer is a redirect.
            assert statuses == [302] * parallel, statuses
