"""OpenID Connect relying party: authorization code flow with PKCE, for any standard provider.

The provider is found through its discovery document (`<issuer>/.well-known/openid-configuration`),
fetched when a login starts, so a provider that is down gives a clear page before the browser is
sent anywhere. The ID token is checked with joserfc against the provider's JWKS (signature with
an asymmetric algorithm, issuer, audience, expiry, nonce); the keys are cached per process and
fetched again when a token names a key not seen before (key rotation). Claims from the userinfo
endpoint complete those in the ID token, whose `sub` they must repeat.

joserfc (with cryptography) and urllib.request are imported on first use: most sites never
configure OIDC, and importing them cost a tenth of `bitpoll serve`'s start-up.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import urllib.parse
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings

from bitpoll.conf import Oidc

if TYPE_CHECKING:
    import urllib.request

    from joserfc.jwk import KeySet

TIMEOUT = 5.0  # seconds for each request to the provider
MAX_RESPONSE = 1024 * 1024
LEEWAY = 60  # seconds of clock difference tolerated in exp and iat
# Asymmetric algorithms only: with HS256 the client secret would be the key, which anybody
# holding it (every client of a misconfigured provider) could sign with.
ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)


class OidcError(Exception):
    """Something about the provider or its answer is wrong; the message is for the log."""


class ProviderUnreachable(OidcError):
    """The provider did not answer (network error, timeout, 5xx)."""


class Discovery(NamedTuple):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    algorithms: tuple[str, ...]
    token_auth_methods: tuple[str, ...]


def config() -> Oidc | None:
    cfg: Oidc | None = getattr(settings, "OIDC", None)
    return cfg


def redirect_uri() -> str:
    return f"{settings.BASE_URL}/accounts/oidc/callback/"


def _request(url: str, **kwargs: Any) -> urllib.request.Request:
    import urllib.request

    # Only ever http(s): _endpoint() and conf.env_url() refuse every other scheme, and _http()
    # checks again.
    return urllib.request.Request(url, **kwargs)  # noqa: S310


def _http(request: urllib.request.Request) -> dict[str, Any]:
    import urllib.error
    import urllib.request

    if urllib.parse.urlsplit(request.full_url).scheme not in ("http", "https"):
        raise OidcError(f"refusing to fetch {request.full_url!r}")
    request.add_header("Accept", "application/json")
    request.add_header("User-Agent", "Bitpoll")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - scheme checked above
            body = response.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise ProviderUnreachable(f"{request.full_url} answered HTTP {exc.code}") from None
        try:
            detail = json.loads(exc.read(MAX_RESPONSE))
        except ValueError:
            detail = {}
        error = detail.get("error", "") if isinstance(detail, dict) else ""
        raise OidcError(f"{request.full_url} answered HTTP {exc.code} {error}".strip()) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProviderUnreachable(f"{request.full_url} cannot be reached ({reason})") from None
    if len(body) > MAX_RESPONSE:
        raise OidcError(f"{request.full_url} answered with more than {MAX_RESPONSE} bytes")
    try:
        data = json.loads(body)
    except ValueError:
        raise OidcError(f"{request.full_url} did not answer with JSON") from None
    if not isinstance(data, dict):
        raise OidcError(f"{request.full_url} did not answer with a JSON object")
    return data


def _endpoint(doc: dict[str, Any], name: str, required: bool = True) -> str:
    value = doc.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise OidcError(f"the discovery document has no {name}")
    parts = urllib.parse.urlsplit(value)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise OidcError(f"the discovery document's {name} {value!r} is not an https:// URL")
    return value


def discover(cfg: Oidc) -> Discovery:
    """Fetch and check the provider's discovery document; raises OidcError with the reason."""
    url = cfg.issuer + "/.well-known/openid-configuration"
    doc = _http(_request(url))
    issuer = doc.get("issuer")
    if not isinstance(issuer, str) or issuer.rstrip("/") != cfg.issuer:
        raise OidcError(
            f"the discovery document names the issuer {issuer!r}, not {cfg.issuer!r}: "
            "check BITPOLL_OIDC_ISSUER"
        )
    offered = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(a for a in offered if a in ALGORITHMS)
    if not algorithms:
        raise OidcError(
            f"the provider signs ID tokens only with {offered}: expected RS256 or ES256"
        )
    if "code" not in (doc.get("response_types_supported") or ["code"]):
        raise OidcError("the provider does not support the authorization code flow")
    methods = doc.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise OidcError("the provider does not support PKCE with S256")
    return Discovery(
        issuer=issuer,
        authorization_endpoint=_endpoint(doc, "authorization_endpoint"),
        token_endpoint=_endpoint(doc, "token_endpoint"),
        jwks_uri=_endpoint(doc, "jwks_uri"),
        userinfo_endpoint=_endpoint(doc, "userinfo_endpoint", required=False),
        algorithms=algorithms,
        token_auth_methods=tuple(
            doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        ),
    )


