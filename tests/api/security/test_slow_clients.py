"""Slow and trickling clients against a real ``datalab serve``: none of them starves the
server, and each is cut off by the header or body deadline (2 s here, plus slack)."""

from __future__ import annotations

import json
import select
import socket
import time

from api.server import raise_open_files_limit
from tests.api.security.conftest import (
    BODY_TIMEOUT,
    HEADER_TIMEOUT,
    Served,
    read_response,
    status_of,
)

#: The attack that was seen: 1,100 connections each trickling a request head.
TRICKLERS = 1100
#: Scheduling slack on a shared, busy machine.
SLACK = 2.5
PARTIAL_HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def _error_code(raw: bytes) -> str:
    body = raw.split(b"\r\n\r\n", 1)[1]
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "where", "details"}
    return str(error["code"])


def test_trickling_heads_neither_starve_health_nor_outlive_the_header_deadline(
    served: Served,
) -> None:
    raise_open_files_limit(TRICKLERS + 256)
    opened: dict[socket.socket, float] = {}
    for _ in range(TRICKLERS):
        sock = served.connect()
        sock.sendall(PARTIAL_HEAD)
        sock.setblocking(False)
        opened[sock] = time.monotonic()
    closed: dict[socket.socket, float] = {}
    answers: dict[socket.socket, bytes] = dict.fromkeys(opened, b"")
    latencies = []
    give_up = max(opened.values()) + HEADER_TIMEOUT + SLACK + 2
    try:
        while len(closed) < len(opened) and time.monotonic() < give_up:
            for sock in opened:
                if sock in closed:
                    continue
                try:
                    sock.send(b"a")  # one more byte of the never-ending header
                except (BrokenPipeError, ConnectionResetError):
                    # The server had answered and closed before this byte: what it sent is
                    # still to be read.
                    answers[sock] += read_response(sock, 1.0)
                    closed[sock] = time.monotonic()
                    continue
                try:
                    chunk = sock.recv(4096)
                except BlockingIOError:
                    continue
                except ConnectionResetError:
                    closed[sock] = time.monotonic()
                    continue
                answers[sock] += chunk
                if not chunk:
                    closed[sock] = time.monotonic()
            latencies.append(served.health_seconds(timeout=2.0))
            time.sleep(0.1)
    finally:
        for sock in opened:
            sock.close()
    assert len(closed) == TRICKLERS, f"{TRICKLERS - len(closed)} trickling sockets still open"
    lifetimes = [closed[s] - opened[s] for s in opened]
    assert max(lifetimes) < HEADER_TIMEOUT + SLACK, max(lifetimes)
    assert min(lifetimes) > HEADER_TIMEOUT - 0.5, min(lifetimes)
    timed_out = [a for a in answers.values() if a]
    assert len(timed_out) == TRICKLERS, f"{TRICKLERS - len(timed_out)} read no 408"
    assert {status_of(a) for a in timed_out} == {408}
    assert {_error_code(a) for a in timed_out} == {"request_timeout"}
    assert len(latencies) >= 10
    assert max(latencies) < 2.0
    served.health_seconds()


def test_an_idle_connection_is_closed_without_an_answer(served: Served) -> None:
    with served.connect() as sock:
        started = time.monotonic()
        raw = read_response(sock, HEADER_TIMEOUT + SLACK + 1)
        waited = time.monotonic() - started
    assert raw == b""
    assert HEADER_TIMEOUT - 0.5 < waited < HEADER_TIMEOUT + SLACK


def test_a_kept_alive_connection_trickling_its_next_request_is_cut_off(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(65536)
        while b"\r\n\r\n" not in first or not first.endswith(b"}"):
            first += sock.recv(65536)
        assert status_of(first) == 200
        time.sleep(1.0)  # well inside the keep-alive timeout
        started = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        raw = b""
        while time.monotonic() - started < HEADER_TIMEOUT + SLACK:
            readable, _, _ = select.select([sock], [], [], 0.3)
            if readable:
                chunk = sock.recv(65536)
                raw += chunk
                if not chunk:
                    break
            else:
                sock.sendall(b"X")  # a byte per 0.3 s would defeat a plain idle timeout
        waited = time.monotonic() - started
    assert status_of(raw) == 408
    assert waited < HEADER_TIMEOUT + SLACK


def test_a_trickling_body_gets_408_within_the_body_deadline(served: Served) -> None:
    head = (
        b"POST /access-requests HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    )
    with served.connect() as sock:
        sock.sendall(head)
        started = time.monotonic()
        raw = b""
        while time.monotonic() - started < BODY_TIMEOUT + SLACK:
            readable, _, _ = select.select([sock], [], [], 0.3)
            if readable:
                chunk = sock.recv(65536)
                raw += chunk
                if not chunk:
                    break
            else:
                sock.sendall(b" ")
        waited = time.monotonic() - started
    assert status_of(raw) == 408
    assert _error_code(raw) == "request_timeout"
    assert b"connection: close" in raw.lower()
    assert BODY_TIMEOUT - 0.5 < waited < BODY_TIMEOUT + SLACK
    served.health_seconds()


def test_an_unread_body_cannot_hold_the_connection_after_the_answer(served: Served) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n"
    with served.connect() as sock:
        sock.sendall(head)
        started = time.monotonic()
        raw, closed = b"", False
        while time.monotonic() - started < HEADER_TIMEOUT + SLACK + 1:
            readable, _, _ = select.select([sock], [], [], 0.3)
            if readable:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                raw += chunk
                if not chunk:
                    closed = True
                    break
            else:
                try:
                    sock.sendall(b"x")
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
        waited = time.monotonic() - started
    assert status_of(raw) == 200  # /health answers without reading the body
    assert closed and waited < HEADER_TIMEOUT + SLACK


def test_oversized_heads_get_431(served: Served) -> None:
    huge = b"a" * 20_000
    with served.connect() as sock:  # never completes: refused while it arrives
        sock.sendall(PARTIAL_HEAD + huge)
        raw = read_response(sock)
    assert status_of(raw) == 431
    assert _error_code(raw) == "headers_too_large"
    with served.connect() as sock:  # complete, in one write
        sock.sendall(PARTIAL_HEAD + huge + b"\r\n\r\n")
        raw = read_response(sock)
    assert status_of(raw) == 431
    assert _error_code(raw) == "headers_too_large"
    served.health_seconds()
