"""Sorted copies: a filtered and sorted page read from windows of a sorted copy is exactly
the page of the plain query, for both directions, NULLs, ties and any offset."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from catalog.samples import SampleStore, Upload
from catalog.settings import get_settings
from tests.catalog.samples.builders import write_parquet

ROWS = 20_000


def _table() -> pa.Table:
    ids = list(range(ROWS))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "score": pa.array([None if i % 13 == 0 else (i * 7919) % 5000 / 10 for i in ids]),
            "group": pa.array([f"g{i % 9}" for i in ids]),
            "flag": pa.array([i % 2 == 0 for i in ids]),
        }
    )


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleStore, SampleStore]:
    root = tmp_path_factory.mktemp("sorted")
    path = write_parquet(root / "t.parquet", _table())
    fast = SampleStore(get_settings(home=root / "fast", sample_sort_copy_min_rows=0))
    plain = SampleStore(get_settings(home=root / "plain", sample_sort_copy_max_columns=0))
    fast.add("ds", Upload(path=path), uploaded_by=None)
    plain.add("ds", Upload(path=path), uploaded_by=None)
    return fast, plain


def _expected(filters: list, sort: str, offset: int, limit: int) -> list[int]:
    """Ids in the expected order: by the sort key (NULLs last), ties by id."""
    rows = _table().to_pylist()
    rows = [r for r in rows if all(r[c] == v for c, v in filters)]
    key = sort.lstrip("-")
    present = sorted((r for r in rows if r[key] is not None), key=lambda r: r["id"])
    present.sort(key=lambda r: r[key], reverse=sort.startswith("-"))
    nulls = sorted((r for r in rows if r[key] is None), key=lambda r: r["id"])
    return [r["id"] for r in present + nulls][offset : offset + limit]


def test_copies_are_made_for_sortable_columns_only(stores) -> None:
    fast, plain = stores
    copies = fast.meta("ds")["sorted_copies"]
    assert set(copies) == {"id", "score", "group"}
    assert len(copies["score"]["mins"]) > 8
    assert plain.meta("ds")["sorted_copies"] == {}
    files = {p.name for p in Path(fast.backend.root, "ds").rglob("*.parquet")}
    assert {"sample.parquet", "sorted-0.parquet", "sorted-1.parquet", "sorted-2.parquet"} <= files


@pytest.mark.parametrize("sort", ["score", "-score", "group", "-group", "-id"])
@pytest.mark.parametrize("offset", [0, 37, 1_400, 19_990])
def test_sorted_pages_equal_the_plain_query(stores, sort, offset) -> None:
    fast, plain = stores
    filters = ["flag:eq:true"]
    page = fast.rows("ds", offset=offset, limit=50, filters=filters, sort=sort)
    reference = plain.rows("ds", offset=offset, limit=50, filters=filters, sort=sort)
    expected = _expected([("flag", True)], sort, offset, 50)
    assert [r["id"] for r in page["rows"]] == expected
    key = sort.lstrip("-")
    assert [r[key] for r in page["rows"]] == [r[key] for r in reference["rows"]]
    assert (page["next_offset"] is None) == (reference["next_offset"] is None)


def test_a_very_selective_filter_widens_to_the_whole_copy(stores) -> None:
    fast, _ = stores
    page = fast.rows("ds", limit=10, filters=["id:in:5,19999,77"], sort="-score")
    expected = [i for i in _expected([], "-score", 0, ROWS) if i in (5, 19999, 77)]
    assert [r["id"] for r in page["rows"]] == expected
    assert page["next_offset"] is None


def test_paging_through_sorted_copy_visits_every_row_once(stores) -> None:
    fast, _ = stores
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        page = fast.rows("ds", offset=offset, limit=100, filters=["group:eq:g3"], sort="score")
        seen.extend(r["id"] for r in page["rows"])
        offset = page["next_offset"]
    assert seen == _expected([("group", "g3")], "score", 0, ROWS)


@pytest.mark.parametrize(
    ("filters", "sort"),
    [(["score:gt:400"], "score"), (["score:lt:50", "flag:eq:false"], "-score"),
     (["score:ge:250", "score:le:260"], "score"), (["group:eq:g8"], "-group")],
)  # fmt: skip
def test_filters_on_the_sort_column_give_the_same_pages(stores, filters, sort) -> None:
    fast, plain = stores
    for offset in (0, 120):
        page = fast.rows("ds", offset=offset, limit=100, filters=filters, sort=sort)
        reference = plain.rows("ds", offset=offset, limit=100, filters=filters, sort=sort)
        key = sort.lstrip("-")
        assert [r[key] for r in page["rows"]] == [r[key] for r in reference["rows"]]
        assert len(page["rows"]) == len(reference["rows"])
