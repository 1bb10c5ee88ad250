"""Request bodies: multipart refused outright, others capped by BITPOLL_MAX_BODY_SIZE, unread.

The in-process tests hand Django a body stream that counts what is read from it; the server
tests send the headers and the start of a body to `bitpoll serve` and look at its temp dir.
"""

from __future__ import annotations

import io
import socket
import tempfile
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings

from serverutil import clean_env, run_bitpoll, serving

MB = 1024 * 1024


class CountingBody(io.RawIOBase):
    """`size` bytes of form data, produced on demand; counts how many were read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"a" * n
        self.read_bytes += n
        return n


def _call(method: str, content_type: str, size: int, **extra: str) -> tuple[str, CountingBody]:
    body = CountingBody(size)
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/new/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BufferedReader(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": content_type,
        **({"CONTENT_LENGTH": str(size)} if size else {}),
        **extra,
    }
    statuses: list[str] = []
    response = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    b"".join(response)
    response.close()  # type: ignore[attr-defined]
    return statuses[0], body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "size", "status"),
    [
        ("multipart/form-data; boundary=x", 30 * MB, "415"),
        ("multipart/form-data; boundary=x", 100, "415"),
        ("MULTIPART/mixed; boundary=x", 100, "415"),
        ("application/x-www-form-urlencoded", 2 * MB, "413"),
        ("text/plain", 2 * MB, "413"),
    ],
)
def test_it_refuses_bodies_unread(
    tmp_path: Path, content_type: str, size: int, status: str
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(spool)):
        got, body = _call("POST", content_type, size)
    assert got.startswith(status)
    assert body.read_bytes == 0
    assert list(spool.iterdir()) == []


@pytest.mark.django_db
def test_it_refuses_a_chunked_body() -> None:
    got, body = _call(
        "POST", "application/x-www-form-urlencoded", 0, HTTP_TRANSFER_ENCODING="chunked"
    )
    assert got.startswith("411") and body.read_bytes == 0


@pytest.mark.django_db
def test_it_lets_a_body_within_the_limit_through() -> None:
    cookie = "csrftoken=" + "a" * 32
    got, body = _call("POST", "application/x-www-form-urlencoded", MB, HTTP_COOKIE=cookie)
    assert got.startswith("403")  # the CSRF check read it, looking for its token
    assert body.read_bytes == MB


@pytest.mark.django_db
def test_it_answers_in_the_visitors_language() -> None:
    from django.test import Client

    response = Client().post(
        "/new/", b"x", content_type="multipart/form-data; boundary=x", HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 415
    assert "Hochladen" in response.content.decode()


def _send(port: int, head: str, body: bytes) -> str:
    """Send the request line and headers and as much of `body` as the server takes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        try:
            sock.sendall(body)
        except OSError:
            pass  # the server answered and closed without reading the rest
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode()


@pytest.mark.slow
def test_the_server_refuses_big_and_multipart_bodies_before_spooling(tmp_path: Path) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    with serving(tmp_path / "data", {"TMPDIR": str(spool)}) as server:
        port = server.port
        head = (
            "POST /new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {type}\r\n"
            "Content-Length: {length}\r\nConnection: close\r\n\r\n"
        )
        part = b"--x\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\n"
        multipart = head.format(type="multipart/form-data; boundary=x", length=30 * MB)
        assert " 415 " in _send(port, multipart, part + b"a" * MB)
        form = head.format(type="application/x-www-form-urlencoded", length=2 * MB)
        assert " 413 " in _send(port, form, b"title=" + b"a" * MB)
        chunked = (
            "POST /new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
        )
        assert " 411 " in _send(port, chunked, b"400\r\n" + b"a" * 1024 + b"\r\n")
        assert list(spool.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "expected"), [("2MiB", 2 * MB), ("524288", 512 * 1024), ("512k", 512 * 1024)]
)
def test_the_limit_is_configurable(tmp_path: Path, value: str, expected: int) -> None:
    code = "from django.conf import settings as s; print(s.MAX_BODY_SIZE, s.DATA_UPLOAD_MAX_MEMORY_SIZE)"
    env = clean_env(tmp_path / "data", BITPOLL_MAX_BODY_SIZE=value)
    result = run_bitpoll(["shell", "--no-imports", "-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == [str(expected), str(expected)]


@pytest.mark.parametrize("value", ["lots", "1GB", "-1", "1 MiB extra", "10"])
def test_a_bad_limit_stops_with_one_line(tmp_path: Path, value: str) -> None:
    result = run_bitpoll(["check"], clean_env(tmp_path / "data", BITPOLL_MAX_BODY_SIZE=value))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "BITPOLL_MAX_BODY_SIZE" in lines[0] and repr(value) in lines[0]


def test_the_default_is_one_mebibyte() -> None:
    from django.conf import settings

    assert settings.MAX_BODY_SIZE == MB
    assert tempfile.gettempdir()  # the spool the refused bodies never reach
