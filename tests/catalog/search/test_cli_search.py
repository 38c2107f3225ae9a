"""``datalab search`` and ``datalab reindex`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.app import app


def test_search_and_reindex(tmp_path: Path, fixture_ttl: Path) -> None:
    runner = CliRunner()
    env = {"DATALAB_HOME": str(tmp_path / "home")}
    r = runner.invoke(app, ["load", str(fixture_ttl), "--source", "fixture"], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["search", "Krankenhausdaten", "--json"], env=env)
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["items"][0]["id"].startswith("kliniken-bayern")
    r = runner.invoke(app, ["search", "", "-f", "country=GRC", "-f", "theme=ENVI"], env=env)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("1 datasets")
    assert "Air quality" in r.output
    r = runner.invoke(app, ["reindex", "--json"], env=env)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["datasets"] == 7
    r = runner.invoke(app, ["search", "x", "-f", "colour"], env=env)
    assert r.exit_code == 2
    assert "name=value" in r.output
