"""How the search index file stores each document's facet pairs, and every read of them.

Most facets are one ``facets`` row per ``(field, value, doc)``. The ``lab`` facet (the
data labs that may offer a dataset) holds about ten values a document, and the same few
sets of them repeat from document to document (one per set of terms: 7 at 100,000
generated datasets): stored as one row a document (``doc_labs``) naming its set of labs
(``lab_sets``, a sorted JSON list each). At two million datasets the lab pairs were half
of the 39.5 million ``facets`` rows, and each row cost the build's writer about 3 us in
two B-trees whatever the layout.

Every reader goes through this module (pairs by document, documents with a value,
counts), so the two tables answer as the one table did: a document's pairs come in
``(field, value)`` order, its labs among them.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from functools import lru_cache
from typing import Any

#: The facet stored as one set a document.
SET_FIELD = "lab"
#: The tables (and their indexes) of the facet pairs, in the index file's schema.
SCHEMA = """
CREATE TABLE facets(field TEXT NOT NULL, value TEXT NOT NULL, doc INTEGER NOT NULL,
    PRIMARY KEY(field, value, doc)) WITHOUT ROWID;
CREATE INDEX facets_doc ON facets(doc, field, value);
CREATE TABLE lab_sets(id INTEGER PRIMARY KEY, labs TEXT NOT NULL UNIQUE);
CREATE TABLE doc_labs(doc INTEGER PRIMARY KEY, lab_set INTEGER NOT NULL);
CREATE INDEX doc_labs_set ON doc_labs(lab_set, doc)"""
#: Rows per ``IN (...)`` list.
_CHUNK = 500
#: The sets of labs of documents, with their labs' text.
_SETS = "SELECT dl.doc, s.labs FROM doc_labs dl JOIN lab_sets s ON s.id = dl.lab_set"

Pairs = list[tuple[str, str]]


@lru_cache(maxsize=4096)
def _set_text(labs: tuple[str, ...]) -> str | None:
    """The ``lab_sets`` text of ``labs`` (sorted, without repeats; ``None`` for none),
    made once for each (the same few sets, document after document)."""
    found = sorted(set(labs))
    return json.dumps(found, ensure_ascii=False, separators=(",", ":")) if found else None


@lru_cache(maxsize=4096)
def _labs(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _split(pairs: Iterable[tuple[str, str]]) -> tuple[Pairs, str | None]:
    """``pairs`` but the set facet's, and the set text of those."""
    rows, labs = [], []
    for name, value in pairs:
        if name == SET_FIELD:
            labs.append(value)
        else:
            rows.append((name, value))
    return rows, _set_text(tuple(labs))


def _set_ids(conn: sqlite3.Connection, texts: Collection[str]) -> dict[str, int]:
    """The ``lab_sets`` id of each of ``texts``, added when new."""
    ids = {}
    for text in texts:
        conn.execute("INSERT OR IGNORE INTO lab_sets(labs) VALUES (?)", (text,))
        ids[text] = conn.execute("SELECT id FROM lab_sets WHERE labs=?", (text,)).fetchone()[0]
    return ids


def write(conn: sqlite3.Connection, docs: Iterable[tuple[int, Iterable[tuple[str, str]]]]) -> None:
    """Store each ``(rowid, pairs)`` of ``docs``, added to what the document holds (a
    set facet's pairs replace its set). The caller holds the transaction."""
    rows: list[tuple[str, str, int]] = []
    sets: list[tuple[int, str]] = []
    for rowid, pairs in docs:
        own, labs = _split(pairs)
        rows.extend((name, value, rowid) for name, value in own)
        if labs is not None:
            sets.append((rowid, labs))
    conn.executemany("INSERT OR IGNORE INTO facets VALUES (?,?,?)", rows)
    if sets:  # new sets numbered in the order the documents come (either way of writing)
        ids = _set_ids(conn, dict.fromkeys(text for _, text in sets))
        conn.executemany(
            "INSERT OR REPLACE INTO doc_labs VALUES (?,?)", [(doc, ids[t]) for doc, t in sets]
        )


def delete(conn: sqlite3.Connection, rowid: int, fields: Collection[str] | None = None) -> None:
    """Remove the document's pairs (of ``fields`` only, when given)."""
    if fields is None:
        conn.execute("DELETE FROM facets WHERE doc=?", (rowid,))
    else:
        names = [f for f in fields if f != SET_FIELD]
        if names:
            conn.execute(
                f"DELETE FROM facets WHERE doc=? AND field IN ({','.join('?' * len(names))})",  # noqa: S608
                (rowid, *names),
            )
    if fields is None or SET_FIELD in fields:
        conn.execute("DELETE FROM doc_labs WHERE doc=?", (rowid,))


def _merged(rows: Pairs, labs: str | None) -> Pairs:
    """A document's ``facets`` rows (in ``(field, value)`` order) with its labs put in
    their place."""
    if labs is None:
        return rows
    at = bisect.bisect_left(rows, (SET_FIELD,))
    return [*rows[:at], *((SET_FIELD, lab) for lab in _labs(labs)), *rows[at:]]


