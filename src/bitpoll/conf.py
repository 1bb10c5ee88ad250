"""Strict parsing of the BITPOLL_* environment variables.

Every helper either returns a well-typed value or raises ConfigError with one line that names
the variable, repeats the bad value and says what is expected. Nothing here touches the disk
except reading secret files the administrator pointed us at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

PREFIX = "BITPOLL_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ImproperlyConfigured):
    """A configuration value is malformed; the message is a single, self-explanatory line."""


# Every name read through the helpers below (without the prefix). Settings read each variable
# at import, so after that this is the set of variables Bitpoll knows; a variable read only
# under some condition (a password for PostgreSQL) is named with declare().
KNOWN: set[str] = {
    # Read by the test suite, not by Bitpoll: see docs/development.md.
    "TEST_BACKEND",
    "PG_BIN",
}


def declare(*names: str) -> None:
    """Record variables that Bitpoll reads only under some condition as known."""
    KNOWN.update(names)


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[tuple[str, str | None]]:
    """BITPOLL_* variables in the environment that nothing reads, each with the closest known.

    A misspelt name (BITPOLL_ALLOWED_HOST) would otherwise be ignored without a word.
    """
    environ = os.environ if environ is None else environ
    found = []
    for full in sorted(environ):
        if not full.startswith(PREFIX) or full[len(PREFIX) :] in KNOWN:
            continue
        found.append((full, closest(full[len(PREFIX) :], KNOWN)))
    return found


def closest(name: str, known: Iterable[str]) -> str | None:
    import difflib  # only for a misspelt variable

    match = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.6)
    return PREFIX + match[0] if match else None


def _raw(name: str, env: Mapping[str, str] | None = None) -> str | None:
    KNOWN.add(name)
    value = (os.environ if env is None else env).get(PREFIX + name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def bad(name: str, value: str, expected: str) -> ConfigError:
    return ConfigError(f"{PREFIX}{name}={value!r} is not valid: expected {expected}")


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise bad(name, value, "true or false")


def env_int(name: str, default: int, minimum: int, maximum: int) -> int:
    value = _raw(name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]+", value) or not minimum <= int(value) <= maximum:
        raise bad(name, value, f"a whole number from {minimum} to {maximum}")
    return int(value)


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() not in choices:
        raise bad(name, value, "one of " + ", ".join(choices))
    return value.lower()


_HOST_RE = re.compile(
    r"(\*|\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])",
    re.IGNORECASE,
)


def env_hosts(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    hosts = [h.strip() for h in value.split(",") if h.strip()]
    if not hosts or not all(_HOST_RE.fullmatch(h) for h in hosts):
        raise bad(name, value, "a comma-separated list of host names, e.g. 'polls.example.org'")
    return hosts


def env_base_url(name: str, default: str) -> str:
    value = _raw(name)
    if value is None:
        return default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise bad(name, value, "an http:// or https:// URL such as 'https://polls.example.org'")
    try:
        parts.port  # noqa: B018 - accessing it validates the port
    except ValueError:
        raise bad(name, value, "a URL with a valid port") from None
    return value.rstrip("/")


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    if value is None:
        return default
    path = Path(value)
    if not path.is_absolute():
        raise bad(name, value, "an absolute path")
    return path


class Bind(NamedTuple):
    host: str = "127.0.0.1"
    port: int = 8000
    unix_path: str | None = None

    def gunicorn(self) -> str:
        if self.unix_path:
            return f"unix:{self.unix_path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def env_bind(name: str, default: Bind) -> Bind:
    value = _raw(name)
    if value is None:
        return default
    if value.startswith("unix:"):
        path = value[len("unix:") :]
        if not path.startswith("/"):
            raise bad(name, value, "'unix:' followed by an absolute socket path")
        return Bind(unix_path=path)
    match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})", value)
    if not match or not 1 <= int(match.group(2)) <= 65535:
        raise bad(name, value, "host:port (e.g. 127.0.0.1:8000, [::1]:8000) or unix:/path")
    return Bind(host=match.group(1).strip("[]"), port=int(match.group(2)))


def env_secret(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """Read a secret, first found wins: BITPOLL_<NAME>, BITPOLL_<NAME>_FILE, systemd credential.

    The credential is the file `<name in lower case>` in $CREDENTIALS_DIRECTORY, which is how
    systemd's LoadCredential= hands secrets to a service without putting them in its environment.
    """
    env = os.environ if env is None else env
    declare(name, name + "_FILE")
    value = _raw(name, env)
    if value is not None:
        return value
    file_name = _raw(name + "_FILE", env)
    if file_name is not None:
        return _read_secret_file(PREFIX + name + "_FILE", Path(file_name))
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        cred = Path(cred_dir) / name.lower()
        if cred.exists():
            return _read_secret_file(f"credential {name.lower()!r}", cred)
    return None


def _read_secret_file(label: str, path: Path) -> str:
    try:
        content = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(f"{label}={str(path)!r} cannot be read ({reason})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{label}={str(path)!r} is not valid: expected UTF-8 text") from None
    if not content:
        raise ConfigError(f"{label}={str(path)!r} is empty: expected the secret in that file")
    return content


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    state = env.get("STATE_DIRECTORY", "").split(":")[0]
    if state:
        return Path(state)
    xdg = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "bitpoll"


def data_dir() -> Path:
    return env_path("DATA_DIR", default_data_dir())


def database_config(name: str, default_sqlite: Path, data: Path) -> dict[str, object]:
    """Turn BITPOLL_DATABASE_URL into a Django DATABASES entry.

    sqlite:///name.sqlite3 is relative to the data directory, sqlite:////abs/path is absolute
    (the convention SQLAlchemy and dj-database-url use). PostgreSQL accepts user, host, port,
    database name, and `?host=/run/postgresql` for a unix socket directory.
    """
    value = _raw(name)
    if value is None:
        return _sqlite(default_sqlite)
    parts = urlsplit(value)
    if parts.scheme == "sqlite":
        if parts.netloc or len(parts.path) < 2:
            raise bad(name, value, "sqlite:///file.sqlite3 or sqlite:////absolute/path.sqlite3")
        path = Path(unquote(parts.path[1:]))
        return _sqlite(path if path.is_absolute() else data / path)
    if parts.scheme in ("postgres", "postgresql"):
        try:
            port = parts.port
        except ValueError:
            raise bad(name, value, "a valid port in postgresql://user@host:port/name") from None
        if parts.password:
            raise bad(
                name, "<hidden>", "no password in the URL: use BITPOLL_DATABASE_PASSWORD_FILE"
            )
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name or "/" in db_name:
            raise bad(name, value, "postgresql://user@host:port/name with a database name")
        query = parse_qs(parts.query)
        host = query.get("host", [unquote(parts.hostname or "")])[0]
        unknown = set(query) - {"host", "sslmode"}
        if unknown:
            raise bad(name, value, "only the query parameters host and sslmode")
        options: dict[str, object] = {}
        if "sslmode" in query:
            if query["sslmode"][0] not in SSL_MODES:
                raise bad(name, value, "sslmode one of " + ", ".join(SSL_MODES))
            options["sslmode"] = query["sslmode"][0]
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parts.username or ""),
            "HOST": host,
            "PORT": str(port or ""),
            # Persistent connections, without the health check: it costs a `SELECT 1` round
            # trip on every request, as much as a cached page's one query. A connection the
            # server dropped fails one request and is then replaced.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": False,
            "OPTIONS": options,
        }
    raise bad(name, value, "a sqlite:/// or postgresql:// URL")


def _sqlite(path: Path) -> dict[str, object]:
    return {
        "ENGINE": "bitpoll.core.sqlite",
        "NAME": str(path),
        # Opening a connection and running the pragmas below costs more than a cached page;
        # each server process (and thread) keeps its own.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # WAL lets readers proceed while one writer commits; IMMEDIATE takes the write lock
            # at BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
        },
    }


class Email(NamedTuple):
    backend: str
    host: str = ""
    port: int = 0
    user: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    # Set when BITPOLL_EMAIL_URL is (console: included): the features that send mail are on.
    configured: bool = True


def env_email(name: str) -> Email:
    value = _raw(name)
    if value is None or value == "console:":
        return Email(
            backend="django.core.mail.backends.console.EmailBackend", configured=value is not None
        )
    parts = urlsplit(value)
    schemes = {
        "smtp": (False, False, 25),
        "smtp+starttls": (True, False, 587),
        "smtps": (False, True, 465),
    }
    if parts.scheme not in schemes or not parts.hostname:
        raise bad(
            name,
            value,
            "smtp://host:25, smtp+starttls://user@host:587, smtps://user@host:465 or console:",
        )
    tls, ssl, default_port = schemes[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise bad(name, value, "a valid port") from None
    if parts.password:
        raise bad(name, "<hidden>", "no password in the URL: use BITPOLL_EMAIL_PASSWORD_FILE")
    return Email(
        backend="django.core.mail.backends.smtp.EmailBackend",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        use_tls=tls,
        use_ssl=ssl,
    )


MAX_PAGE_CHARS = 100_000


def env_page(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """Markdown of a page the operator writes (imprint, privacy notice, about), or None.

    Given as BITPOLL_<NAME> itself or, more practical for several paragraphs, as the file
    named by BITPOLL_<NAME>_FILE; read once at start-up, so a change needs a restart.
    """
    env = os.environ if env is None else env
    text = _raw(name, env)
    file_name = _raw(name + "_FILE", env)
    if text is not None and file_name is not None:
        raise ConfigError(
            f"{PREFIX}{name} and {PREFIX}{name}_FILE are both set: expected only one of them"
        )
    label = f"{PREFIX}{name}_FILE"
    if file_name is not None:
        path = Path(file_name)
        if not path.is_absolute():
            raise bad(name + "_FILE", file_name, "an absolute path")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            raise ConfigError(f"{label}={file_name!r} cannot be read ({reason})") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{label}={file_name!r} is not valid: expected UTF-8 text") from None
        if not text.strip():
            raise ConfigError(f"{label}={file_name!r} is empty: expected the page in Markdown")
    if text is not None and len(text) > MAX_PAGE_CHARS:
        where = label if file_name is not None else PREFIX + name
        raise ConfigError(f"{where} is too long: expected at most {MAX_PAGE_CHARS} characters")
    return text


def env_link(
    url_name: str, text_name: str, env: Mapping[str, str] | None = None
) -> tuple[str, str] | None:
    """A link given as two variables, both or neither: (URL, text) or None.

    The URL is http(s) with a host name, or a path on this site starting with one slash.
    """
    env = os.environ if env is None else env
    url, text = _raw(url_name, env), _raw(text_name, env)
    if url is None and text is None:
        return None
    if url is None or text is None:
        given, missing = (text_name, url_name) if url is None else (url_name, text_name)
        raise ConfigError(
            f"{PREFIX}{given} is set but {PREFIX}{missing} is not: expected both or neither"
        )
    parts = urlsplit(url)
    site_path = not parts.scheme and not parts.netloc and url.startswith("/")
    web = parts.scheme in ("http", "https") and bool(parts.hostname)
    if not (site_path or web) or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise bad(url_name, url, "an http:// or https:// URL, or a path such as /about/")
    if len(text) > 80 or any(ord(ch) < 32 for ch in text):
        raise bad(text_name, text, "a link text of at most 80 characters on one line")
    return url, text


@dataclass(frozen=True)
class Rate:
    """At most `count` times per `seconds`, counted in fixed windows of that length."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


