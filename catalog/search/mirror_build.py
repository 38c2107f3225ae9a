"""Reading the SQLite index's rows into the Tantivy mirror, and building a new mirror.

A mirrored row is an ``fts`` row with its facet pairs (:mod:`.facet_rows`) and its
``docs`` sort keys (:func:`catalog.search.mirror_layout.document` makes the document).
:func:`rows_since`
walks the rows added since a rowid (rowids are never reused, so that is what a commit
added), :func:`rows_of` reads named rows (facets rewritten in place). A build writes the
next mirror with :class:`MirrorBuilder` next to the live one, which
:meth:`catalog.search.tantivy_text.TantivyText.adopt` swaps in after checking it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from catalog.search import facet_rows
from catalog.search.mirror_layout import WRITER_HEAP, Keys, document, open_index, schema, stamp

#: One mirrored row: rowid, the ``fts`` texts, the facet pairs and the :data:`Keys`.
MirrorRow = tuple[int, str, str, str, str, list[tuple[str, str]], Keys]
#: The ``fts`` texts and ``docs`` keys of the mirrored rows (a ``WHERE`` may follow).
FTS_DOCS = (
    "SELECT f.rowid, f.title, f.kw, f.body, f.stems, "
    "d.id, d.modified, d.sort_title, d.minx, d.miny, d.maxx, d.maxy "
    "FROM fts f JOIN docs d ON d.rowid = f.rowid"
)
#: Rows per ``IN (...)`` list.
_CHUNK = 500


def rows_of(db: sqlite3.Connection, rowids: list[int]) -> Iterator[MirrorRow]:
    """The ``fts`` rows of ``rowids``, each with its facet pairs and sort keys."""
    for start in range(0, len(rowids), _CHUNK):
        chunk = rowids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        facets = facet_rows.pairs_of(db, chunk)
        sql = f"{FTS_DOCS} WHERE f.rowid IN ({marks})"
        for rowid, title, kw, body, stems, *keys in db.execute(sql, chunk):
            yield rowid, title, kw, body, stems, facets.get(rowid, []), tuple(keys)


def rows_since(db: sqlite3.Connection, first: int) -> Iterator[MirrorRow]:
    """``fts`` rows from rowid ``first`` on, each with its facet pairs and sort keys (the
    rows and the pairs walked in the same rowid order)."""
    rows = db.execute(f"{FTS_DOCS} WHERE f.rowid >= ? ORDER BY f.rowid", (first,))
    pairs = facet_rows.pairs_since(db, first)
    pending = next(pairs, None)
    for rowid, title, kw, body, stems, *keys in rows:
        while pending is not None and pending[0] < rowid:
            pending = next(pairs, None)
        facets: list[tuple[str, str]] = []
        if pending is not None and pending[0] == rowid:
            facets = pending[1]
            pending = next(pairs, None)
        yield rowid, title, kw, body, stems, facets, tuple(keys)


class MirrorBuilder:
    """Builds a new mirror next to the live one while a new SQLite file is built (in the
    build's writer process); :meth:`TantivyText.adopt` swaps it in, after checking it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index = open_index(path, schema(), fresh=True)
        self.writer = self.index.writer(heap_size=WRITER_HEAP)

    def catch_up(self, db: sqlite3.Connection) -> None:
        """Add the rows ``db`` already holds (written before this builder started)."""
        for row in rows_since(db, 0):
            self.writer.add_document(document(*row))

    def add(
        self,
        rowid: int,
        fts_row: tuple[str, str, str, str],
        facets: list[tuple[str, str]],
        keys: Keys,
    ) -> None:
        self.writer.add_document(document(rowid, *fts_row, facets, keys))

    def finish(self, db: sqlite3.Connection) -> None:
        """Commit, and stamp the mirror with ``db``'s (committed, complete) state."""
        self.writer.commit()
        self.writer.wait_merging_threads()
        live = {r[0] for r in db.execute("SELECT rowid FROM docs")}
        (self.path / "mirror.txt").write_text(stamp(db, live))
