"""The ID token checks, one by one, with keys made here (no provider needed).

The browser tests show the checks at work against a real provider; these pin down each rule:
signature by a published key only, asymmetric algorithms only, issuer, audience, authorized
party, expiry and nonce.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from bitpoll import conf
from bitpoll.accounts import oidc

ISSUER = "https://id.example.org"
CFG = conf.Oidc(
    issuer=ISSUER,
    client_id="bitpoll",
    client_secret="client-secret-of-at-least-32-bytes!!",
    scopes=("openid",),
    groups_claim="groups",
    username_claim="preferred_username",
    name="",
)
DISCOVERY = oidc.Discovery(
    issuer=ISSUER,
    authorization_endpoint=ISSUER + "/auth",
    token_endpoint=ISSUER + "/token",
    jwks_uri=ISSUER + "/jwks-for-tests",
    userinfo_endpoint="",
    algorithms=("RS256",),
    token_auth_methods=("client_secret_basic",),
)
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})


@pytest.fixture(autouse=True)
def fetched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """The provider's JWKS holds KEY's public half; records each fetch (True: a refresh)."""
    public = KeySet.import_key_set({"keys": [KEY.as_dict(private=False)]})
    calls: list[bool] = []

    def key_set(discovery: oidc.Discovery, refresh: bool = False) -> KeySet:
        calls.append(refresh)
        return public

    monkeypatch.setattr(oidc, "_key_set", key_set)
    yield calls


def token(key: Any = KEY, alg: str = "RS256", **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": "bitpoll",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        **changes,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": "k1"}, claims, key, algorithms=[alg])


def test_a_good_token_gives_its_claims(fetched: list[bool]) -> None:
    claims = oidc.verify_id_token(CFG, DISCOVERY, token(), "n-1")
    assert claims["sub"] == "alice"
    assert fetched == [False]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://evil.example"}, "not valid"),
        ({"aud": "another-client"}, "not valid"),
        ({"nonce": "n-2"}, "not valid"),
        ({"nonce": None}, "not valid"),
        ({"exp": int(time.time()) - 3600}, "not valid"),
        ({"iat": int(time.time()) + 3600}, "not valid"),
        ({"aud": ["bitpoll", "other"], "azp": "other"}, "another client"),
    ],
    ids=["issuer", "audience", "nonce", "no-nonce", "expired", "future", "azp"],
)
def test_a_token_breaking_a_rule_is_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(oidc.OidcError) as info:
        oidc.verify_id_token(CFG, DISCOVERY, token(**changes), "n-1")
    assert reason in str(info.value)


def test_a_token_signed_by_another_key_is_refused(fetched: list[bool]) -> None:
    with pytest.raises(oidc.OidcError, match="signature is not valid"):
        oidc.verify_id_token(CFG, DISCOVERY, token(key=OTHER_KEY), "n-1")
    # The keys were fetched again once, in case the provider had rotated them.
    assert fetched == [False, True]


def test_a_token_signed_with_the_client_secret_is_refused() -> None:
    # HS256 with the client secret: whoever knows the secret could forge users.
    secret = OctKey.import_key(CFG.client_secret or "")
    forged = token(key=secret, alg="HS256")
    with pytest.raises(oidc.OidcError, match="signature is not valid"):
        oidc.verify_id_token(CFG, DISCOVERY, forged, "n-1")


def test_groups_claims_become_names() -> None:
    groups = oidc.groups_from_claims(CFG, {"groups": ["council", "/staff/board", "", 3]})
    assert groups == {"council": "council", "/staff/board": "board"}
    assert oidc.groups_from_claims(CFG, {}) == {}
    assert oidc.groups_from_claims(CFG, {"groups": "solo"}) == {"solo": "solo"}
    no_claim = CFG._replace(groups_claim="")
    assert oidc.groups_from_claims(no_claim, {"groups": ["x"]}) is None
