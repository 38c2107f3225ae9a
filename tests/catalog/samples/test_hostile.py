"""Hostile inputs, groups G (SQL or filter injection) and H (Parquet bombs and hostile
files) of ../shared/reference/hostile-inputs.md, one named test per item."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog.errors import InvalidInput, InvalidSample, LimitExceeded, QueryTimeout
from catalog.samples import SampleStore, Upload
from catalog.samples.engine import EngineLimits, SampleEngine
from catalog.settings import Settings, get_settings
from tests.catalog.samples.builders import SECRET, sales_table, write_parquet
from tests.conftest import CORPUS


@pytest.fixture
def two(store: SampleStore, tmp_path: Path) -> SampleStore:
    """Two samples: 'open-ds' (public data) and 'secret-ds' (holds SECRET)."""
    store.add("open-ds", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)
    secret = write_parquet(tmp_path / "b.parquet", sales_table(secret=True))
    store.add("secret-ds", Upload(path=secret), uploaded_by=None)
    return store


def _secret_path(store: SampleStore) -> str:
    version = store.backend.current("secret-ds")
    assert version is not None
    return store.backend.duckdb_path("secret-ds", version)[0]


# -- G. SQL or filter injection ------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["1; DROP TABLE x", "' OR 1=1 --", "x' UNION SELECT * FROM read_parquet('/etc/passwd') --"],
)
def test_g56_injected_filter_values_are_plain_data(two: SampleStore, value: str) -> None:
    page = two.rows("open-ds", filters=[f"name:eq:{value}"])
    assert page["rows"] == []
    assert two.rows("open-ds", filters=[f"name:contains:{value}"])["rows"] == []
    with pytest.raises(InvalidInput, match="not a valid integer"):
        two.rows("open-ds", filters=[f"id:eq:{value}"])


def test_g56_union_with_another_datasets_file_reads_nothing(two: SampleStore) -> None:
    value = f"x' UNION SELECT * FROM read_parquet('{_secret_path(two)}') --"
    page = two.rows("open-ds", filters=[f"name:ne:{value}"], limit=100)
    assert page["rows"]
    assert SECRET not in str(page)


def test_g57_hostile_column_names_are_quoted(store: SampleStore, tmp_path: Path) -> None:
    names = ['a"b', "`tick`", "*", "select", "from", "x:y", "o'r"]
    table = pa.table({n: pa.array([i, i + 10]) for i, n in enumerate(names)})
    store.add("cols", Upload(path=write_parquet(tmp_path / "c.parquet", table)), uploaded_by=None)
    page = store.rows("cols", filters=['a"b:eq:0', "x:y:ge:5", "*:lt:100"], sort="-select")
    assert page["columns"] == names
    assert page["rows"] == [{n: i for i, n in enumerate(names)}]
    stats = store.statistics("cols")
    assert [c["name"] for c in stats["columns"]] == names


@pytest.mark.parametrize("column", ['"id" OR 1=1 --', 'id"; DROP', "nope", "ID"])
def test_g57_unknown_or_forged_column_names_are_refused(two: SampleStore, column: str) -> None:
    with pytest.raises(InvalidInput, match="unknown column"):
        two.rows("open-ds", filters=[f"{column}:eq:1"])
    with pytest.raises(InvalidInput, match="unknown sort column"):
        two.rows("open-ds", sort=column)


@pytest.mark.parametrize(
    "raw",
    [
        "read_csv('/etc/passwd'):eq:1",
        "glob('*'):eq:1",
        "../secret-ds/sample.parquet:eq:1",
        "id:eq:1) TO '/tmp/x.csv' (FORMAT csv",
    ],
)
def test_g58_filters_cannot_name_files_or_copy(two: SampleStore, raw: str) -> None:
    with pytest.raises(InvalidInput):
        two.rows("open-ds", filters=[raw])


def test_g58_sandbox_blocks_other_files_network_and_writes_outside(
    two: SampleStore, tmp_path: Path
) -> None:
    version = two.backend.current("open-ds")
    assert version is not None
    path, allowed = two.backend.duckdb_path("open-ds", version)
    outside = tmp_path / "escape.csv"
    attempts = [
        f"SELECT * FROM read_parquet('{_secret_path(two)}')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')",
        f"COPY (SELECT 1) TO '{outside}'",
        f"ATTACH '{tmp_path / 'x.duckdb'}'",
    ]
    with two.engine.connect(allowed) as con:
        assert two.engine.query(con, "SELECT count(*) FROM read_parquet(?)", [path])[1] == [(250,)]
        for sql in attempts:
            with pytest.raises(duckdb.PermissionException):
                two.engine.query(con, sql)
    assert not outside.exists()


@pytest.mark.parametrize(
    "sql",
    [
        "SET enable_external_access=true",
        "SET allowed_directories=['/']",
        "RESET lock_configuration",
        "INSTALL httpfs",
        "LOAD httpfs",
    ],
)
def test_g59_configuration_is_locked(two: SampleStore, sql: str) -> None:
    version = two.backend.current("open-ds")
    assert version is not None
    _, allowed = two.backend.duckdb_path("open-ds", version)
    with two.engine.connect(allowed) as con, pytest.raises(duckdb.Error):
        two.engine.query(con, sql)


@pytest.mark.parametrize(
    "text", ["SET threads=64", "INSTALL httpfs", "LOAD x", "ATTACH ':memory:'"]
)
def test_g59_statements_in_free_text_are_values(two: SampleStore, text: str) -> None:
    assert two.rows("open-ds", filters=[f"name:startswith:{text}"])["rows"] == []
    with pytest.raises(InvalidInput):
        two.rows("open-ds", sort=text)


def test_g60_limit_and_offset_abuse(two: SampleStore) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        two.rows("open-ds", limit=10**9)
    with pytest.raises(InvalidInput, match="offset"):
        two.rows("open-ds", offset=-1)
    assert two.rows("open-ds", offset=10**12)["rows"] == []
    assert len(two.rows("open-ds")["rows"]) == 100


def test_g61_expensive_query_is_interrupted_at_the_deadline(tmp_path: Path) -> None:
    engine = SampleEngine(EngineLimits(threads=2, memory_limit="256MB", deadline_s=0.3))
    started = time.monotonic()
    with engine.connect(str(tmp_path) + "/") as con, pytest.raises(QueryTimeout):
        engine.query(con, "SELECT count(*) FROM range(10000000000) t(x) WHERE x % 7 = 3")
    assert time.monotonic() - started < 3


def test_g61_sort_on_a_large_sample_hits_the_deadline(settings: Settings, tmp_path: Path) -> None:
    rows = 3_000_000
    table = pa.table({"r": pa.array(range(rows)), "s": pa.array([str(i) for i in range(rows)])})
    fast = SampleStore(settings)
    fast.add("big", Upload(path=write_parquet(tmp_path / "big.parquet", table)), uploaded_by=None)
    slow = SampleStore(get_settings(home=settings.home, duckdb_deadline_s=0.001))
    with pytest.raises(QueryTimeout):
        slow.rows("big", sort="-s", filters=["s:contains:9"], offset=1000)


# -- H. Parquet bombs and hostile files ----------------------------------------------------


def test_h62_tiny_file_with_huge_logical_size_is_refused(
    store: SampleStore, tmp_path: Path
) -> None:
    table = pa.table({"s": pa.array(["a" * 100_000] * 1000)})
    path = write_parquet(tmp_path / "bomb.parquet", table, use_dictionary=False, compression="zstd")
    assert path.stat().st_size < 200_000
    with pytest.raises(LimitExceeded, match="Parquet bomb"):
        store.add("bomb", Upload(path=path), uploaded_by=None)


def test_h62_logical_size_cap(settings: Settings, tmp_path: Path) -> None:
    small = SampleStore(get_settings(home=settings.home, sample_max_uncompressed_bytes=1000))
    with pytest.raises(LimitExceeded, match="uncompressed"):
        small.add("big", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)


def test_h63_ten_thousand_columns_are_refused(store: SampleStore, tmp_path: Path) -> None:
    table = pa.table({f"c{i}": pa.array([i]) for i in range(10_000)})
    with pytest.raises(LimitExceeded, match="10000 columns"):
        store.add(
            "wide", Upload(path=write_parquet(tmp_path / "w.parquet", table)), uploaded_by=None
        )


def test_h63_row_group_and_footer_caps(settings: Settings, tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "groups.parquet", sales_table(500), row_group_size=5)
    few_groups = SampleStore(get_settings(home=settings.home, sample_max_row_groups=10))
    with pytest.raises(LimitExceeded, match="100 row groups"):
        few_groups.add("g", Upload(path=path), uploaded_by=None)
    small_footer = SampleStore(get_settings(home=settings.home, sample_max_footer_bytes=1024))
    with pytest.raises(LimitExceeded, match="footer"):
        small_footer.add("g", Upload(path=path), uploaded_by=None)


def test_h63_row_byte_cap_truncates_the_page(store: SampleStore, tmp_path: Path) -> None:
    text = pa.array(["x" * 9_000] * 100)
    table = pa.table({"id": pa.array(range(100)), "a": text, "b": text})
    store.add(
        "wide-rows", Upload(path=write_parquet(tmp_path / "r.parquet", table)), uploaded_by=None
    )
    page = store.rows("wide-rows", limit=100)
    assert page["truncated"] is True
    assert 0 < len(page["rows"]) < 100
    assert len(json.dumps(page["rows"]).encode()) <= 1024 * 1024
    assert page["next_offset"] == len(page["rows"])


def _corrupt(tmp_path: Path, name: str, edit: object) -> Path:
    data = bytearray((CORPUS / "parquet" / "alltypes_plain.snappy.parquet").read_bytes())
    edit(data)  # type: ignore[operator]
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        ("bad-head", lambda d: d.__setitem__(slice(0, 4), b"PAR0"), "magic"),
        ("bad-tail", lambda d: d.__setitem__(slice(-4, None), b"XXXX"), "magic"),
        (
            "footer-len",
            lambda d: d.__setitem__(slice(-8, -4), (10**9).to_bytes(4, "little")),
            "footer",
        ),
        (
            "scrambled-pages",
            lambda d: d.__setitem__(slice(8, 300), b"\xff" * 292),
            "corrupt|cannot",
        ),
        ("truncated", lambda d: d.__delitem__(slice(100, 400)), "corrupt|cannot|footer"),
    ],
)
def test_h64_corrupt_magic_footer_or_pages(
    store: SampleStore, tmp_path: Path, name: str, edit: object, message: str
) -> None:
    with pytest.raises(InvalidSample, match=message):
        store.add("corrupt", Upload(path=_corrupt(tmp_path, name, edit)), uploaded_by=None)


def test_h64_a_failed_upload_leaves_the_previous_sample_unchanged(
    two: SampleStore, tmp_path: Path
) -> None:
    before = (two.meta("open-ds"), two.rows("open-ds"), two.statistics("open-ds"))
    bad = _corrupt(tmp_path, "bad", lambda d: d.__setitem__(slice(0, 4), b"JUNK"))
    with pytest.raises(InvalidSample):
        two.add("open-ds", Upload(path=bad), uploaded_by=None)
    assert (two.meta("open-ds"), two.rows("open-ds"), two.statistics("open-ds")) == before
    assert list((two.staging).iterdir()) == []


def test_h64_not_parquet_at_all(store: SampleStore) -> None:
    with pytest.raises(InvalidSample, match="not a Parquet file"):
        store.add("x", Upload(data=b"<html>hello</html>", media_type=None), uploaded_by=None)


def test_h65_symlink_is_refused(store: SampleStore, tmp_path: Path) -> None:
    link = tmp_path / "link.parquet"
    link.symlink_to(write_parquet(tmp_path / "real.parquet"))
    with pytest.raises(InvalidSample, match="symbolic link"):
        store.add("x", Upload(path=link), uploaded_by=None)


def test_h65_fifo_and_device_are_refused(store: SampleStore, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.parquet"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(InvalidSample, match="not a regular file"):
            store.add("x", Upload(path=path), uploaded_by=None)
    assert not store.has_sample("x")


@pytest.mark.parametrize("depth", [40, 1000])
def test_h66_deep_nesting_is_refused(store: SampleStore, tmp_path: Path, depth: int) -> None:
    dtype: pa.DataType = pa.int32()
    for _ in range(depth):
        dtype = pa.list_(dtype)
    path = tmp_path / "deep.parquet"
    pq.write_table(pa.table({"deep": pa.array([None], type=dtype)}), path)
    with pytest.raises((InvalidSample, LimitExceeded), match="nest"):
        store.add("deep", Upload(path=path), uploaded_by=None)
    assert not store.has_sample("deep")


def test_h66_huge_strings_are_cut_per_cell(settings: Settings, tmp_path: Path) -> None:
    table = pa.table({"s": pa.array(["y" * 5_000_000, "short"])})
    small = SampleStore(get_settings(home=settings.home, sample_max_cell_chars=1000))
    small.add("long", Upload(path=write_parquet(tmp_path / "l.parquet", table)), uploaded_by=None)
    page = small.rows("long")
    assert page["truncated"] is True
    assert [len(r["s"]) for r in page["rows"]] == [1000, 5]
    assert small.statistics("long")["columns"][0]["lengths"]["max"] == 5_000_000


def test_h66_invalid_utf8_in_a_string_column_is_refused(store: SampleStore, tmp_path: Path) -> None:
    bad = pa.array([b"ok", b"\xff\xfe bad"], type=pa.binary()).view(pa.string())
    path = write_parquet(tmp_path / "utf8.parquet", pa.table({"s": bad}))
    with pytest.raises(InvalidSample, match="UTF8"):
        store.add("utf8", Upload(path=path), uploaded_by=None)


def test_unknown_media_type_is_refused(store: SampleStore) -> None:
    from catalog.errors import UnsupportedFormat

    with pytest.raises(UnsupportedFormat):
        store.add("x", Upload(data=b"PAR1", media_type="image/png"), uploaded_by=None)
