"""Every readable Parquet file of the corpus (and the Croissant example data) serves schema,
rows and statistics; the corrupt ones fail with a clear error and store nothing."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from catalog.errors import InvalidSample, LimitExceeded, SampleNotFound
from catalog.samples import SampleStore, Upload
from tests.conftest import CORPUS

PARQUET = sorted((CORPUS / "parquet").glob("*.parquet"))
CROISSANT = sorted((CORPUS / "croissant").glob("*/*.parquet"))
#: Not corrupt, but a 3 kB column chunk that claims 2 GiB: the shape of a Parquet bomb.
BOMB_LIKE = {"large_string_map.brotli.parquet"}
READABLE = [p for p in PARQUET + CROISSANT if p.name not in BOMB_LIKE]
INVALID = sorted((CORPUS / "parquet" / "invalid").glob("*.parquet"))


def test_corpus_is_there() -> None:
    assert len(READABLE) >= 25
    assert CROISSANT
    assert INVALID


@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.parent.name + "/" + p.name)
def test_readable_parquet_serves_schema_rows_and_statistics(store: SampleStore, path: Path) -> None:
    meta = store.add("corpus-sample", Upload(path=path), uploaded_by=None)
    expected = pq.read_metadata(path)
    assert meta["rows"] == expected.num_rows
    assert [c["name"] for c in meta["columns"]] == expected.schema.to_arrow_schema().names
    assert all(c["duckdb_type"] != "?" for c in meta["columns"])
    page = store.rows("corpus-sample", limit=5)
    assert len(page["rows"]) == min(5, expected.num_rows)
    assert page["columns"] == [c["name"] for c in meta["columns"]]
    stats = store.statistics("corpus-sample")
    assert stats["rows"] == expected.num_rows
    assert [s["name"] for s in stats["columns"]] == page["columns"]
    assert all(0 <= s["nulls"] <= expected.num_rows for s in stats["columns"])


def test_croissant_titanic_csv_is_converted(store: SampleStore) -> None:
    path = CORPUS / "croissant" / "v1.0-titanic" / "titanic.csv"
    meta = store.add("titanic", Upload(path=path), uploaded_by=None)
    assert meta["rows"] == 1309
    assert meta["media_type"] == "application/vnd.apache.parquet"
    stats = {c["name"]: c for c in store.statistics("titanic")["columns"]}
    assert stats["age"]["histogram"]
    assert stats["age"]["min"] is not None
    assert {"value": "male", "count": 843} in stats["sex"]["top_values"]
    survivors = store.rows("titanic", filters=["survived:eq:1", "sex:eq:female"], sort="-age")
    assert survivors["rows"]
    assert all(r["sex"] == "female" for r in survivors["rows"])
    ages = [r["age"] for r in survivors["rows"] if r["age"] is not None]
    assert ages == sorted(ages, reverse=True)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_corrupt_parquet_fails_cleanly(store: SampleStore, path: Path) -> None:
    with pytest.raises(InvalidSample, match=r"corrupt|cannot be read"):
        store.add("corrupt", Upload(path=path), uploaded_by=None)
    with pytest.raises(SampleNotFound):
        store.meta("corrupt")


def test_large_string_map_is_refused_as_a_bomb(store: SampleStore) -> None:
    path = CORPUS / "parquet" / "large_string_map.brotli.parquet"
    with pytest.raises(LimitExceeded, match="Parquet bomb"):
        store.add("bomb", Upload(path=path), uploaded_by=None)
    assert not store.has_sample("bomb")
