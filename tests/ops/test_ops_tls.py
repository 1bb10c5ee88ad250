"""PostgreSQL over TLS: the server's certificate is checked against BITPOLL_DATABASE_CA_FILE.

A real PostgreSQL server runs with ssl=on and a certificate for 127.0.0.1 signed by a CA that
the test makes with openssl. Right CA and host: the connection is encrypted. Another CA, or a
host name the certificate is not for: `bitpoll serve` stops with one line that says so.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from opsutil import bitpoll, env_for

import pgcluster
from bitpoll import conf

pytestmark = pytest.mark.skipif(
    os.environ.get("BITPOLL_TEST_BACKEND", "").strip().lower() == "postgresql",
    reason="starts a PostgreSQL server of its own with TLS: runs in the default (SQLite) run",
)


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(directory: Path, name: str) -> None:
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.crt",
        cwd=directory,
    )  # fmt: skip


@pytest.fixture(scope="module")
def certificates() -> Iterator[Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    # Not below pytest's private temporary directory: the server may run as another user.
    directory = Path(tempfile.mkdtemp(prefix="bitpoll-tls-"))
    directory.chmod(0o755)
    make_ca(directory, "ca")
    make_ca(directory, "other-ca")
    (directory / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr",
        cwd=directory,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.crt",
        cwd=directory,
    )  # fmt: skip
    key = directory / "server.key"
    key.chmod(0o600)
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(key, entry.pw_uid, entry.pw_gid)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_server(certificates: Path) -> Iterator[pgcluster.Cluster]:
    reason = pgcluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    options = (
        f"-c ssl=on -c ssl_cert_file={certificates / 'server.crt'} "
        f"-c ssl_key_file={certificates / 'server.key'}"
    )
    with pgcluster.Cluster(server_options=options) as cluster:
        cluster.create_database("tls")
        yield cluster


def url(cluster: pgcluster.Cluster, host: str) -> str:
    return f"postgresql://postgres@{host}:{cluster.port}/tls"


def test_it_connects_over_tls_with_the_right_ca(
    tls_server: pgcluster.Cluster, certificates: Path, tmp_path: Path
) -> None:
    env = env_for(
        tmp_path,
        url(tls_server, "127.0.0.1"),
        BITPOLL_SECRET_KEY="t" * 50,
        BITPOLL_DATABASE_CA_FILE=str(certificates / "ca.crt"),
    )
    bitpoll(["migrate", "-v0"], env)
    # The CA as a systemd credential, as the NixOS module passes it.
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    shutil.copy(certificates / "ca.crt", credentials / "database_ca")
    env.pop("BITPOLL_DATABASE_CA_FILE")
    env["CREDENTIALS_DIRECTORY"] = str(credentials)
    code = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')\n"
        "    print(c.fetchone()[0], connection.settings_dict['OPTIONS']['sslmode'])\n"
    )
    out = bitpoll(["shell", "-c", code], env).stdout.strip().splitlines()[-1]
    assert out == "True verify-full"


@pytest.mark.parametrize(
    ("host", "ca", "expected"),
    [
        ("127.0.0.1", "other-ca.crt", "certificate verify failed"),
        ("localhost", "ca.crt", 'does not match host name "localhost"'),
    ],
    ids=["wrong-ca", "wrong-host"],
)
def test_it_refuses_a_certificate_it_cannot_verify_with_one_line(
    tls_server: pgcluster.Cluster,
    certificates: Path,
    tmp_path: Path,
    host: str,
    ca: str,
    expected: str,
) -> None:
    env = env_for(
        tmp_path,
        url(tls_server, host),
        BITPOLL_SECRET_KEY="t" * 50,
        BITPOLL_DATABASE_CA_FILE=str(certificates / ca),
    )
    result = bitpoll(["serve"], env, check=False, timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "bitpoll.E006: The database server's certificate was refused" in lines[0]
    assert expected in lines[0] and "BITPOLL_DATABASE_CA_FILE" in lines[0]


def pg(**options: object) -> dict[str, object]:
    return {"ENGINE": "django.db.backends.postgresql", "OPTIONS": dict(options)}


def test_the_ca_file_is_checked_when_the_settings_are_read(tmp_path: Path) -> None:
    pem = tmp_path / "ca.crt"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    database = pg()
    conf.database_tls(database, {"BITPOLL_DATABASE_CA_FILE": str(pem)})
    assert database["OPTIONS"] == {"sslmode": "verify-full", "sslrootcert": str(pem)}
    database = pg(sslmode="verify-ca")
    conf.database_tls(database, {"BITPOLL_DATABASE_CA_FILE": str(pem)})
    assert database["OPTIONS"] == {"sslmode": "verify-ca", "sslrootcert": str(pem)}
    database = pg()
    conf.database_tls(database, {})
    assert database["OPTIONS"] == {}, "no CA: libpq's defaults"

    with pytest.raises(conf.ConfigError, match="sslmode=require but BITPOLL_DATABASE_CA_FILE"):
        conf.database_tls(pg(sslmode="require"), {"BITPOLL_DATABASE_CA_FILE": str(pem)})
    with pytest.raises(conf.ConfigError, match="expected an absolute path"):
        conf.database_tls(pg(), {"BITPOLL_DATABASE_CA_FILE": "ca.crt"})
    with pytest.raises(conf.ConfigError, match="cannot be read"):
        conf.database_tls(pg(), {"BITPOLL_DATABASE_CA_FILE": str(tmp_path / "missing.crt")})
    (tmp_path / "database_ca").write_text("not a certificate")
    with pytest.raises(conf.ConfigError, match=r"credential 'database_ca'.*expected PEM"):
        conf.database_tls(pg(), {"CREDENTIALS_DIRECTORY": str(tmp_path)})


def test_it_names_the_valid_sslmodes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BITPOLL_DATABASE_URL", "postgresql://u@db.example.org/x?sslmode=verify")
    with pytest.raises(conf.ConfigError, match=r"expected sslmode one of disable, .* verify-full"):
        conf.database_config("DATABASE_URL", tmp_path / "x.sqlite3", tmp_path)
