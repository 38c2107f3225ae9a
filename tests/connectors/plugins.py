"""Make connector packages discoverable for one test, without installing into the venv.

An installed distribution is, to ``importlib.metadata``, a ``NAME-VERSION.dist-info``
folder on ``sys.path`` with ``METADATA`` and ``entry_points.txt``. Tests write one into
``tmp_path`` and prepend it (and the package's source folder) to ``sys.path``.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from catalog.harvest.plugins import GROUP

EXAMPLE_PLUGIN = Path(__file__).resolve().parents[1] / "example_plugin"


def write_dist_info(site: Path, name: str, version: str, points: dict[str, dict[str, str]]) -> Path:
    """A minimal installed-distribution record declaring ``points`` (group → name → value)."""
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = []
    for group, entries in points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{key} = {value}" for key, value in entries.items())
        lines.append("")
    (folder / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    return folder


def example_plugin_points() -> dict[str, dict[str, str]]:
    """The entry points the example package's own pyproject.toml declares."""
    project = tomllib.loads((EXAMPLE_PLUGIN / "pyproject.toml").read_text())["project"]
    return {group: dict(entries) for group, entries in project["entry-points"].items()}


def install_example_plugin(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``datalab-example-connector`` importable and discoverable until the test ends."""
    project = tomllib.loads((EXAMPLE_PLUGIN / "pyproject.toml").read_text())["project"]
    write_dist_info(site, project["name"], project["version"], example_plugin_points())
    monkeypatch.syspath_prepend(str(EXAMPLE_PLUGIN))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "datalab_example_connector", raising=False)
    assert GROUP in example_plugin_points()
