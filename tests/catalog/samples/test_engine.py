"""The sandboxed engine: the httpfs extension comes from its wheel, cached databases stay
locked, and evicting one never breaks a query still using it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from catalog.samples.engine import EngineLimits, SampleEngine, httpfs_extension_path
from tests.catalog.samples.builders import write_parquet


def test_httpfs_comes_from_the_installed_wheel() -> None:
    path = httpfs_extension_path()
    assert path.is_file()
    assert "duckdb_extension_httpfs" in str(path)
    assert f"v{duckdb.__version__}" in str(path)


def test_eviction_waits_for_queries_in_flight(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_parquet(tmp_path / "a" / "s.parquet")
    b = write_parquet(tmp_path / "b" / "s.parquet")
    engine = SampleEngine(EngineLimits(), max_open=1)
    with engine.connect(f"{tmp_path / 'a'}/") as con_a:
        with engine.connect(f"{tmp_path / 'b'}/") as con_b:  # evicts a's database
            assert engine.query(con_b, "SELECT count(*) FROM read_parquet(?)", [str(b)])[1]
        assert engine.query(con_a, "SELECT count(*) FROM read_parquet(?)", [str(a)])[1] == [(250,)]
        with pytest.raises(duckdb.PermissionException):
            engine.query(con_a, "SELECT count(*) FROM read_parquet(?)", [str(b)])
    engine.close()


def test_cached_databases_stay_locked(tmp_path: Path) -> None:
    engine = SampleEngine(EngineLimits())
    for _ in range(2):
        with engine.connect(f"{tmp_path}/") as con, pytest.raises(duckdb.Error):
            engine.query(con, "SET enable_external_access=true")
    engine.close()
