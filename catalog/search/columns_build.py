"""The facet columns of an index file built from empty, gathered as its rows are written.

Reading the columns back from a new file's ``docs`` and ``facets`` tables was the last
step of a full build: 51.5 s at two million datasets (39.5 million facet pairs, a
``GROUP BY`` over the whole table, then sorting the pairs by document), on one core while
the other waited. The process writing the file (a build's writer process, or the building
process for a small catalogue) already holds every row as it inserts it, in rowid order, so
a :class:`ColumnsBuilder` adds each batch to a :class:`~catalog.search.columns.FacetColumns`
as it is written and saves them beside the file once it is complete; the building process
maps them (:meth:`FacetColumns.adopt`) instead of reading the tables.

The columns are those :meth:`FacetColumns.load` would read from the finished file
(``tests/catalog/search/test_columns_build.py`` compares the two), since both come from the
same rows: :meth:`catch_up` reads the rows already in the file when the builder starts,
:meth:`appended` is told of every batch written after it.
"""

from __future__ import annotations

import logging
import sqlite3
from itertools import chain
from pathlib import Path

import numpy as np

from catalog.search.columns import FacetColumns
from catalog.search.index import PreparedDoc

log = logging.getLogger(__name__)


class ColumnsBuilder:
    """Facet columns of a file being built from empty, saved to ``folder`` at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.columns = FacetColumns()

    def catch_up(self, db: sqlite3.Connection) -> None:
        """Take the rows ``db`` already holds (written before this builder started)."""
        self.columns.load(db)

    def appended(self, rowids: range, prepared: list[PreparedDoc]) -> None:
        """Take a batch just inserted by :meth:`IndexFile.write_prepared` (``fresh``): the
        rows ``prepared``, given ``rowids`` in order."""
        self.columns.append(
            np.arange(rowids.start, rowids.stop, dtype=np.int64),
            [p[0][3] for p in prepared],
            [p[0][5:9] for p in prepared],
            np.fromiter((len(p[2]) for p in prepared), dtype=np.int64, count=len(prepared)),
            list(chain.from_iterable(p[2] for p in prepared)),
        )

    def save(self) -> bool:
        """Write the columns to :attr:`folder` (unbound: see :meth:`FacetColumns.bind`);
        ``False``: not written, the building process reads them from the file."""
        try:
            self.columns.save(self.folder)
        except OSError as exc:
            log.warning("search build: columns not written to %s (%s)", self.folder, exc)
            return False
        log.info(
            "search build: columns of %d documents, %d facet pairs written as built",
            int(self.columns.alive.sum()),
            len(self.columns.pair_doc),
        )
        return True
