"""`datalab demo` serves the built-in demo catalogue, offline, in one command, in --home,
else $DATALAB_HOME, else ./.datalab-demo."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli.app import app as cli
from cli.core import DEMO_HOME, demo_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_demo_folder_is_home_then_datalab_home_then_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATALAB_HOME", raising=False)
    assert demo_settings().home == DEMO_HOME == Path(".datalab-demo")
    monkeypatch.setenv("DATALAB_HOME", str(tmp_path / "env"))
    assert demo_settings(port=9000).home == tmp_path / "env"
    assert demo_settings(home=tmp_path / "option").home == tmp_path / "option"


def _cli(home: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"DATALAB_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_datalab_demo_serves_all_data_spaces_and_the_factories(tmp_path: Path) -> None:
    """In $DATALAB_HOME (no --home): a user added there with the CLI signs in to the demo,
    and nothing is written to ./.datalab-demo."""
    port = free_port()
    log = tmp_path / "demo.log"
    home = tmp_path / "demo"
    _cli(home, "user", "add", "ada", "--role", "developer")
    token = _cli(home, "user", "token", "ada")
    env = {**os.environ, "DATALAB_HOME": str(home)}
    out = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "demo", "--port", str(port)],
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
        # the demo runs in $DATALAB_HOME: its users sign in, no ./.datalab-demo appears
        signed_in = httpx.get(
            f"{base}/access-requests", headers={"Authorization": f"Bearer {token}"}
        )
        assert signed_in.status_code == 200, signed_in.text
        wrong = httpx.get(f"{base}/access-requests", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert (home / "store").is_dir() and not (tmp_path / ".datalab-demo").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        out.close()