_RATE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_EXPECTED = "COUNT/PERIOD such as 20/h, 60/10m or 5/30s (units s, m, h, d; at most 1d), or off"


def parse_rate(name: str, value: str) -> Rate | None:
    """`20/h`, `60/10m`: a count of 1 to 1000000 per period of 1 second to 1 day; `off`."""
    if value.lower() == "off":
        return None
    match = re.fullmatch(r"([0-9]{1,7})/([0-9]{0,5})([smhd])", value)
    if not match:
        raise bad(name, value, _RATE_EXPECTED)
    count = int(match.group(1))
    seconds = int(match.group(2) or "1") * _RATE_UNITS[match.group(3)]
    if not 1 <= count <= 1_000_000 or not 1 <= seconds <= 86400:
        raise bad(name, value, _RATE_EXPECTED)
    return Rate(count, seconds)


def env_rate(name: str, default: str) -> Rate | None:
    value = _raw(name)
    return parse_rate(name, default if value is None else value)


_SIZE_UNITS = {"": 1, "k": 1024, "kib": 1024, "m": 1024**2, "mib": 1024**2}


def env_size(name: str, default: int, minimum: int, maximum: int) -> int:
    """A size in bytes: a whole number, optionally followed by k/KiB or m/MiB (powers of 1024)."""
    value = _raw(name)
    if value is None:
        return default
    match = re.fullmatch(r"([0-9]{1,12})\s*([A-Za-z]*)", value)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _SIZE_UNITS:
        raise bad(name, value, "a size in bytes such as 1048576, 512KiB or 1MiB")
    size = int(match.group(1)) * _SIZE_UNITS[unit]
    if not minimum <= size <= maximum:
        raise bad(name, value, f"a size from {minimum} to {maximum} bytes")
    return size


