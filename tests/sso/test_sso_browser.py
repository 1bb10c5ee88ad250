"""Single sign-on in chromium: OpenID Connect through a real provider (oidc-provider on node)
and LDAP through the login form against a real slapd, on one server configured for both.

The whole redirect flow runs for real: Bitpoll's login start, the provider's login and consent
forms, the callback, the code exchange with PKCE and the ID token checked against the
provider's keys. Each way it can go wrong ends on Bitpoll's own page with 400 or 502 and the
user not logged in, never on a server error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from browser.conftest import CHROMIUM_ARGS, find_chromium
from serverutil import Server, free_port, run_bitpoll, serving
from sso.oidcprovider import OidcProvider
from sso.slapd import ADMIN_DN, BASE, USERS, Slapd

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def bitpoll_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def provider(bitpoll_port: int) -> Iterator[OidcProvider]:
    running = OidcProvider(f"http://127.0.0.1:{bitpoll_port}/accounts/oidc/callback/").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def slapd() -> Iterator[Slapd]:
    running = Slapd().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    provider: OidcProvider,
    slapd: Slapd,
    bitpoll_port: int,
) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("oidc")
    data_dir = root / "data"
    data_dir.mkdir(mode=0o700)
    secret = root / "client_secret"
    secret.write_text(provider.client_secret + "\n")
    bind_password = root / "ldap_bind_password"
    bind_password.write_text(slapd.admin_password)
    env = {
        "BITPOLL_BASE_URL": f"http://127.0.0.1:{bitpoll_port}",
        "BITPOLL_OIDC_ISSUER": provider.issuer,
        "BITPOLL_OIDC_CLIENT_ID": provider.client_id,
        "BITPOLL_OIDC_CLIENT_SECRET_FILE": str(secret),
        "BITPOLL_OIDC_SCOPES": "openid email profile groups",
        "BITPOLL_OIDC_GROUPS_CLAIM": "groups",
        "BITPOLL_OIDC_NAME": "Example ID",
        "BITPOLL_LDAP_URI": slapd.uri,
        "BITPOLL_LDAP_START_TLS": "true",
        "BITPOLL_LDAP_CA_FILE": str(slapd.ca_file),
        "BITPOLL_LDAP_BIND_DN": ADMIN_DN,
        "BITPOLL_LDAP_BIND_PASSWORD_FILE": str(bind_password),
        "BITPOLL_LDAP_USER_SEARCH_BASE": f"ou=people,{BASE}",
        "BITPOLL_LDAP_GROUP_SEARCH_BASE": f"ou=groups,{BASE}",
    }
    with serving(data_dir, env, port=bitpoll_port) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no chromium binary (/usr/bin/chromium or on PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(base_url=f"http://127.0.0.1:{server.port}", locale="en-US")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in_at_provider(
    page: Page, user: str, provider: OidcProvider | None = None, hold: bool = False
) -> str:
    """From Bitpoll's login page through the provider's development login and consent.

    With `hold`, the browser is stopped before it reaches Bitpoll's callback, and the URL it
    was going to is returned for the test to visit (or change) itself.
    """
    page.goto("/accounts/sso/login/?next=/%3Ffrom%3Dsso")
    page.click("#oidc-login")
    page.fill("input[name=login]", user)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    if not hold or provider is None:
        page.click("button:has-text('Continue')")
        return ""
    provider.control("/_test/hold?on=1")
    try:
        page.click("button:has-text('Continue')")
        url = page.inner_text("body").strip()
    finally:
        provider.control("/_test/hold?on=0")
    assert url.startswith(provider.redirect_uri), url
    return url


def logged_in(page: Page) -> bool:
    """Whether the browser holds a session of a logged-in user (the SSO login page says so)."""
    response = page.request.get("/accounts/sso/login/")
    return "data-logged-in" in response.text()


def users(server: Server) -> dict[str, Any]:
    code = (
        "import json; from django.contrib.auth.models import User; "
        "print(json.dumps({u.username: {'email': u.email, 'name': u.profile.display_name, "
        "'groups': sorted((m.group.source, m.group.external_id, m.group.name) "
        "for m in u.bitpoll_memberships.select_related('group')), "
        "'identities': [(i.provider, i.subject) for i in u.external_identities.all()]} "
        "for u in User.objects.all()}))"
    )
    result = run_bitpoll(["shell", "-c", code], server.env)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def test_it_logs_in_with_pkce_and_mirrors_the_groups_claim(page: Page, server: Server) -> None:
    page.goto("/accounts/sso/login/")
    assert page.inner_text("#oidc-login") == "Log in with Example ID"
    sign_in_at_provider(page, "alice")
    page.wait_for_url("**/?from=sso")
    assert "You are logged in." in page.inner_text(".messages")

    alice = users(server)["alice"]
    assert alice["email"] == "alice@example.org"
    assert alice["name"] == "Alice Example"
    assert alice["identities"] == [["oidc", "alice"]]
    assert alice["groups"] == [
        ["oidc", "/staff/board", "board"],
        ["oidc", "council", "council"],
    ]


def test_a_directory_user_logs_in_with_the_form(page: Page) -> None:
    page.goto("/accounts/sso/login/?next=/%3Ffrom%3Dldap")
    assert page.is_visible("#oidc-login") and page.is_visible("#ldap-login-hint")
    page.fill("input[name=username]", "dave")
    page.fill("input[name=password]", "not the password")
    page.click("#ldap-login-form button[type=submit]")
    assert page.is_visible("#ldap-login-form .message-error")
    assert not logged_in(page)
    page.fill("input[name=username]", "dave")
    page.fill("input[name=password]", USERS["dave"][2])
    page.click("#ldap-login-form button[type=submit]")
    page.wait_for_url("**/?from=ldap")
    assert "You are logged in." in page.inner_text(".messages")
    assert logged_in(page)


def test_a_wrong_state_is_refused_and_the_right_one_still_works(
    page: Page, server: Server, provider: OidcProvider
) -> None:
    url = sign_in_at_provider(page, "bob", provider, hold=True)
    assert "state=" in url
    forged = url.replace("state=", "state=x")
    response = page.goto(forged)
    assert response is not None and response.status == 400
    assert "This sign-in was not started here" in page.inner_text("#sso-error")
    assert not logged_in(page)

    response = page.goto(url)
    assert response is not None and response.status == 200
    assert "You are logged in." in page.inner_text(".messages")
    # The state is used up: the same callback a second time is refused.
    response = page.goto(url)
    assert response is not None and response.status == 400


def test_a_response_naming_another_issuer_is_refused(
    page: Page, server: Server, provider: OidcProvider
) -> None:
    url = sign_in_at_provider(page, "grace", provider, hold=True)
    assert "iss=" in url  # RFC 9207, which oidc-provider implements
    response = page.goto(url.replace("iss=", "iss=https%3A%2F%2Fevil.example&x="))
    assert response is not None and response.status == 400
    assert "could not be verified" in page.inner_text("#sso-error")
    assert not logged_in(page)


def test_an_expired_code_gives_a_clear_page(
    page: Page, server: Server, provider: OidcProvider
) -> None:
    url = sign_in_at_provider(page, "erin", provider, hold=True)
    provider.control("/_test/clock?offset=3600")  # an hour later: every code has expired
    try:
        response = page.goto(url)
    finally:
        provider.control("/_test/clock?offset=0")
    assert response is not None and response.status == 400
    assert "could not be verified" in page.inner_text("#sso-error")
    assert not logged_in(page)
    assert "invalid_grant" in server.log()
    code = parse_qs(urlsplit(url).query)["code"][0]
    assert "/accounts/oidc/callback/?code=[redacted]" in server.log()
    assert code not in server.log()


def test_a_tampered_id_token_is_refused(page: Page, server: Server, provider: OidcProvider) -> None:
    provider.control("/_test/tamper?on=1")
    try:
        url = sign_in_at_provider(page, "frank", provider, hold=True)
        response = page.goto(url)
    finally:
        provider.control("/_test/tamper?on=0")
    assert response is not None and response.status == 400
    assert "could not be verified" in page.inner_text("#sso-error")
    assert not logged_in(page)
    assert "signature is not valid" in server.log()


def test_a_provider_that_is_down_gives_a_clear_page(
    page: Page, server: Server, provider: OidcProvider
) -> None:
    provider.stop()
    try:
        page.goto("/accounts/sso/login/")
        page.click("#oidc-login")
        assert "/accounts/oidc/login/" in page.url
        assert "cannot be reached at the moment" in page.inner_text("#sso-error")
        response = page.goto("/accounts/oidc/login/")
        assert response is not None and response.status == 502
    finally:
        provider.start()
    # Back up: logging in works again without restarting Bitpoll.
    sign_in_at_provider(page, "alice")
    page.wait_for_url("**/?from=sso")
    assert logged_in(page)


def test_no_refused_sign_in_left_an_account_behind(server: Server) -> None:
    # Runs last (the tests above refused grace, erin, frank and, as forged, mallory); bob
    # and dave got in.
    known = users(server)
    assert {"alice", "bob", "dave"} <= set(known)
    assert known["dave"]["groups"] == [["ldap", f"cn=chess,ou=groups,{BASE}".lower(), "chess"]]
    assert known["dave"]["name"] == "Dave Directory"
    assert not {"grace", "erin", "frank", "mallory"} & set(known)
