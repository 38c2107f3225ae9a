"""The synthetic preview generator against real samples in the sandboxed DuckDB.

What a reviewer checks: no value occurring fewer than k times in the real sample ever
appears (a property over generated samples, and a concrete sample), no generated row equals
a real row (on a sample whose rows are all unique, every generated row compared with every
real row), the columns and their types are kept, nulls come at the observed rate, and the
same sample gives the same preview.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.samples.engine import EngineLimits, SampleEngine
from catalog.samples.stats import Column, jsonable, kind_of, read_schema
from catalog.samples.store import SampleStore, Upload
from catalog.samples.synthetic import PLACEHOLDER, SyntheticShape, generate
from catalog.settings import Settings

CITIES = ["Rome", "Paris", "Oslo"]
ENGINE = SampleEngine(EngineLimits(threads=1, deadline_s=30))


def run(
    folder: Path, table: pa.Table, k: int = 10, rows: int = 100, seed: int = 7
) -> tuple[dict[str, Any], list[Column]]:
    """Write ``table`` as Parquet in ``folder`` and generate its preview in the sandbox."""
    path = folder / "sample.parquet"
    pq.write_table(table, path)
    with ENGINE.connect_once(str(folder) + "/") as con:
        columns = read_schema(ENGINE, con, str(path), table.schema)
        reader = con.execute("SELECT * FROM read_parquet(?) LIMIT 0", [str(path)]).arrow()
        out = generate(
            ENGINE, con, str(path), columns, reader.schema, SyntheticShape(k, rows, 10), seed, 30
        )
    return out, columns


def real_counts(table: pa.Table) -> dict[str, Counter[Any]]:
    """How often each value (as JSON, like the preview's) occurs in each real column."""
    return {
        name: Counter(jsonable(v) for v in table.column(name).to_pylist() if v is not None)
        for name in table.column_names
    }


def assert_k_rule(preview: dict[str, Any], table: pa.Table, k: int) -> None:
    counts = real_counts(table)
    for row in preview["rows"]:
        for name, value in row.items():
            if value is None or value == PLACEHOLDER:
                continue
            seen = counts[name][value]
            assert seen == 0 or seen >= k, f"{name}={value!r} occurs {seen} < {k} times"


def assert_no_real_row(preview: dict[str, Any], table: pa.Table) -> None:
    real = [{n: jsonable(v) for n, v in r.items()} for r in table.to_pylist()]
    for row in preview["rows"]:
        for original in real:  # every generated row against every real row
            assert row != original, f"the preview reproduces the real row {original}"


def unique_table(n: int = 400) -> pa.Table:
    """Every row unique (its id); most other columns repeat, some values are rare."""
    rng = random.Random(3)
    return pa.table(
        {
            "id": pa.array(range(n), pa.int64()),
            "city": pa.array([rng.choice(CITIES) if i % 9 else f"hamlet {i}" for i in range(n)]),
            "age": pa.array([rng.randint(18, 95) for _ in range(n)], pa.int32()),
            "score": pa.array(
                [None if i % 4 == 0 else round(rng.gauss(50, 12), 3) for i in range(n)],
                pa.float32(),
            ),
            "amount": pa.array(
                [decimal.Decimal(rng.randint(0, 99999)) / 100 for _ in range(n)],
                pa.decimal128(7, 2),
            ),
            "day": pa.array(
                [dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 700)) for _ in range(n)]
            ),
            "seen": pa.array(
                [
                    dt.datetime(2022, 5, 1) + dt.timedelta(seconds=rng.randint(0, 10**7))
                    for _ in range(n)
                ],
                pa.timestamp("us"),
            ),
            "ok": pa.array([rng.random() < 0.7 for _ in range(n)]),
            "comment": pa.array([f"note {i} by patient {rng.randint(0, 10**6)}" for i in range(n)]),
        }
    )