# --- Single sign-on: OpenID Connect and LDAP (docs/accounts.md) ---------------------------

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def env_url(name: str, schemes: tuple[str, ...], loopback_http: bool = False) -> str | None:
    """A URL with one of `schemes` and a host; plain http only to loopback when allowed.

    Identity providers are reached over https; a provider on the same host (tests, a local
    Dex) may speak http because nothing leaves the machine.
    """
    value = _raw(name)
    if value is None:
        return None
    parts = urlsplit(value)
    allowed = parts.scheme in schemes or (
        loopback_http and parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_NAMES
    )
    expected = " or ".join(s + "://" for s in schemes) + " URL with a host name"
    if loopback_http:
        expected += " (http:// only for localhost)"
    if not allowed or not parts.hostname or parts.fragment or parts.username or parts.password:
        raise bad(name, value, "an " + expected)
    try:
        parts.port  # noqa: B018 - accessing it validates the port
    except ValueError:
        raise bad(name, value, "a URL with a valid port") from None
    return value


class Oidc(NamedTuple):
    issuer: str
    client_id: str
    client_secret: str | None
    scopes: tuple[str, ...]
    groups_claim: str
    username_claim: str
    name: str


def env_oidc() -> Oidc | None:
    """OpenID Connect: on when BITPOLL_OIDC_ISSUER is set, which then needs a client id."""
    declare("OIDC_CLIENT_SECRET", "OIDC_CLIENT_SECRET_FILE")
    issuer = env_url("OIDC_ISSUER", ("https",), loopback_http=True)
    client_id = _raw("OIDC_CLIENT_ID")
    scopes = env_str("OIDC_SCOPES", "openid email profile").split()
    groups_claim = env_str("OIDC_GROUPS_CLAIM", "")
    username_claim = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
    name = env_str("OIDC_NAME", "")
    if issuer is None:
        return None
    if client_id is None:
        raise ConfigError(
            f"{PREFIX}OIDC_ISSUER is set but {PREFIX}OIDC_CLIENT_ID is not: expected the client "
            "id registered at the provider"
        )
    if "openid" not in scopes:
        raise bad("OIDC_SCOPES", " ".join(scopes), "space-separated scopes including openid")
    if len(name) > 40:
        raise bad("OIDC_NAME", name, "a provider name of at most 40 characters")
    return Oidc(
        issuer=issuer.rstrip("/"),
        client_id=client_id,
        client_secret=env_secret("OIDC_CLIENT_SECRET"),
        scopes=tuple(scopes),
        groups_claim=groups_claim,
        username_claim=username_claim,
        name=name,
    )


