"""`datalab demo` serves the built-in demo catalogue, offline, in one command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_datalab_demo_serves_all_data_spaces_and_the_factories(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    env = {**os.environ, "DATALAB_HOME": str(tmp_path / "demo")}
    out = log.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "demo",
            "--port",
            str(port),
            "--home",
            str(tmp_path / "demo"),
        ],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the demo did not start in time"
            time.sleep(0.5)
        health = httpx.get(f"{base}/health").json()
        assert health["datasets"] >= 40
        factories = httpx.get(f"{base}/factories").json()
        assert len(factories["items"]) >= 19
        sources = {
            item["source"]
            for item in httpx.get(f"{base}/datasets", params={"limit": 500}).json()["items"]
        }
        assert {
            "demo-health",
            "demo-language",
            "demo-earth-observation",
            "demo-research",
        } <= sources
        some = httpx.get(f"{base}/datasets", params={"source": "demo-health", "limit": 1}).json()
        offers = httpx.get(f"{base}/datasets/{some['items'][0]['id']}/offers").json()
        assert len(offers["offers"]) >= 19
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        out.close()