def test_a_concrete_sample_keeps_the_k_rule_and_copies_no_row(tmp_path: Path) -> None:
    table = unique_table()
    assert len({tuple(r.values()) for r in table.to_pylist()}) == table.num_rows  # unique rows
    preview, _ = run(tmp_path, table, k=10)
    assert len(preview["rows"]) == 100
    assert_k_rule(preview, table, 10)
    assert_no_real_row(preview, table)
    by_name = {m["name"]: m for m in preview["method"]}
    # every id occurs once: nothing of it may be shown
    assert by_name["id"]["drawn_as"] == "suppressed"
    assert {r["id"] for r in preview["rows"]} == {None}
    # the hamlets occur once each: text shows the frequent cities or the placeholder only
    assert {r["city"] for r in preview["rows"]} <= {"Rome", "Paris", "Oslo", PLACEHOLDER}
    assert PLACEHOLDER in {r["city"] for r in preview["rows"]}
    assert not any(str(r["city"]).startswith("hamlet") for r in preview["rows"])
    # free text with no frequent value is only ever the placeholder
    assert {r["comment"] for r in preview["rows"]} == {PLACEHOLDER}
    # numbers and dates are drawn within the real range, rounded to coarse steps
    ages = [r["age"] for r in preview["rows"] if r["age"] is not None]
    assert ages and all(18 <= a <= 95 for a in ages)
    days = [dt.date.fromisoformat(r["day"]) for r in preview["rows"] if r["day"]]
    assert days and all(dt.date(2021, 1, 1) <= d <= dt.date(2022, 12, 2) for d in days)


def test_columns_and_types_are_kept(tmp_path: Path) -> None:
    table = unique_table()
    preview, columns = run(tmp_path, table)
    assert preview["columns"] == table.column_names == [c.name for c in columns]
    json_types = {
        "integer": int,
        "float": float,
        "string": str,
        "boolean": bool,
        "decimal": str,
        "date": str,
        "timestamp": str,
    }
    parse = {
        "decimal": decimal.Decimal,
        "date": dt.date.fromisoformat,
        "timestamp": dt.datetime.fromisoformat,
    }
    for row in preview["rows"]:
        assert list(row) == table.column_names
        for column in columns:
            value = row[column.name]
            if value is None:
                continue
            assert isinstance(value, json_types[column.kind]), (column.name, value)
            if column.kind in parse:
                parse[column.kind](value)
    # each value fits its column's Arrow type (e.g. the decimal's precision and scale)
    for field in table.schema:
        values = [row[field.name] for row in preview["rows"]]
        if kind_of(field.type) == "decimal":
            values = [None if v is None else decimal.Decimal(v) for v in values]
        elif kind_of(field.type) == "date":
            values = [None if v is None else dt.date.fromisoformat(v) for v in values]
        elif kind_of(field.type) == "timestamp":
            values = [None if v is None else dt.datetime.fromisoformat(v) for v in values]
        pa.array(values, type=field.type)


def test_nulls_come_at_the_observed_rate(tmp_path: Path) -> None:
    n = 1000
    table = pa.table(
        {
            "id": pa.array(range(n), pa.int64()),  # unique: no drawn row can equal a real one
            "half": pa.array([None if i % 2 else i % 5 for i in range(n)], pa.int64()),
            "tenth": pa.array([None if i % 10 == 0 else "x" for i in range(n)]),
        }
    )
    preview, _ = run(tmp_path, table, rows=400)
    rows = preview["rows"]
    half = sum(r["half"] is None for r in rows) / len(rows)
    tenth = sum(r["tenth"] is None for r in rows) / len(rows)
    assert 0.4 < half < 0.6
    assert 0.04 < tenth < 0.17


def test_the_same_sample_and_seed_give_the_same_preview(tmp_path: Path) -> None:
    table = unique_table(200)
    first, _ = run(tmp_path, table, seed=11)
    again, _ = run(tmp_path, table, seed=11)
    other, _ = run(tmp_path, table, seed=12)
    assert first == again
    assert first["rows"] != other["rows"]


def test_rows_equal_to_a_real_row_are_drawn_again_or_dropped(tmp_path: Path) -> None:
    """Two frequent columns: most combinations are real rows, so most draws must be redrawn."""
    n = 200
    table = pa.table(
        {
            "a": pa.array(["x" if i % 2 else "y" for i in range(n)]),
            "b": pa.array([i % 2 for i in range(n)], pa.int64()),
        }
    )
    # the real rows are ("x", 1) and ("y", 0): ("x", 0) and ("y", 1) are the only safe rows
    preview, _ = run(tmp_path, table, k=10)
    assert_no_real_row(preview, table)
    assert preview["rows"]
    assert {(r["a"], r["b"]) for r in preview["rows"]} <= {("x", 0), ("y", 1)}