def pairs_of(
    conn: sqlite3.Connection, rowids: Iterable[int], fields: Collection[str] | None = None
) -> dict[int, Pairs]:
    """The pairs of the documents ``rowids`` (of the facets ``fields`` only, when given;
    documents without one are left out)."""
    wanted = list(rowids)
    names = None if fields is None else sorted(f for f in set(fields) if f != SET_FIELD)
    with_labs = fields is None or SET_FIELD in fields
    of_fields = "" if names is None else f" AND field IN ({','.join('?' * len(names))})"
    out: dict[int, Pairs] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows: dict[int, Pairs] = {}
        if names is None or names:
            sql = f"SELECT doc, field, value FROM facets WHERE doc IN ({marks}){of_fields}"  # noqa: S608
            found = conn.execute(f"{sql} ORDER BY doc, field, value", [*chunk, *(names or ())])
            for doc, name, value in found:
                rows.setdefault(doc, []).append((name, value))
        labs: dict[int, str] = {}
        if with_labs:
            labs = dict(conn.execute(f"{_SETS} WHERE dl.doc IN ({marks})", chunk).fetchall())
        for doc in sorted(rows.keys() | labs.keys()):
            out[doc] = _merged(rows.get(doc, []), labs.get(doc))
    return out


def pairs_since(conn: sqlite3.Connection, first: int) -> Iterator[tuple[int, Pairs]]:
    """``(rowid, pairs)`` of every document from rowid ``first`` on that has pairs, in
    rowid order (two cursors walk ``facets`` and ``doc_labs`` in the same order)."""
    rows = conn.execute(
        "SELECT doc, field, value FROM facets WHERE doc >= ? ORDER BY doc, field, value",
        (first,),
    )
    labs = conn.cursor().execute(f"{_SETS} WHERE dl.doc >= ? ORDER BY dl.doc", (first,))
    done: tuple[Any, ...] = (float("inf"),)  # past every rowid: a cursor read to its end
    row, lab = next(rows, done), next(labs, done)
    while row is not done or lab is not done:
        doc = min(row[0], lab[0])
        own: Pairs = []
        while row[0] == doc:
            own.append((row[1], row[2]))
            row = next(rows, done)
        text = None
        if lab[0] == doc:
            text = lab[1]
            lab = next(labs, done)
        yield int(doc), _merged(own, text)


def grouped_since(conn: sqlite3.Connection, first: int) -> Iterator[tuple[str, str, str]]:
    """``(field, value, docs)`` of the documents from rowid ``first`` on, ``docs`` their
    rowids joined by commas (a value may come more than once: once per set of labs
    holding it)."""
    # A change reads its few rows through the (doc, ...) index; SQLite's own plan scans
    # every facet row in key order for the GROUP BY (140 ms at 200,000 datasets, for one
    # document), which only a whole read should do.
    using = "INDEXED BY facets_doc" if first > 0 else ""
    yield from conn.execute(
        f"SELECT field, value, group_concat(doc) FROM facets {using} WHERE doc >= ? "  # noqa: S608
        "GROUP BY field, value",
        (first,),
    )
    for text, docs in conn.execute(
        "SELECT s.labs, group_concat(dl.doc) FROM doc_labs dl JOIN lab_sets s "
        "ON s.id = dl.lab_set WHERE dl.doc >= ? GROUP BY dl.lab_set",
        (first,),
    ):
        for lab in _labs(text):
            yield SET_FIELD, lab, docs


def docs_with(name: str, values: list[str]) -> tuple[str, list[Any]]:
    """A subquery of the rowids of the documents whose facet ``name`` holds one of
    ``values``, and its parameters."""
    marks = ",".join("?" * len(values))
    if name == SET_FIELD:
        sql = (
            "SELECT doc FROM doc_labs WHERE lab_set IN (SELECT s.id FROM lab_sets s, "  # noqa: S608
            f"json_each(s.labs) j WHERE j.value IN ({marks}))"
        )
        return sql, list(values)
    return f"SELECT doc FROM facets WHERE field = ? AND value IN ({marks})", [name, *values]  # noqa: S608


def counts(
    conn: sqlite3.Connection, matches: str | None, params: list[Any]
) -> dict[str, list[tuple[str, int]]]:
    """``{field: [(value, count)]}`` over the documents of ``matches`` (a ``SELECT`` of
    their rowids as ``doc``; ``None``: every document)."""
    if matches is None:
        plain = "SELECT field, value, count(*) FROM facets GROUP BY field, value"
        sets = (
            "SELECT s.labs, count(*) FROM doc_labs dl JOIN lab_sets s ON s.id = dl.lab_set "
            "GROUP BY dl.lab_set"
        )
        rows, labs = conn.execute(plain).fetchall(), conn.execute(sets).fetchall()
    else:
        # the matches once, then each document's rows looked up by doc (CROSS JOIN fixes
        # the order); a NULL field marks a set of labs
        sql = (
            f"WITH m AS MATERIALIZED ({matches}) "  # noqa: S608
            "SELECT f.field, f.value, count(*) FROM m CROSS JOIN facets f ON f.doc = m.doc "
            "GROUP BY f.field, f.value UNION ALL "
            "SELECT NULL, s.labs, count(*) FROM m CROSS JOIN doc_labs dl ON dl.doc = m.doc "
            "JOIN lab_sets s ON s.id = dl.lab_set GROUP BY dl.lab_set"
        )
        found = conn.execute(sql, params).fetchall()
        rows = [r for r in found if r[0] is not None]
        labs = [(r[1], r[2]) for r in found if r[0] is None]
    out: dict[str, list[tuple[str, int]]] = {}
    for name, value, count in rows:
        out.setdefault(name, []).append((value, count))
    by_lab: dict[str, int] = {}
    for text, count in labs:
        for lab in _labs(text):
            by_lab[lab] = by_lab.get(lab, 0) + count
    if by_lab:
        out[SET_FIELD] = sorted(by_lab.items())
    return out
