"""``datalab search-snapshot publish|list|restore`` through the real CLI and a real S3
server (SeaweedFS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from catalog.demo import load_demo
from catalog.service import Catalogue
from catalog.settings import get_settings
from cli.app import app
from tests.catalog.search.test_snapshots import s3_settings


def run(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(app, ["search-snapshot", *args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_publish_list_and_restore(tmp_path: Path, s3_endpoint: str) -> None:
    extra = s3_settings(s3_endpoint)
    home = tmp_path / "home"
    with Catalogue.open(get_settings(home=home, **extra)) as cat:
        load_demo(cat)
        head = cat.changes.head()
    env = {"DATALAB_HOME": str(home), **{f"DATALAB_{k.upper()}": str(v) for k, v in extra.items()}}

    assert run(env, "list") == {"snapshots": [], "latest": None, "oldest_position": None}
    published = run(env, "publish")
    assert published["uploaded"] and published["position"] == head
    assert published["datasets"] == 41
    assert not run(env, "publish")["uploaded"]  # nothing changed: LATEST only confirmed
    listed = run(env, "list")
    assert listed["latest"] == published["archive"] and listed["oldest_position"] == head
    assert [s["archive"] for s in listed["snapshots"]] == [published["archive"]]

    restored = run(env, "restore")
    assert restored == {
        "archive": published["archive"],
        "snapshot_position": head,
        "position": head,
    }
    found = CliRunner().invoke(app, ["search", "", "--json"], env=env)
    assert found.exit_code == 0 and json.loads(found.output)["total"] == 41


def test_without_an_object_storage_the_commands_say_what_to_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["search-snapshot", "list"], env={"DATALAB_HOME": str(tmp_path / "home")}
    )
    assert result.exit_code == 2
    assert "DATALAB_SEARCH_SNAPSHOT_S3_ENDPOINT" in result.output
