"""A sample with a time-zone-aware timestamp column: uploaded, described and read back (DuckDB
hands TIMESTAMPTZ values to Python through pytz, a dependency of the project for this)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from catalog.samples import SampleStore, Upload
from tests.catalog.samples.builders import write_parquet


def test_a_timestamp_with_time_zone_column_is_uploaded_and_read(
    store: SampleStore, tmp_path: Path
) -> None:
    utc = dt.UTC
    stamps = [dt.datetime(2024, 1, 1, 8, 0, tzinfo=utc) + dt.timedelta(hours=h) for h in range(30)]
    table = pa.table(
        {"id": list(range(30)), "seen": pa.array(stamps, pa.timestamp("us", tz="UTC"))}
    )
    path = write_parquet(tmp_path / "tz.parquet", table)
    body = path.read_bytes()
    meta = store.add(
        "ds",
        Upload(chunks=iter([body]), media_type="application/vnd.apache.parquet"),
        uploaded_by=None,
    )
    kinds = {c["name"]: c["kind"] for c in meta["columns"]}
    assert kinds["seen"] == "timestamp"
    stats = {c["name"]: c for c in store.statistics("ds")["columns"]}
    assert str(stats["seen"]["min"]).startswith("2024-01-01")
