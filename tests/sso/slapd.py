"""A real OpenLDAP server for the tests: Debian's slapd, unprivileged, on loopback.

The directory lives in a temporary directory, seeded with slapadd before the server starts;
it listens on ldap:// (StartTLS offered) and ldaps:// with a self-signed certificate made by
openssl, whose file tests pass as the CA. As root the server and slapadd run as nobody
(setpriv), so the tests never run a directory server with root's powers.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from serverutil import free_port

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
BASE = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE}"
NOBODY = 65534

# user name: (display name, e-mail, password, groups)
USERS = {
    "carol": ("Carol Directory", "carol@example.org", "carol-secret-1", ["council", "chess"]),
    "dave": ("Dave Directory", "dave@example.org", "dave-secret-1", ["chess"]),
}


def unavailable_reason() -> str | None:
    for tool in (SLAPD, SLAPADD):
        if not Path(tool).is_file():
            return f"no {tool} (Debian package slapd)"
    if not (SCHEMA / "inetorgperson.schema").is_file():
        return f"no LDAP schema files in {SCHEMA}"
    if shutil.which("openssl") is None:
        return "no openssl to make the server's certificate"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "running as root without setpriv: cannot start slapd unprivileged"
    return None


def ssha(password: str) -> str:
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - LDAP's {SSHA}
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def seed_ldif(admin_password: str) -> str:
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example",
        f"dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups",
    ]
    for uid, (name, mail, password, _groups) in USERS.items():
        entries.append(
            f"dn: uid={uid},ou=people,{BASE}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
            f"cn: {name}\nsn: {name.split()[-1]}\nmail: {mail}\nuserPassword: {ssha(password)}"
        )
    groups: dict[str, list[str]] = {}
    for uid, (_n, _m, _p, names) in USERS.items():
        for group in names:
            groups.setdefault(group, []).append(f"uid={uid},ou=people,{BASE}")
    for group, members in groups.items():
        lines = "\n".join(f"member: {m}" for m in members)
        entries.append(
            f"dn: cn={group},ou=groups,{BASE}\nobjectClass: groupOfNames\ncn: {group}\n{lines}"
        )
    del admin_password
    return "\n\n".join(entries) + "\n"


class Slapd:
    def __init__(self) -> None:
        reason = unavailable_reason()
        if reason:
            pytest.skip(reason)
        self.dir = Path(tempfile.mkdtemp(prefix="bitpoll-slapd-"))
        self.port = free_port()
        self.tls_port = free_port()
        self.admin_password = "admin-" + base64.b32encode(os.urandom(10)).decode()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_uri(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def ca_file(self) -> Path:
        return self.dir / "cert.pem"

    def _as_nobody(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]

    def start(self) -> Slapd:
        (self.dir / "db").mkdir()
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-keyout", str(self.dir / "key.pem"), "-out", str(self.ca_file),
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-addext", "basicConstraints=critical,CA:TRUE",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        conf = self.dir / "slapd.conf"
        conf.write_text(
            "\n".join(
                [
                    *(
                        f"include {SCHEMA / s}.schema"
                        for s in ("core", "cosine", "inetorgperson", "nis")
                    ),
                    f"modulepath {MODULES}",
                    "moduleload back_mdb",
                    f"pidfile {self.dir / 'slapd.pid'}",
                    f"TLSCertificateFile {self.ca_file}",
                    f"TLSCertificateKeyFile {self.dir / 'key.pem'}",
                    "database mdb",
                    "maxsize 16777216",
                    f"suffix {BASE}",
                    f"rootdn {ADMIN_DN}",
                    f"rootpw {ssha(self.admin_password)}",
                    f"directory {self.dir / 'db'}",
                    "access to attrs=userPassword by anonymous auth by * none",
                    "access to * by users read by * none",
                ]
            )
            + "\n"
        )
        (self.dir / "seed.ldif").write_text(seed_ldif(self.admin_password))
        if os.geteuid() == 0:
            for path in [self.dir, *self.dir.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
        subprocess.run(
            self._as_nobody([SLAPADD, "-f", str(conf), "-l", str(self.dir / "seed.ldif")]),
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            self._as_nobody(
                [SLAPD, "-d", "0", "-f", str(conf), "-h", f"{self.uri}/ {self.ldaps_uri}/"]
            ),
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "slapd.log", "wb"),
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("slapd exited: " + (self.dir / "slapd.log").read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                socket.create_connection(("127.0.0.1", self.tls_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError("slapd did not listen within 20 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
