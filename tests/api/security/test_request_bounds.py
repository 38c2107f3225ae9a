"""Request bodies are bounded in front of every route: 413 for a body (declared or streamed)
past the cap, the upload routes keep their own larger caps, and nothing larger than the
cap is ever held in memory."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware.bounds import UPLOAD_ROUTES, body_limits
from catalog.settings import Settings, get_settings
from tests.api.security.conftest import Served, read_response, status_of

MiB = 1024**2


def _error(raw: bytes) -> dict:
    error = json.loads(raw.split(b"\r\n\r\n", 1)[1])["error"]
    assert set(error) == {"code", "message", "where", "details"}
    return dict(error)


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/access-requests"), ("PATCH", "/labs/aiff-datalab")]
)
def test_a_declared_400_mb_body_is_refused_before_it_is_read(
    served: Served, method: str, path: str
) -> None:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {400 * 1000**2}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with served.connect() as sock:
        sock.sendall(head + b'{"comment": "' + b"x" * 65536)
        raw = read_response(sock)
    assert time.monotonic() - started < 2
    assert status_of(raw) == 413
    assert b"connection: close" in raw.lower()
    error = _error(raw)
    assert error["code"] == "payload_too_large"
    assert error["where"] == "body"
    assert error["details"]["limit"] == MiB
    served.health_seconds()


def _send_chunked(sock: socket.socket, total: int) -> bytes:
    """Stream ``total`` bytes of JSON-ish body in 64 KiB chunks; the server's answer."""
    chunk = b"a" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent, answer = 0, b""
    sock.settimeout(0.0)
    try:
        while sent < total:
            try:
                sock.sendall(frame)
            except BlockingIOError:
                time.sleep(0.005)
            else:
                sent += len(chunk)
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                continue
            if answer:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    return answer + read_response(sock)


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/access-requests"), ("PATCH", "/labs/aiff-datalab")]
)
def test_a_streamed_body_past_the_cap_is_cut_off_without_being_buffered(
    served: Served, method: str, path: str
) -> None:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    with served.connect() as sock:  # warm the route up: its first call imports and opens
        sock.sendall(head + b"2\r\n{}\r\n0\r\n\r\n")
        assert status_of(read_response(sock, 10)) in (401, 422)
    before = served.rss_peak_kib()
    with served.connect() as sock:
        sock.sendall(head)
        raw = _send_chunked(sock, 50 * MiB)
    assert status_of(raw) == 413
    assert _error(raw)["code"] == "payload_too_large"
    grown_mib = (served.rss_peak_kib() - before) / 1024
    assert grown_mib < 16, f"the server's peak memory grew by {grown_mib:.1f} MiB"
    served.health_seconds()


@pytest.fixture
def small(tmp_path) -> Iterator[tuple[TestClient, Settings]]:
    settings = get_settings(
        home=tmp_path / "home",
        max_request_bytes=64 * 1024,
        sample_max_upload_bytes=4 * MiB,
        web_form_max_bytes=2 * MiB,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, settings


def test_the_upload_table_names_existing_settings_and_routes(small) -> None:
    client, settings = small
    app = client.app
    uploads = {  # route name -> method: every route that takes a file or a document
        "put_sample": "PUT",
        "attach_sample": "POST",
        "validate": "POST",
        "from_form": "POST",
        "save": "POST",
    }
    for name, method in uploads.items():
        params = {"dataset_id": "x"} if name == "put_sample" else {}
        path = str(app.url_path_for(name, **params))  # type: ignore[attr-defined]
        assert body_limits(settings, method, path)[0] > settings.max_request_bytes, name
    for route in UPLOAD_ROUTES:
        assert route.cap_setting in Settings.model_fields
    assert body_limits(settings, "PUT", "/datasets/abc/sample") == (
        4 * MiB,
        settings.upload_timeout_seconds,
    )
    assert body_limits(settings, "POST", "/ui/steward/save")[0] == 2 * MiB
    assert body_limits(settings, "GET", "/datasets/abc/sample") == (
        64 * 1024,
        settings.body_timeout_seconds,
    )


def test_upload_routes_take_more_than_the_default_cap_and_no_more_than_their_own(small) -> None:
    client, _ = small
    two_mib = b"\0" * (2 * MiB)
    # past the default cap, under the sample cap: the route runs (no such dataset: 404)
    r = client.put("/datasets/abc/sample", content=two_mib)
    assert r.status_code in (401, 404)
    r = client.put("/datasets/abc/sample", content=b"\0" * (5 * MiB))
    assert r.status_code == 413
    assert r.json()["error"]["details"]["limit"] == 4 * MiB
    # every other route keeps the default cap, the form routes of the pages included
    for method, path in [("POST", "/access-requests"), ("POST", "/ui/login")]:
        r = client.request(method, path, content=two_mib)
        assert r.status_code == 413, path
        assert r.json()["error"]["code"] == "payload_too_large"


def test_a_body_under_the_cap_is_read_as_before(small) -> None:
    client, _ = small
    r = client.post("/access-requests", json={"comment": "x" * 1000})
    assert r.status_code in (401, 422)
    assert r.json()["error"]["code"] != "payload_too_large"
