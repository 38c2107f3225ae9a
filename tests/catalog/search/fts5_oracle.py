"""FTS5 over an index file's text, whichever engine the file was built for: the oracle the
Tantivy engine's answers are compared with.

Under ``search_text_engine = "tantivy"`` the file's text table is a plain table
(``index.TEXT_TABLES``); the oracle is then a connection whose own ``fts`` (and ``vocab``)
are FTS5 tables filled with the file's text rows, as the FTS5 engine's file holds them,
with the file attached read-only for ``docs`` and ``facets``. For an FTS5 file it is the
file's connection itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog.search.index import TEXT_TABLES, text_engine_of


@contextmanager
def fts5_of(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A connection whose unqualified ``fts``, ``vocab``, ``docs`` and ``facets`` are
    those the FTS5 engine would read for the index file open in ``db``."""
    if text_engine_of(db) == "fts5":
        yield db
        return
    files = {name: file for _, name, file in db.execute("PRAGMA database_list")}
    path = Path(files["main"])
    oracle = sqlite3.connect("file::memory:", uri=True)  # so ATTACH takes a URI
    try:
        oracle.execute("ATTACH DATABASE ? AS ix", (f"{path.as_uri()}?mode=ro",))
        oracle.executescript(TEXT_TABLES["fts5"])  # main.fts: found before ix.fts
        oracle.execute(
            "INSERT INTO main.fts(rowid, title, kw, body, stems) "
            "SELECT rowid, title, kw, body, stems FROM ix.fts"
        )
        yield oracle
    finally:
        oracle.close()
