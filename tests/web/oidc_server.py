"""A real OpenID Connect provider for the tests: tests/web/js/oidc_provider.mjs (panva's
certified oidc-provider from npm) run by Node on a loopback port, for a ``with`` block."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "js" / "oidc_provider.mjs"
MODULE = SCRIPT.parent / "node_modules" / "oidc-provider"
CLIENT_ID = "datalab-catalogue"
CLIENT_SECRET = "test-secret-of-the-catalogue"


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def oidc_provider(port: int, redirect_uri: str, log: Path) -> Iterator[str]:
    """Run the provider on ``port`` with one client redirecting to ``redirect_uri``;
    yields its issuer URL; stops it. Its output goes to ``log``."""
    node = shutil.which("node")
    if node is None or not MODULE.exists():
        raise RuntimeError("node and tests/web/js/node_modules are needed: run `make web-deps`")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, str(SCRIPT), str(port), redirect_uri, CLIENT_ID, CLIENT_SECRET],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=SCRIPT.parent,
        )
        try:
            deadline = time.monotonic() + 30
            while not _accepts(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the OIDC provider did not start: {log.read_text()}")
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
