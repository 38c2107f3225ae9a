"""``datalab db upgrade`` and ``datalab db status`` in a real process against PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from catalog.db import head_revision
from tests.pg_server import PASSWORD

REPO = Path(__file__).resolve().parents[3]


def datalab(home: Path, url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATALAB_")}
    env["DATALAB_HOME"] = str(home)
    if url is not None:
        env["DATALAB_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_status_then_upgrade_then_status_against_postgresql(pg_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    status = datalab(home, pg_url, "db", "status")
    assert status.returncode == 0, status.stderr
    assert "current:  none (empty)" in status.stdout
    assert "behind: run `datalab db upgrade`" in status.stdout
    assert "postgresql+psycopg://postgres:***@127.0.0.1" in status.stdout

    refused = datalab(home, pg_url, "user", "list")  # any command on the accounts
    assert refused.returncode == 2
    assert "datalab db upgrade" in refused.stderr

    upgraded = datalab(home, pg_url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"upgraded from revision none to {head_revision()}" in upgraded.stdout
    again = datalab(home, pg_url, "db", "upgrade")
    assert "already at the newest schema revision" in again.stdout

    body = json.loads(datalab(home, pg_url, "db", "status", "--json").stdout)
    assert body["dialect"] == "postgresql" and body["up_to_date"] is True
    assert body["current"] == body["head"] == head_revision()

    added = datalab(home, pg_url, "user", "add", "ann", "--role", "steward")
    assert added.returncode == 0, added.stderr
    for done in (status, refused, upgraded, again, added):
        assert PASSWORD not in done.stdout + done.stderr
    assert not (home / "datalab.sqlite3").exists()  # the state went to PostgreSQL only


def test_status_of_the_embedded_default(tmp_path: Path) -> None:
    status = datalab(tmp_path / "home", None, "db", "status", "--json")
    assert status.returncode == 0, status.stderr
    body = json.loads(status.stdout)
    assert body["dialect"] == "sqlite" and body["url"].endswith("home/datalab.sqlite3")
    upgraded = datalab(tmp_path / "home", None, "db", "upgrade", "--json")
    assert json.loads(upgraded.stdout)["to"] == head_revision()
