"""Django settings for Bitpoll, read only from BITPOLL_* environment variables.

Importing this module never writes anything: the data directory and the generated secret key
are created by the `bitpoll` command (see bitpoll.__main__) before Django is set up.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from bitpoll import conf

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = conf.data_dir()

DEBUG = conf.env_bool("DEBUG", False)


def _secret_key() -> str:
    configured = conf.env_secret("SECRET_KEY")
    if configured is not None:
        return configured
    generated = DATA_DIR / "secret_key"
    try:
        return generated.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise conf.ConfigError(
            f"no secret key: set BITPOLL_SECRET_KEY_FILE, or run `bitpoll` once to generate "
            f"{generated}"
        ) from None
    except OSError as exc:
        raise conf.ConfigError(
            f"secret key file {str(generated)!r} cannot be read ({exc.strerror})"
        ) from None


SECRET_KEY = _secret_key()

BASE_URL = conf.env_base_url("BASE_URL", "http://localhost:8000")
_base = urlsplit(BASE_URL)
HTTPS = _base.scheme == "https"
ALLOWED_HOSTS = conf.env_hosts("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]
BEHIND_PROXY = conf.env_bool("BEHIND_PROXY", False)

BIND = conf.env_bind("BIND", conf.Bind())
WORKERS = conf.env_int("WORKERS", 2, minimum=1, maximum=64)
LOG_LEVEL = conf.env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical"))
LOG_FORMAT = conf.env_choice("LOG_FORMAT", "text", ("text", "json"))

INSTALLED_APPS = [
    # bitpoll.core comes before staticfiles so that its collectstatic (which stamps the
    # collected files for `bitpoll serve`) replaces Django's.
    "bitpoll.core",
    "bitpoll.polls",
    "bitpoll.ops",
    "bitpoll.ratelimit",
    "bitpoll.accounts",
    "bitpoll.mail",
    # Import from the original Bitpoll: its models hold the redirects of the original's links.
    "bitpoll.importer",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # First, so that everything after it (rate limits included) reads the client's address
    # from REMOTE_ADDR; only active with BITPOLL_BEHIND_PROXY.
    "bitpoll.core.middleware.client_address",
    "django.middleware.security.SecurityMiddleware",
    "bitpoll.core.middleware.security_headers",
    # Before anything that reads the body (CSRF, forms): oversized and multipart bodies are
    # refused unread.
    "bitpoll.core.bodylimit.body_limit",
    # WhiteNoise, finding each file on its first request rather than indexing them all when
    # the server starts (bitpoll.core.staticfiles).
    "bitpoll.core.staticfiles.StaticFilesMiddleware",
    # Inside WhiteNoise, which serves static files precompressed; pages are compressed here.
    # Django adds random bytes to each gzip header against BREACH, and CSRF tokens are masked
    # per response.
    "bitpoll.core.middleware.QualityGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A logged-in user's time zone (accounts), read from the session only when there is one.
    "bitpoll.accounts.middleware.user_time_zone",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a RateLimited exception from any view into the localized 429 page.
    "bitpoll.ratelimit.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "bitpoll.urls"
WSGI_APPLICATION = "bitpoll.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bitpoll.core.context_processors.site",
                "bitpoll.accounts.context_processors.accounts",
            ],
        },
    },
]

DATABASES = {
    "default": conf.database_config(
        "DATABASE_URL", default_sqlite=DATA_DIR / "bitpoll.sqlite3", data=DATA_DIR
    )
}
conf.declare("DATABASE_PASSWORD", "DATABASE_PASSWORD_FILE", "EMAIL_PASSWORD", "EMAIL_PASSWORD_FILE")
# Read only by `bitpoll import-bitpoll` (the original Bitpoll's database password).
conf.declare("IMPORT_PASSWORD", "IMPORT_PASSWORD_FILE")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["PASSWORD"] = conf.env_secret("DATABASE_PASSWORD") or ""
    conf.database_tls(DATABASES["default"])
conf.declare("DATABASE_CA_FILE")
# --- PostgreSQL: prepared statements for the hand-written statements on busy paths
# (bitpoll.core.prepared). psycopg prepares only what a server-binding cursor runs, so the
# threshold (0: at the first run) applies to those statements alone, never to the ORM's.
# Off behind a pooler in transaction mode that cannot keep them (PgBouncer before 1.21).
_DATABASE_PREPARED = conf.env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _DATABASE_PREPARED:
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 0  # type: ignore[index]
# --- end PostgreSQL prepared statements
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = conf.env_path("STATIC_ROOT", DATA_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Hashed names change with the content, so browsers may keep them forever.
WHITENOISE_MAX_AGE = 3600
# Pages link only the hashed names; without the unhashed copies STATIC_ROOT is half the size
# and the unhashed names are simply not found.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

# Flash messages travel in a signed cookie so that answering a poll writes no session row:
# Django's cookie storage, with its signer made once (bitpoll.core.messages).
MESSAGE_STORAGE = "bitpoll.core.messages.CookieStorage"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 63072000 if HTTPS else 0
# Both commit every other name under the domain to https (preload: for good, through the
# browsers' built-in list), which only the domain's owner can decide; off unless asked for.
SECURE_HSTS_INCLUDE_SUBDOMAINS = conf.env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = conf.env_bool("HSTS_PRELOAD", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = HTTPS
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SILENCED_SYSTEM_CHECKS = [
    # Replaced by bitpoll.W004, which explains what to set: TLS, HSTS and secure cookies
    # all follow from an https:// BITPOLL_BASE_URL.
    "security.W004",
    "security.W008",
    "security.W012",
    "security.W016",
    # HSTS for subdomains and preloading: see above; BITPOLL_HSTS_INCLUDE_SUBDOMAINS and
    # BITPOLL_HSTS_PRELOAD turn them on where that is the domain owner's decision.
    "security.W005",
    "security.W021",
]

# Answers and comments are small; anything bigger is a mistake or an attack. Bodies over the
# limit are refused unread (bitpoll.core.bodylimit), multipart ones always: nothing is uploaded.
MAX_BODY_SIZE = conf.env_size("MAX_BODY_SIZE", 1024 * 1024, minimum=64 * 1024, maximum=64 * 1024**2)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_SIZE
FILE_UPLOAD_HANDLERS: list[str] = []
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

_email = conf.env_email("EMAIL_URL")
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = (conf.env_secret("EMAIL_PASSWORD") or "") if _email.host else ""
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
DEFAULT_FROM_EMAIL = conf.env_str("EMAIL_FROM", "bitpoll@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Both formatters redact the secrets of admin and edit links (bitpoll.core.logging).
    "formatters": {
        "text": {"()": "bitpoll.core.logging.TextFormatter"},
        "json": {"()": "bitpoll.core.logging.JsonFormatter"},
    },
    "filters": {
        "disallowed_host": {"()": "bitpoll.core.logging.DisallowedHostFilter"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL.upper()},
    "loggers": {
        # Everything goes through the handler above; Django's own (a plain console handler in
        # debug mode) would print lines unformatted and unredacted.
        "django": {"handlers": [], "propagate": True},
        # Requests are already in gunicorn's access log; keep 4xx noise out of the error log.
        "django.request": {"level": "ERROR"},
        # `bitpoll runserver`'s request lines, governed by the log level like gunicorn's.
        "django.server": {"handlers": [], "level": LOG_LEVEL.upper(), "propagate": True},
        "django.security.DisallowedHost": {"filters": ["disallowed_host"]},
    },
}

# Pages the operator writes, in Markdown (None: not shown), and one extra footer link.
SITE_PAGES = {
    "about": conf.env_page("ABOUT"),
    "imprint": conf.env_page("IMPRINT"),
    "privacy": conf.env_page("PRIVACY"),
}
FOOTER_LINK = conf.env_link("FOOTER_LINK_URL", "FOOTER_LINK_TEXT")
# The home page lists the polls whose creators chose "list this poll publicly".
PUBLIC_POLL_LIST = conf.env_bool("PUBLIC_POLL_LIST", True)
# Limits per client address (or per poll, per user name), shared by every worker and node
# through the database; see docs/ratelimits.md for what each one protects.
RATELIMIT_ENABLED = conf.env_bool("RATELIMIT_ENABLED", True)
RATELIMITS = {
    scope: conf.env_rate("RATELIMIT_" + scope.upper(), default)
    for scope, default in (
        ("polls", "20/h"),
        ("answers", "60/10m"),
        ("answers_per_poll", "600/10m"),
        ("comments", "10/10m"),
        ("comments_per_poll", "60/h"),
        ("logins", "10/15m"),
        ("logins_per_user", "20/h"),
        ("renders", "60/10m"),
    )
}

# --- Mail (bitpoll.mail: outbox, sender, poll notifications; docs/operations.md "Mail") ---
# Features that send mail are shown only when BITPOLL_EMAIL_URL is set (console: counts).
MAIL_ENABLED = _email.configured
# All senders together, and per recipient address; rows over a limit wait in the outbox.
MAIL_RATE = conf.env_rate("MAIL_RATE", "120/m")
MAIL_RATE_PER_RECIPIENT = conf.env_rate("MAIL_RATE_PER_RECIPIENT", "30/h")
# At most one "news about your poll" mail per watcher and poll per this many minutes.
MAIL_WATCH_INTERVAL_MINUTES = conf.env_int("MAIL_WATCH_INTERVAL", 15, minimum=1, maximum=10080)
# How often an admin may remind the invitees who have not answered, per invitee.
MAIL_MAX_REMINDERS = conf.env_int("MAIL_MAX_REMINDERS", 3, minimum=0, maximum=20)
# Polls are deleted this many days after their last activity or deadline (0: kept forever).
POLL_RETENTION_DAYS = conf.env_int("POLL_RETENTION_DAYS", 0, minimum=0, maximum=36500)
# "Send me my admin links": per client address and per e-mail address asked for.
RATELIMITS["recovery"] = conf.env_rate("RATELIMIT_RECOVERY", "5/h")
RATELIMITS["recovery_per_user"] = conf.env_rate("RATELIMIT_RECOVERY_PER_ADDRESS", "3/d")
# Invitation batches (up to 200 addresses each, or one user or group) per client address and
# per poll.
RATELIMITS["invitations"] = conf.env_rate("RATELIMIT_INVITATIONS", "10/h")
RATELIMITS["invitations_per_poll"] = conf.env_rate("RATELIMIT_INVITATIONS_PER_POLL", "10/d")
# --- Mail sender run by `bitpoll serve` (core/management/commands/serve.py) ---
# serve: with mail configured, `bitpoll serve` runs `bitpoll send-mail --loop` as a child
# process; external: something else runs it (the NixOS module's bitpoll-mail.service).
MAIL_SENDER = conf.env_choice("MAIL_SENDER", "serve", ("serve", "external"))
# A hung SMTP server must not hold a sender forever (Django's default is no timeout).
EMAIL_TIMEOUT = 30
# --- Single sign-on and AUTHENTICATION_BACKENDS (bitpoll.accounts, docs/accounts.md) ---------
# OpenID Connect is on when BITPOLL_OIDC_ISSUER is set, LDAP when BITPOLL_LDAP_URI is set.
# SSO-only mode takes local passwords away from everyone but staff signing in at /admin/, so
# that the site's administrators cannot be locked out by an outage of the provider.
OIDC = conf.env_oidc()
LDAP = conf.env_ldap()
SSO_ONLY = conf.env_bool("SSO_ONLY", False)
if SSO_ONLY and OIDC is None and LDAP is None:
    raise conf.ConfigError(
        "BITPOLL_SSO_ONLY is on but no single sign-on is configured: expected "
        "BITPOLL_OIDC_ISSUER or BITPOLL_LDAP_URI"
    )
SSO_ENABLED = OIDC is not None or LDAP is not None
TEMPLATES[0]["OPTIONS"]["context_processors"].append(  # type: ignore[index]
    "bitpoll.accounts.context_processors.sso"
)
AUTHENTICATION_BACKENDS: list[str] = []
if LDAP is not None:
    from bitpoll.accounts.ldapconf import django_auth_ldap_settings

    globals().update(django_auth_ldap_settings(LDAP))
    AUTHENTICATION_BACKENDS.append("bitpoll.accounts.backends.LdapBackend")
if OIDC is not None:
    AUTHENTICATION_BACKENDS.append("bitpoll.accounts.backends.OidcBackend")
AUTHENTICATION_BACKENDS.append(
    "bitpoll.accounts.backends.StaffAdminOnlyBackend"
    if SSO_ONLY
    else "bitpoll.accounts.backends.PasswordBackend"
)
# --- end of single sign-on -------------------------------------------------------------------
# --- Several hosts and rollbacks (docs/scaling.md, docs/operations.md) ---
# Snapshots `bitpoll migrate` writes into <data dir>/backups/ before pending migrations; 0: none.
SNAPSHOT_KEEP = conf.env_int("SNAPSHOT_KEEP", 3, minimum=0, maximum=1000)
# Serve a database that a newer release migrated (only when its migrations were additive).
ALLOW_NEWER_SCHEMA = conf.env_bool("ALLOW_NEWER_SCHEMA", False)

# --- Accounts (docs/accounts.md) ----------------------------------------------------------
# Off by default: the site is then anonymous-only, exactly as without the accounts app.
# Single sign-on switches accounts on too.
ACCOUNTS_ENABLED = conf.env_bool("ACCOUNTS_ENABLED", False) or SSO_ENABLED
# "closed": no one registers on the site (accounts come from the Django admin or SSO).
ACCOUNTS_REGISTRATION = conf.env_choice("ACCOUNTS_REGISTRATION", "open", ("open", "closed"))
if SSO_ONLY:
    # SSO-only: no local registration (nor password login, see accounts.views).
    ACCOUNTS_REGISTRATION = "closed"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:polls"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
# --- Sessions read cheaply (accperf, docs/performance.md "Accounts on") ---
# Django's database sessions, the row read with a hand-written statement instead of the ORM's.
SESSION_ENGINE = "bitpoll.accounts.sessions"
# --- end of sessions ---