class Ldap(NamedTuple):
    uri: str
    start_tls: bool
    ca_file: Path | None
    bind_dn: str
    bind_password: str
    user_search_base: str
    user_filter: str
    user_dn_template: str
    group_search_base: str
    group_filter: str
    group_type: str
    require_group: str
    attr_name: str
    attr_email: str
    timeout: int


LDAP_GROUP_TYPES = ("groupofnames", "groupofuniquenames", "posixgroup")


def env_ldap() -> Ldap | None:
    """LDAP: on when BITPOLL_LDAP_URI is set; users are found by search or by DN template."""
    declare("LDAP_BIND_PASSWORD", "LDAP_BIND_PASSWORD_FILE")
    uri = env_url("LDAP_URI", ("ldap", "ldaps"))
    start_tls = env_bool("LDAP_START_TLS", False)
    ca_file = _raw("LDAP_CA_FILE")
    bind_dn = env_str("LDAP_BIND_DN", "")
    search_base = env_str("LDAP_USER_SEARCH_BASE", "")
    user_filter = env_str("LDAP_USER_FILTER", "(uid=%(user)s)")
    dn_template = env_str("LDAP_USER_DN_TEMPLATE", "")
    group_base = env_str("LDAP_GROUP_SEARCH_BASE", "")
    group_filter = env_str("LDAP_GROUP_FILTER", "(objectClass=groupOfNames)")
    group_type = env_choice("LDAP_GROUP_TYPE", "groupofnames", LDAP_GROUP_TYPES)
    require_group = env_str("LDAP_REQUIRE_GROUP", "")
    attr_name = env_str("LDAP_ATTR_NAME", "cn")
    attr_email = env_str("LDAP_ATTR_EMAIL", "mail")
    timeout = env_int("LDAP_TIMEOUT", 5, minimum=1, maximum=60)
    if uri is None:
        return None
    if start_tls and uri.startswith("ldaps://"):
        raise bad("LDAP_START_TLS", "true", "false with an ldaps:// URI, which is TLS already")
    if bool(search_base) == bool(dn_template):
        raise ConfigError(
            f"{PREFIX}LDAP_URI is set: expected exactly one of {PREFIX}LDAP_USER_SEARCH_BASE "
            f"(bind and search) and {PREFIX}LDAP_USER_DN_TEMPLATE (direct bind)"
        )
    if dn_template and "%(user)s" not in dn_template:
        raise bad("LDAP_USER_DN_TEMPLATE", dn_template, "a DN containing %(user)s")
    if search_base and "%(user)s" not in user_filter:
        raise bad("LDAP_USER_FILTER", user_filter, "a filter containing %(user)s")
    if not (user_filter.startswith("(") and user_filter.endswith(")")):
        raise bad("LDAP_USER_FILTER", user_filter, "an LDAP filter in parentheses")
    if not (group_filter.startswith("(") and group_filter.endswith(")")):
        raise bad("LDAP_GROUP_FILTER", group_filter, "an LDAP filter in parentheses")
    if require_group and not group_base:
        raise ConfigError(
            f"{PREFIX}LDAP_REQUIRE_GROUP needs {PREFIX}LDAP_GROUP_SEARCH_BASE: expected both"
        )
    if ca_file is not None and not ca_file.startswith("/"):
        raise bad("LDAP_CA_FILE", ca_file, "an absolute path")
    return Ldap(
        uri=uri,
        start_tls=start_tls,
        ca_file=Path(ca_file) if ca_file else None,
        bind_dn=bind_dn,
        bind_password=(env_secret("LDAP_BIND_PASSWORD") or "") if bind_dn else "",
        user_search_base=search_base,
        user_filter=user_filter,
        user_dn_template=dn_template,
        group_search_base=group_base,
        group_filter=group_filter,
        group_type=group_type,
        require_group=require_group,
        attr_name=attr_name,
        attr_email=attr_email,
        timeout=timeout,
    )


