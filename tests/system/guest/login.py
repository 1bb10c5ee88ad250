"""Log in through Bitpoll's single sign-on form as a browser would, and report what happened.

    python3 login.py BASE_URL USERNAME PASSWORD NEXT_PATH [WORD...]

Runs with the guest's own Python: GETs /accounts/sso/login/ for the CSRF
cookie and token, POSTs the form with them (next=NEXT_PATH), and prints one
JSON line: the POST's status and Location, whether a session cookie was set,
whether the form said the credentials were wrong, and the status of the
page the login leads to with which of the WORDs it contains.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def main() -> None:
    base, username, password, next_path, *words = sys.argv[1:]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    login = f"{base}/accounts/sso/login/"
    with opener.open(login, timeout=120) as response:
        page = response.read().decode()
    match = TOKEN.search(page)
    assert match, page[:2000]
    data = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": match.group(1),
            "username": username,
            "password": password,
            "next": next_path,
        }
    ).encode()
    request = urllib.request.Request(login, data=data, headers={"Referer": login})
    try:
        with opener.open(request, timeout=120) as response:
            status, location = response.status, ""
            body = response.read().decode()
    except urllib.error.HTTPError as redirect:
        status, location = redirect.code, redirect.headers.get("Location", "")
        body = redirect.read().decode()
    result: dict[str, object] = {
        "status": status,
        "location": location,
        "session": any(c.name == "sessionid" for c in jar),
        "error": "Please enter a correct" in body,
    }
    if location:
        try:
            with opener.open(urllib.parse.urljoin(login, location), timeout=120) as response:
                result["next_status"] = response.status
                text = response.read().decode()
                result["found"] = [word for word in words if word in text]
        except urllib.error.HTTPError as error:
            result["next_status"] = error.code
    print(json.dumps(result))


if __name__ == "__main__":
    main()