_keys_lock = threading.Lock()
_keys: dict[str, KeySet] = {}


def _key_set(discovery: Discovery, refresh: bool = False) -> KeySet:
    with _keys_lock:
        cached = _keys.get(discovery.jwks_uri)
    if cached is not None and not refresh:
        return cached
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    doc = _http(_request(discovery.jwks_uri))
    try:
        key_set = KeySet.import_key_set(doc)  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise OidcError(f"the provider's JWKS cannot be read ({exc})") from None
    with _keys_lock:
        _keys[discovery.jwks_uri] = key_set
    return key_set


class Pending(NamedTuple):
    """What the login start keeps in the session until the provider sends the browser back."""

    state: str
    nonce: str
    verifier: str
    next_url: str


def start(cfg: Oidc, discovery: Discovery, next_url: str) -> tuple[Pending, str]:
    """A new pending login and the provider URL to send the browser to."""
    pending = Pending(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),
        next_url=next_url,
    )
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(pending.verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": cfg.client_id,
            "redirect_uri": redirect_uri(),
            "scope": " ".join(cfg.scopes),
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    sep = "&" if "?" in discovery.authorization_endpoint else "?"
    return pending, f"{discovery.authorization_endpoint}{sep}{query}"


def exchange(cfg: Oidc, discovery: Discovery, code: str, pending: Pending) -> dict[str, Any]:
    """Trade the code for tokens, verify the ID token; returns the user's claims."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(),
        "code_verifier": pending.verifier,
        "client_id": cfg.client_id,
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cfg.client_secret is not None:
        if "client_secret_basic" in discovery.token_auth_methods:
            # RFC 6749 2.3.1: both form-encoded before they are joined.
            quote = urllib.parse.quote_plus
            pair = f"{quote(cfg.client_id)}:{quote(cfg.client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form["client_secret"] = cfg.client_secret
    tokens = _http(
        _request(
            discovery.token_endpoint,
            data=urllib.parse.urlencode(form).encode(),
            headers=headers,
            method="POST",
        )
    )
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("the token response has no id_token")
    claims = verify_id_token(cfg, discovery, id_token, pending.nonce)
    access_token = tokens.get("access_token")
    if discovery.userinfo_endpoint and isinstance(access_token, str):
        info = _http(
            _request(
                discovery.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}
            )
        )
        if info.get("sub") != claims["sub"]:
            raise OidcError("the userinfo response is about another subject")
        claims = {**info, **claims}
    return claims


def verify_id_token(cfg: Oidc, discovery: Discovery, id_token: str, nonce: str) -> dict[str, Any]:
    from joserfc import jwt
    from joserfc.errors import JoseError

    def decode(key_set: KeySet) -> dict[str, Any]:
        return dict(jwt.decode(id_token, key_set, algorithms=list(discovery.algorithms)).claims)

    try:
        try:
            claims = decode(_key_set(discovery))
        except JoseError:
            # Perhaps signed with a key the provider added since the keys were fetched.
            claims = decode(_key_set(discovery, refresh=True))
    except (JoseError, ValueError) as exc:
        raise OidcError(
            f"the ID token's signature is not valid ({exc.__class__.__name__})"
        ) from None
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": discovery.issuer},
        sub={"essential": True},
        aud={"essential": True, "value": cfg.client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise OidcError(f"the ID token is not valid ({exc})") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != cfg.client_id:
        raise OidcError("the ID token was issued to another client (azp)")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise OidcError("the ID token has no subject")
    return claims


def groups_from_claims(cfg: Oidc, claims: dict[str, Any]) -> dict[str, str] | None:
    """The groups claim as {external id: name}, or None when no claim is configured."""
    if not cfg.groups_claim:
        return None
    value = claims.get(cfg.groups_claim, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return {}
    groups = {}
    for item in value:
        if isinstance(item, str) and item.strip():
            # Keycloak sends group paths such as /council/board.
            groups[item.strip()[:500]] = item.strip().strip("/").rsplit("/", 1)[-1] or item
    return groups


def check_provider(cfg: Oidc) -> str | None:
    """For `bitpoll check --deploy`: None when the provider answers sensibly, else the reason."""
    try:
        discovery = discover(cfg)
        _key_set(discovery, refresh=True)
    except OidcError as exc:
        return str(exc)
    return None