def test_a_sample_smaller_than_k_shows_nothing(tmp_path: Path) -> None:
    table = pa.table({"a": pa.array(["p", "q", "p"]), "n": pa.array([1, 2, 3], pa.int64())})
    preview, _ = run(tmp_path, table, k=10)
    assert {(r["a"], r["n"]) for r in preview["rows"]} <= {(PLACEHOLDER, None)}
    assert {m["drawn_as"] for m in preview["method"]} == {"categories", "suppressed"}


def test_the_store_caches_the_preview_beside_the_statistics(settings: Settings, tmp_path) -> None:
    path = tmp_path / "s.parquet"
    pq.write_table(unique_table(150), path)
    store = SampleStore(settings)
    meta = store.add("ds-synthetic", Upload(path=path), uploaded_by=None)
    shape = SyntheticShape(10, 50, 10)
    first = store.synthetic("ds-synthetic", shape)
    folder = settings.home / "samples" / "ds-synthetic" / meta["version"]
    assert (folder / shape.cache_name()).is_file()
    assert (folder / "statistics.json").is_file()
    assert SampleStore(settings).synthetic("ds-synthetic", shape) == first  # read back
    assert first["version"] == meta["version"]


# -- the property: over generated samples ------------------------------------------------

WORDS = st.sampled_from(["a", "b", "c", "d", "rare-1", "rare-2", "Ω", ""])
CELLS = {
    "text": (st.one_of(st.none(), WORDS), pa.string()),
    "small_int": (st.one_of(st.none(), st.integers(-3, 12)), pa.int64()),
    "wide_int": (st.integers(-(10**6), 10**6), pa.int32()),
    "real": (
        st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False, width=32)),
        pa.float32(),
    ),
    "flag": (st.one_of(st.none(), st.booleans()), pa.bool_()),
    "day": (st.dates(dt.date(2000, 1, 1), dt.date(2000, 3, 1)), pa.date32()),
}


@st.composite
def samples(draw: st.DrawFn) -> tuple[pa.Table, int]:
    n = draw(st.integers(1, 80))
    names = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=1, max_size=4, unique=True))
    data = {}
    for name in names:
        strategy, arrow_type = CELLS[name]
        # skewed columns: a few repeated values plus some drawn per row
        pool = draw(st.lists(strategy, min_size=1, max_size=6))
        cells = draw(st.lists(st.one_of(st.sampled_from(pool), strategy), min_size=n, max_size=n))
        data[name] = pa.array(cells, type=arrow_type)
    return pa.table(data), draw(st.integers(2, 12))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sample=samples())
def test_no_value_rarer_than_k_ever_appears(tmp_path: Path, sample: tuple[pa.Table, int]) -> None:
    table, k = sample
    preview, _ = run(tmp_path, table, k=k, rows=60)
    assert_k_rule(preview, table, k)
    assert preview["columns"] == table.column_names
    assert all(list(r) == table.column_names for r in preview["rows"])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sample=samples())
def test_no_generated_row_equals_a_real_row(tmp_path: Path, sample: tuple[pa.Table, int]) -> None:
    table, k = sample
    preview, _ = run(tmp_path, table, k=k, rows=40)
    assert_no_real_row(preview, table)


@pytest.mark.parametrize("k", [2, 10, 50])
def test_every_numeric_bin_holds_at_least_k_rows(tmp_path: Path, k: int) -> None:
    rng = random.Random(k)
    table = pa.table({"v": pa.array([rng.random() * 1000 for _ in range(300)])})
    preview, _ = run(tmp_path, table, k=k)
    note = preview["method"][0]["note"]
    assert f"of at least {k} rows" in note
    assert 1 <= int(note.split(" bin(s)")[0]) <= min(10, 300 // k)
    assert_k_rule(preview, table, k)


def test_a_column_of_only_nan_and_infinities_is_left_null(tmp_path: Path) -> None:
    values = [float("nan"), float("inf"), float("-inf")] * 10
    table = pa.table({"id": pa.array(range(30), pa.int64()), "v": pa.array(values)})
    preview, _ = run(tmp_path, table, k=5)
    assert {r["v"] for r in preview["rows"]} == {None}
    assert preview["method"][1] == {
        "name": "v",
        "kind": "float",
        "drawn_as": "suppressed",
        "note": "no finite value",
    }
