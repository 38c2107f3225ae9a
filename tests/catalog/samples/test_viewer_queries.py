"""What the sample viewer asks of DuckDB: typed filters (with ``between``), the search within
rows, the exact count of matching rows and exact distinct counts, on real samples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from catalog.errors import InvalidInput
from catalog.samples import SampleStore, Upload
from catalog.samples.filters import (
    SampleQuery,
    bind,
    compose,
    ops_for,
    parse_filter,
    split_filter,
)
from catalog.samples.stats import Column
from catalog.settings import get_settings
from tests.catalog.samples.builders import sales_table, write_parquet

PEOPLE = pa.table(
    {
        "name": ["Ada Lovelace", "alan turing", "Grace HOPPER", "Édith Piaf", None],
        "city": ["London", "Wilmslow", "New York", "Paris", "london"],
        "age": [36, 41, 85, 47, None],
        "born": pa.array(
            [
                dt.date(1815, 12, 10),
                dt.date(1912, 6, 23),
                dt.date(1906, 12, 9),
                dt.date(1915, 12, 19),
                None,
            ]
        ),
        "alive": [False, False, False, False, True],
    }
)


@pytest.fixture
def people(store: SampleStore, tmp_path: Path) -> SampleStore:
    store.add(
        "people", Upload(path=write_parquet(tmp_path / "p.parquet", PEOPLE)), uploaded_by=None
    )
    return store


def _names(page: dict) -> list[str | None]:
    return [r["name"] for r in page["rows"]]


def test_between_keeps_both_bounds_on_numbers_and_dates(people: SampleStore) -> None:
    page = people.rows("people", filters=["age:between:41,85"], sort="age")
    assert _names(page) == ["alan turing", "Édith Piaf", "Grace HOPPER"]
    assert page["matched"] == 3
    page = people.rows("people", filters=["born:between:1900-01-01,1912-12-31"], sort="born")
    assert _names(page) == ["Grace HOPPER", "alan turing"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("age:between:41", "two values"),
        ("age:between:41,", "two values"),
        ("age:between:a,b", "not a valid integer"),
        ("name:between:a,b", "numbers, dates and times"),
        ("alive:between:false,true", "numbers, dates and times"),
    ],
)
def test_between_says_what_is_wrong(people: SampleStore, raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        people.rows("people", filters=[raw])


def test_search_finds_every_word_in_some_text_column_ignoring_case(people: SampleStore) -> None:
    assert _names(people.rows("people", search="LONDON")) == ["Ada Lovelace", None]
    assert _names(people.rows("people", search="ada london")) == ["Ada Lovelace"]
    assert _names(people.rows("people", search="hopper new")) == ["Grace HOPPER"]
    assert _names(people.rows("people", search="édith")) == ["Édith Piaf"]
    assert people.rows("people", search="ada paris")["rows"] == []  # words in different rows


def test_search_and_filters_combine_and_the_count_is_exact(people: SampleStore) -> None:
    page = people.rows("people", search="london", filters=["age:notnull"], limit=10)
    assert (_names(page), page["matched"], page["total"]) == (["Ada Lovelace"], 1, 5)
    first = people.rows("people", filters=["age:gt:40"], limit=1, sort="-age")
    assert _names(first) == ["Grace HOPPER"]
    assert first["matched"] == 3  # counted over the whole sample, not the page
    assert people.rows("people", limit=2)["matched"] == 5


@pytest.mark.parametrize("words", ["%", "_", "' OR 1=1 --", "\\", "a%' --"])
def test_search_words_are_parameters_not_sql_nor_patterns(people: SampleStore, words: str) -> None:
    page = people.rows("people", search=words)
    assert (page["rows"], page["matched"]) == ([], 0)


def test_search_needs_a_text_column(store: SampleStore, tmp_path: Path) -> None:
    numbers = pa.table({"x": [1, 2, 3]})
    store.add("n", Upload(path=write_parquet(tmp_path / "n.parquet", numbers)), uploaded_by=None)
    with pytest.raises(InvalidInput, match="no text column") as err:
        store.rows("n", search="1")
    assert err.value.where == "q"


def test_the_count_on_a_sorted_copy_matches_the_plain_scan(tmp_path: Path) -> None:
    settings = get_settings(home=tmp_path / "home", sample_sort_copy_min_rows=100)
    store = SampleStore(settings)
    path = write_parquet(tmp_path / "s.parquet", sales_table(2000))
    meta = store.add("big", Upload(path=path), uploaded_by=None)
    assert "id" in meta["sorted_copies"]
    page = store.rows("big", filters=["id:between:100,199"], search="item 3", sort="-id", limit=5)
    expected = [i for i in range(199, 99, -1) if i % 7 == 3]
    assert [r["id"] for r in page["rows"]] == expected[:5]
    assert page["matched"] == len(expected)


def test_distinct_counts_are_exact_on_small_samples(people: SampleStore) -> None:
    stats = {c["name"]: c for c in people.statistics("people")["columns"]}
    assert (stats["city"]["distinct"], stats["city"]["distinct_exact"]) == (5, True)
    assert stats["age"]["distinct"] == 4  # the NULL is no value
    assert stats["alive"]["top_values"] == [
        {"value": False, "count": 4},
        {"value": True, "count": 1},
    ]


def test_250_rows_never_show_more_distinct_values_than_rows(store: SampleStore, tmp_path) -> None:
    store.add("s", Upload(path=write_parquet(tmp_path / "s.parquet")), uploaded_by=None)
    for column in store.statistics("s")["columns"]:
        assert column["distinct_exact"] is True
        assert column["distinct"] <= 250 - column["nulls"], column


def test_estimates_are_capped_by_the_non_null_count(tmp_path: Path) -> None:
    store = SampleStore(get_settings(home=tmp_path / "home", sample_exact_stats_max_rows=10))
    store.add("s", Upload(path=write_parquet(tmp_path / "s.parquet")), uploaded_by=None)
    stats = {c["name"]: c for c in store.statistics("s")["columns"]}
    for column in stats.values():
        assert column["distinct_exact"] is False
        assert column["distinct"] == column["distinct_estimate"] <= 250 - column["nulls"]
    assert stats["id"]["distinct"] == 250  # HyperLogLog says 266 here: the cap holds it


COLUMNS = [
    Column("age", "int64", "BIGINT", True, "integer"),
    Column("a:b", "string", "VARCHAR", True, "string"),
    Column("ok", "bool", "BOOLEAN", True, "boolean"),
    Column("blob", "binary", "BLOB", True, "binary"),
]


def test_a_built_filter_compiles_to_the_api_syntax_and_back() -> None:
    assert compose("age", "between", " 3 ", "9") == "age:between:3,9"
    assert compose("a:b", "contains", " x y") == "a:b:contains: x y"
    assert compose("ok", "isnull", "ignored") == "ok:isnull"
    column, op, value = split_filter(compose("a:b", "startswith", "q:r"), COLUMNS) or ()
    assert (column.name, op, value) == ("a:b", "startswith", "q:r")
    assert split_filter("nope:eq:1", COLUMNS) is None
    built = parse_filter(compose("age", "between", "3", "9"), COLUMNS,
                         max_value_chars=100, max_in_values=10)  # fmt: skip
    assert built.value == (3, 9)


def test_operators_are_offered_per_column_type() -> None:
    assert "between" in ops_for("integer") and "contains" not in ops_for("integer")
    assert "contains" in ops_for("string") and "between" not in ops_for("string")
    assert ops_for("boolean") == ("eq", "ne", "isnull", "notnull")
    assert ops_for("binary") == ("isnull", "notnull")


def test_the_search_is_bound_to_text_columns_only() -> None:
    query = SampleQuery.parse(search="  Ada  ada LONDON ")
    bound = bind(query, COLUMNS, max_filters=10, max_value_chars=100, max_in_values=10)
    assert bound.search is not None
    assert bound.search.words == ("ada", "london")
    assert [c.name for c in bound.search.columns] == ["a:b"]
    assert bound.params == ["ada", "london"]
    assert query.audit_detail()["search"] == "Ada  ada LONDON"
