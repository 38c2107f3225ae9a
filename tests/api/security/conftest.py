"""A real ``datalab serve`` on a loopback port, and raw-socket helpers to probe it.

The server runs in its own process, started exactly as an operator starts it (the CLI,
settings from the environment), with short deadlines so each probe finishes quickly.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """The running server: its URL, port and process id."""

    url: str
    port: int
    pid: int

    def rss_peak_kib(self) -> int:
        """The server process's peak resident memory (VmHWM), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc status")

    def connect(self, timeout: float = 5.0) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        sock.settimeout(timeout)
        return sock

    def health_seconds(self, timeout: float = 2.0) -> float:
        """Time one GET /health (fails past ``timeout`` or on any status but 200)."""
        started = time.monotonic()
        response = httpx.get(f"{self.url}/health", timeout=timeout)
        assert response.status_code == 200, response.text
        return time.monotonic() - started


def read_response(sock: socket.socket, deadline_s: float = 5.0) -> bytes:
    """Everything the server sends until it closes (or ``deadline_s`` passes)."""
    sock.settimeout(deadline_s)
    data = b""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(raw: bytes) -> int:
    assert raw.startswith(b"HTTP/1.1 "), raw[:200]
    return int(raw.split(b" ", 2)[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {
        **os.environ,
        "DATALAB_HOME": str(home),
        "DATALAB_PORT": str(port),
        "DATALAB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DATALAB_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "DATALAB_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "DATALAB_LOG_LEVEL": "warning",
        "DATALAB_OFFERS_INDEX": "off",
    }
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            assert proc.poll() is None, (home / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield Served(url, port, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()