# --- PostgreSQL over TLS (docs/scaling.md) ---

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def database_tls(database: dict[str, object], env: Mapping[str, str] | None = None) -> None:
    """Verify the PostgreSQL server's certificate against BITPOLL_DATABASE_CA_FILE.

    The CA is a file of PEM certificates, named by BITPOLL_DATABASE_CA_FILE or given as the
    systemd credential `database_ca`. With it, sslmode defaults to verify-full (certificate
    signed by that CA and issued for the host name connected to); a weaker sslmode in the URL
    would silently skip the host name check, so it is refused. libpq reads the file itself, at
    every connection, so only its path goes into the settings.
    """
    env = os.environ if env is None else env
    declare("DATABASE_CA_FILE")
    options = database["OPTIONS"]
    assert isinstance(options, dict)
    label = f"{PREFIX}DATABASE_CA_FILE"
    given = _raw("DATABASE_CA_FILE", env)
    path: Path | None = None
    if given is not None:
        path = Path(given)
        if not path.is_absolute():
            raise bad("DATABASE_CA_FILE", given, "an absolute path")
    else:
        cred_dir = env.get("CREDENTIALS_DIRECTORY")
        if cred_dir and (Path(cred_dir) / "database_ca").exists():
            path = Path(cred_dir) / "database_ca"
            label = "credential 'database_ca'"
    if path is None:
        return
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(f"{label}={str(path)!r} cannot be read ({reason})") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ConfigError(
            f"{label}={str(path)!r} is not valid: expected PEM certificates "
            "(-----BEGIN CERTIFICATE-----)"
        )
    mode = str(options.get("sslmode", "verify-full"))
    if mode not in ("verify-ca", "verify-full"):
        raise ConfigError(
            f"{PREFIX}DATABASE_URL has sslmode={mode} but {label} is set: expected "
            "sslmode=verify-full (the default with a CA file) or verify-ca"
        )
    options["sslmode"] = mode
    options["sslrootcert"] = str(path)
