"""The index file's facet pairs, labs stored as one set a document, read back as one
``(field, value, doc)`` row per pair would be (an oracle table beside them)."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter

import pytest

from catalog.search import facet_rows

LABS = [f"lab-{i:02d}" for i in range(19)]


def _pairs(rng: random.Random) -> list[tuple[str, str]]:
    pairs = [("theme", rng.choice(["HEAL", "ENVI", "TRAN"])), ("country", rng.choice("AB"))]
    if rng.random() < 0.8:  # some documents offered by no lab
        pairs += [("lab", lab) for lab in rng.sample(LABS, rng.randrange(1, 6))]
    if rng.random() < 0.3:
        pairs.append(("lab", pairs[-1][1]))  # a value twice: stored once
    if rng.random() < 0.5:
        pairs.append(("format", rng.choice(["CSV", "JSON", "Parquet"])))
    rng.shuffle(pairs)
    return pairs


@pytest.fixture
def db() -> sqlite3.Connection:
    """The facet tables, and an oracle: one row per pair, as the file held them before."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(facet_rows.SCHEMA)
    conn.execute(
        "CREATE TABLE oracle(field TEXT, value TEXT, doc INTEGER, PRIMARY KEY(field, value, doc))"
    )
    rng = random.Random(7)
    for doc in range(1, 301):
        pairs = _pairs(rng)
        facet_rows.write(conn, [(doc, pairs)])
        conn.executemany(
            "INSERT OR IGNORE INTO oracle VALUES (?,?,?)", [(f, v, doc) for f, v in pairs]
        )
    return conn


def _oracle_pairs(db: sqlite3.Connection, first: int = 0) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    rows = db.execute(
        "SELECT doc, field, value FROM oracle WHERE doc >= ? ORDER BY doc, field, value", (first,)
    )
    for doc, name, value in rows:
        out.setdefault(doc, []).append((name, value))
    return out


def test_labs_are_one_row_a_document_and_a_few_sets(db: sqlite3.Connection) -> None:
    assert db.execute("SELECT count(*) FROM facets WHERE field='lab'").fetchone()[0] == 0
    docs = db.execute("SELECT count(*) FROM doc_labs").fetchone()[0]
    pairs = db.execute("SELECT count(*) FROM oracle WHERE field='lab'").fetchone()[0]
    assert 200 < docs < 300 and pairs > 2 * docs


def test_pairs_read_back_as_the_oracle_holds_them(db: sqlite3.Connection) -> None:
    whole = _oracle_pairs(db)
    assert dict(facet_rows.pairs_since(db, 0)) == whole
    assert dict(facet_rows.pairs_since(db, 150)) == _oracle_pairs(db, 150)
    some = [3, 77, 150, 299, 1000]  # 1000: no such document
    assert facet_rows.pairs_of(db, some) == {d: whole[d] for d in some if d in whole}
    # grouped by value: the same pairs
    grouped = Counter()
    for name, value, docs in facet_rows.grouped_since(db, 0):
        for doc in docs.split(","):
            grouped[(name, value, int(doc))] += 1
    assert grouped == Counter(db.execute("SELECT field, value, doc FROM oracle").fetchall())


@pytest.mark.parametrize(
    ("name", "values"), [("lab", ["lab-03"]), ("lab", ["lab-01", "lab-18"]), ("theme", ["HEAL"])]
)
def test_documents_with_a_value(db: sqlite3.Connection, name: str, values: list[str]) -> None:
    sql, params = facet_rows.docs_with(name, values)
    found = {r[0] for r in db.execute(sql, params)}
    marks = ",".join("?" * len(values))
    expected = {
        r[0]
        for r in db.execute(
            f"SELECT doc FROM oracle WHERE field=? AND value IN ({marks})", [name, *values]
        )
    }
    assert found == expected and found


def test_counts_over_every_document_and_over_matches(db: sqlite3.Connection) -> None:
    def oracle(where: str) -> dict[str, list[tuple[str, int]]]:
        out: dict[str, list[tuple[str, int]]] = {}
        for name, value, count in db.execute(
            f"SELECT field, value, count(*) FROM oracle WHERE {where} GROUP BY field, value"
        ):
            out.setdefault(name, []).append((value, count))
        return out

    def sorted_(counts: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
        return {name: sorted(found) for name, found in counts.items()}

    assert sorted_(facet_rows.counts(db, None, [])) == sorted_(oracle("1"))
    matches = "SELECT doc FROM oracle WHERE field='country' AND value=? AND doc % 3 = 0"
    got = facet_rows.counts(db, matches, ["A"])
    assert sorted_(got) == sorted_(oracle(f"doc IN ({matches.replace('?', repr('A'))})"))
    assert got["lab"]


def test_writing_again_replaces_the_set_and_deleting_removes_what_is_named(
    db: sqlite3.Connection,
) -> None:
    before = facet_rows.pairs_of(db, [5])[5]
    facet_rows.delete(db, 5, {"lab", "format"})
    facet_rows.write(db, [(5, [("lab", "lab-00"), ("lab", "lab-07")])])
    after = facet_rows.pairs_of(db, [5])[5]
    kept = [p for p in before if p[0] not in ("lab", "format")]
    assert after == sorted([*kept, ("lab", "lab-00"), ("lab", "lab-07")])
    facet_rows.write(db, [(5, [("lab", "lab-09")])])  # a set written again: replaced
    assert [p for p in facet_rows.pairs_of(db, [5])[5] if p[0] == "lab"] == [("lab", "lab-09")]
    facet_rows.delete(db, 5)
    assert facet_rows.pairs_of(db, [5]) == {}
    assert 5 not in dict(facet_rows.pairs_since(db, 0))


def test_pairs_of_many_documents_in_chunks_and_of_some_fields(
    db: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _oracle_pairs(db)
    monkeypatch.setattr(facet_rows, "_CHUNK", 7)  # 300 documents: many IN lists
    assert facet_rows.pairs_of(db, range(1, 301)) == whole
    for fields in ({"lab"}, {"theme", "format"}, {"lab", "country"}, set()):
        expected = {
            d: [p for p in pairs if p[0] in fields]
            for d, pairs in whole.items()
            if any(p[0] in fields for p in pairs)
        }
        assert facet_rows.pairs_of(db, range(1, 301), fields) == expected, fields
