"""In-memory facet columns over the SQLite index: filters, counts and sort orders in numpy.

The SQLite file stays the truth; :class:`FacetColumns` is a cache of its ``docs`` and
``facets`` tables, indexed by the documents' rowid, built when the index is opened or
swapped in and brought up to date after every write (:meth:`FacetColumns.refresh` diffs
the live rowids; the index uses ``AUTOINCREMENT`` so a rowid is never reused; facets
rewritten in place, after a lab edit, are named to :meth:`FacetColumns.rewrite`).

* facet membership: pairs ``(doc, code)`` sorted by doc, one code per ``(field, value)``
  (code 0 marks pairs of deleted documents until the next compaction), plus the same pairs
  grouped by code for filters;
* per-document ``modified`` and bounding box columns for range filters;
* sort ranks (modification date, title), computed by SQLite on first use after a change.

Counts are ``bincount`` over the codes of the hits' pairs: the cost follows the number of
hits, not a ``GROUP BY`` over facet rows.

Reading the two tables takes seconds at a million datasets, so a clean close also saves the
columns beside the index (:meth:`FacetColumns.save`: ``.npy`` files, the postings by code,
the counts over everything and the sort ranks included), bound to the index file's
integrity stamp; the next open whose stamp matches maps them back (:meth:`open_saved`,
copy-on-write memory maps: pages are read when a query touches them) instead of reading
the tables.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from catalog.search import facet_rows
from catalog.search.index import Moves

log = logging.getLogger(__name__)

_I = np.int64
#: Layout of the columns saved beside the index (another layout is not read).
SAVED_LAYOUT = 2
#: The facet pair arrays are saved with room after the pairs (a sixteenth of them, at least
#: this many): a restarted server appends its first changes into the mapped file's room,
#: where copying the mapped pairs whole cost seconds at 2M datasets (630 MB, read from disk
#: after a restart).
SAVED_ROOM = 4096
#: The file naming the index stamp the saved columns belong to (written last).
BOUND = "bound.json"
_ARRAYS = ("alive", "has_modified", "modified", "box", "pair_doc", "pair_code")
_PAIRS = ("pair_doc", "pair_code")


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The concatenated index ranges ``lo[i]:hi[i]``."""
    lens = hi - lo
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=_I)
    starts = np.repeat(lo - (np.cumsum(lens) - lens), lens)
    return starts + np.arange(total, dtype=_I)


def _ids(text: str | None) -> np.ndarray:
    if not text:
        return np.zeros(0, dtype=_I)
    return np.array(text.split(","), dtype=_I)


class FacetColumns:
    """Facet values, dates and boxes of every indexed document as numpy columns."""

    def __init__(self) -> None:
        self.codes: dict[tuple[str, str], int] = {}
        self.keys: list[tuple[str, str]] = [("", "")]  # code 0: a deleted document's pair
        self.cap = 0
        #: One past the highest rowid read: a new rowid below it was reused.
        self.top = 0
        #: How many times everything was read (for tests and benchmarks).
        self.loads = 0
        self.alive = np.zeros(0, dtype=bool)
        self.has_modified = np.zeros(0, dtype=bool)
        self.modified = np.zeros(0, dtype="U1")
        self.box = np.zeros((4, 0), dtype=np.float64)
        self.pair_doc = np.zeros(0, dtype=_I)
        self.pair_code = np.zeros(0, dtype=_I)
        #: Buffers whose first ``len(pair_doc)`` entries are ``pair_doc`` and ``pair_code``
        #: (``None`` after they were replaced): a change appends its pairs in place
        #: instead of copying every pair (tens of millions at two million documents).
        self._room: tuple[np.ndarray, np.ndarray] | None = None
        self._by_code: tuple[np.ndarray, np.ndarray] | None = None
        self._all_counts: np.ndarray | None = None
        self._ranks: dict[str, np.ndarray] = {}
        self.dead_pairs = 0

    # -- building ----------------------------------------------------------------------
    def load(self, db: sqlite3.Connection) -> None:
        """Read everything from the index (on open and after a rebuild)."""
        started = time.perf_counter()
        loads = self.loads
        self.__init__()  # type: ignore[misc]
        self.loads = loads + 1
        self._add(db, 0)
        log.info(
            "search columns: %d documents, %d facet pairs in %.2fs",
            int(self.alive.sum()),
            len(self.pair_doc),
            time.perf_counter() - started,
        )

    def refresh(self, db: sqlite3.Connection, moves: Moves | None = None) -> None:
        """Apply what was written since the last load or refresh (deletes and inserts):
        ``moves``, the rows the writes touched, when the caller took them; else the
        difference between the live rowids and the known ones."""
        if moves is None:
            live = np.fromiter((r[0] for r in db.execute("SELECT rowid FROM docs")), dtype=_I)
            known = np.flatnonzero(self.alive)
            gone = np.setdiff1d(known, live, assume_unique=True)
            new = np.setdiff1d(live, known, assume_unique=True)
        else:  # applying moves twice changes nothing
            gone = moves.removed[moves.removed < self.cap]
            gone = gone[self.alive[gone]]
            inside = moves.added < self.cap
            new = np.sort(
                np.concatenate(
                    [moves.added[~inside], moves.added[inside][~self.alive[moves.added[inside]]]]
                )
            )
        if not len(gone) and not len(new):
            return
        if len(new) and int(new.min()) < self.top:  # a reused rowid: start over
            self.load(db)
            return
        if len(gone):
            self.alive[gone] = False
            self._kill(gone)
        if len(new):
            self._add(db, int(new.min()))
        self._compact()
        self._changed()

    def rewrite(self, db: sqlite3.Connection, rowids: Iterable[int]) -> None:
        """Read again the facet pairs of live documents whose facets were rewritten in
        place (same rowid: :meth:`IndexFile.replace_facets`)."""
        ids = np.unique(np.fromiter(rowids, dtype=_I))
        ids = ids[ids < self.cap]
        ids = ids[self.alive[ids]]
        if not len(ids):
            return
        self._kill(ids)
        docs, codes = [], []
        for rowid, pairs in facet_rows.pairs_of(db, [int(i) for i in ids]).items():
            for field, value in pairs:
                docs.append(rowid)
                codes.append(self._code(field, value))
        doc = np.concatenate([self.pair_doc, np.array(docs, dtype=_I)])
        code = np.concatenate([self.pair_code, np.array(codes, dtype=_I)])
        order = np.argsort(doc, kind="stable")
        self._set_pairs(doc[order], code[order])
        self._compact()
        self._changed()

    def _kill(self, rowids: np.ndarray) -> None:
        """Mark the pairs of ``rowids`` (sorted) dead (code 0) until the next compaction."""
        lo = np.searchsorted(self.pair_doc, rowids, "left")
        hi = np.searchsorted(self.pair_doc, rowids, "right")
        dead = _ranges(lo, hi)
        self.pair_code[dead] = 0
        self.dead_pairs += len(dead)

    def _compact(self) -> None:
        if self.dead_pairs > len(self.pair_code) // 2:
            keep = self.pair_code != 0
            self._set_pairs(self.pair_doc[keep], self.pair_code[keep])
            self.dead_pairs = 0

    def _set_pairs(self, doc: np.ndarray, code: np.ndarray) -> None:
        self.pair_doc, self.pair_code = doc, code
        self._room = None

    def _append_pairs(self, doc: np.ndarray, code: np.ndarray) -> None:
        """Add pairs after the others (their rowids are above every known one), into
        :attr:`_room`, made a quarter larger than needed when it is full."""
        n = len(self.pair_doc)
        m = n + len(doc)
        if self._room is None or len(self._room[0]) < m:
            size = m + m // 4 + 4096
            room = (np.empty(size, dtype=_I), np.empty(size, dtype=_I))
            room[0][:n], room[1][:n] = self.pair_doc, self.pair_code
            self._room = room
        self._room[0][n:m], self._room[1][n:m] = doc, code
        # views: a reader holding the previous ones still sees the pairs it had
        self.pair_doc, self.pair_code = self._room[0][:m], self._room[1][:m]

    def _code(self, field: str, value: str) -> int:
        """The code of one ``(field, value)`` pair (a new one gets the next code)."""
        code = self.codes.get((field, value))
        if code is None:
            code = self.codes[(field, value)] = len(self.keys)
            self.keys.append((field, value))
        return code

    def _changed(self) -> None:
        self._by_code = None
        self._all_counts = None
        self._ranks = {}

    def _add(self, db: sqlite3.Connection, first: int) -> None:
        rows = db.execute(
            "SELECT rowid, modified, minx, miny, maxx, maxy FROM docs WHERE rowid >= ?",
            (first,),
        ).fetchall()
        if rows:
            self._put_docs(
                np.array([r[0] for r in rows], dtype=_I),
                [r[1] for r in rows],
                [r[2:6] for r in rows],
            )
        docs, codes = [], []
        for field, value, text in facet_rows.grouped_since(db, first):
            code = self._code(field, value)
            ids = _ids(text)
            docs.append(ids)
            codes.append(np.full(len(ids), code, dtype=_I))
        if docs:
            doc = np.concatenate(docs)
            doc_codes = np.concatenate(codes)
            order = np.argsort(doc, kind="stable")
            self._append_pairs(doc[order], doc_codes[order])

    def append(
        self,
        rowids: np.ndarray,
        modified: list[str | None],
        boxes: list[tuple[float | None, ...]],
        pair_counts: np.ndarray,
        pair_keys: list[tuple[str, str]],
    ) -> None:
        """Add documents written after every known one (sorted ``rowids``, above
        :attr:`top`), as the index file holds them: their ``modified`` values, bounding
        boxes (``None``: no box) and facet pairs (``pair_counts[i]`` pairs of
        ``pair_keys`` in a row are those of ``rowids[i]``; a pair given twice is one pair,
        as in the ``facets`` table)."""
        if not len(rowids):
            return
        if int(rowids[0]) < self.top:
            raise ValueError(f"rowid {int(rowids[0])} is not after the known ones ({self.top})")
        self._put_docs(rowids, modified, boxes)
        found = list(map(self.codes.get, pair_keys))
        if None in found:  # a value not seen before
            found = [
                self._code(*key) if c is None else c
                for c, key in zip(found, pair_keys, strict=True)
            ]
        codes = np.array(found, dtype=_I)
        # one pair per (doc, code), sorted by doc then code, as the table's key keeps them
        pairs = _distinct((np.repeat(rowids, pair_counts) << 32) | codes)
        self._append_pairs(pairs >> 32, pairs & 0xFFFFFFFF)
        self._changed()

    def _put_docs(
        self,
        rowids: np.ndarray,
        modified: list[str | None],
        boxes: list[tuple[float | None, ...]],
    ) -> None:
        """Set the ``docs`` columns of ``rowids``."""
        top = int(rowids.max()) + 1
        self._grow(top)
        self.top = max(self.top, top)
        self.alive[rowids] = True
        mods = [m or "" for m in modified]
        self.has_modified[rowids] = np.array([m is not None for m in modified], dtype=bool)
        width = max(self.modified.dtype.itemsize // 4, max((len(m) for m in mods), default=1))
        if self.modified.dtype.itemsize // 4 < width:
            self.modified = self.modified.astype(f"U{width}")
        self.modified[rowids] = np.array(mods, dtype=f"U{width}")
        self.box[:, rowids] = np.array(boxes, dtype=np.float64).reshape(-1, 4).T  # None -> nan

    def _grow(self, top: int) -> None:
        if top <= self.cap:
            return
        cap = max(top, int(self.cap * 1.25) + 1024)
        pad = cap - self.cap
        self.alive = np.concatenate([self.alive, np.zeros(pad, dtype=bool)])
        self.has_modified = np.concatenate([self.has_modified, np.zeros(pad, dtype=bool)])
        self.modified = np.concatenate([self.modified, np.zeros(pad, dtype=self.modified.dtype)])
        self.box = np.concatenate([self.box, np.full((4, pad), np.nan)], axis=1)
        self.cap = cap

    # -- filtering ---------------------------------------------------------------------
    def _postings(self, code: int) -> np.ndarray:
        if self._by_code is None:
            order = np.argsort(self.pair_code, kind="stable")
            starts = np.searchsorted(self.pair_code[order], np.arange(len(self.keys) + 1))
            self._by_code = (self.pair_doc[order], starts)
        docs, starts = self._by_code
        return docs[starts[code] : starts[code + 1]]

    def mask(
        self,
        filters: dict[str, list[str]],
        modified_from: str | None,
        modified_to: str | None,
        bbox: tuple[float, float, float, float] | None,
    ) -> np.ndarray | None:
        """Documents passing the (already validated) filters; ``None``: no filter at all."""
        return self._passing(None, filters, modified_from, modified_to, bbox)

    def passing(
        self,
        rowids: np.ndarray,
        filters: dict[str, list[str]],
        modified_from: str | None,
        modified_to: str | None,
        bbox: tuple[float, float, float, float] | None,
    ) -> np.ndarray:
        """Which of ``rowids`` pass the filters, as :meth:`mask` says of them, read at those
        rows only (the few hundred candidates of a ranked page, not every document)."""
        rowids = np.asarray(rowids, dtype=_I)
        inside = rowids < self.cap
        out = self._passing(np.where(inside, rowids, 0), filters, modified_from, modified_to, bbox)
        return inside if out is None else inside & out

    def _passing(
        self,
        at: np.ndarray | None,
        filters: dict[str, list[str]],
        modified_from: str | None,
        modified_to: str | None,
        bbox: tuple[float, float, float, float] | None,
    ) -> np.ndarray | None:
        """Whether the documents at rowids ``at`` (``None``: every rowid) pass the filters;
        ``None``: no filter at all."""
        rows = slice(None) if at is None else at
        out: np.ndarray | None = None
        for name, values in sorted(filters.items()):
            values = [v for v in values if v]
            if not values:
                continue
            codes = [c for c in (self.codes.get((name, v)) for v in values) if c is not None]
            m = self._holding(codes, at)
            out = m if out is None else out & m
        if modified_from:
            m = self.has_modified[rows] & (self.modified[rows] >= modified_from)
            out = m if out is None else out & m
        if modified_to:
            m = self.has_modified[rows] & (self.modified[rows] <= modified_to + "\uffff")
            out = m if out is None else out & m
        if bbox:
            minx, miny, maxx, maxy = (side[rows] for side in self.box)
            with np.errstate(invalid="ignore"):
                m = (minx <= bbox[2]) & (maxx >= bbox[0]) & (miny <= bbox[3]) & (maxy >= bbox[1])
            out = m if out is None else out & m
        if out is not None:
            out &= self.alive[rows]
        return out

    def _holding(self, codes: list[int], at: np.ndarray | None) -> np.ndarray:
        """Whether each document at rowids ``at`` (``None``: every rowid) holds a pair of
        one of ``codes``: from the postings by code for every document, from the
        documents' own pairs for a few."""
        if at is None:
            m = np.zeros(self.cap, dtype=bool)
            for code in codes:
                m[self._postings(code)] = True
            return m
        lo = np.searchsorted(self.pair_doc, at, "left")
        hi = np.searchsorted(self.pair_doc, at, "right")
        held = np.isin(self.pair_code[_ranges(lo, hi)], codes)
        owner = np.repeat(np.arange(len(at)), hi - lo)
        return np.bincount(owner[held], minlength=len(at)) > 0

    def restrict(
        self,
        mask: np.ndarray | None,
        exclude: dict[str, list[str]],
        only: np.ndarray | None,
        without: np.ndarray | None,
    ) -> np.ndarray | None:
        """``mask`` narrowed by excluded facet values and by rowids to keep (``only``) or
        drop (``without``); ``None`` when there is no filter at all."""
        out = mask
        for name, values in sorted(exclude.items()):
            m = np.ones(self.cap, dtype=bool)
            for v in values:
                code = self.codes.get((name, v))
                if code is not None:
                    m[self._postings(code)] = False
            out = m if out is None else out & m
        if only is not None:
            m = np.zeros(self.cap, dtype=bool)
            m[only[only < self.cap]] = True
            out = m if out is None else out & m
        if without is not None and len(without):
            m = np.ones(self.cap, dtype=bool)
            m[without[without < self.cap]] = False
            out = m if out is None else out & m
        if out is not None:
            out = out & self.alive
        return out

    # -- counting ----------------------------------------------------------------------
    def counts(self, hits: np.ndarray | None) -> dict[str, list[tuple[str, int]]]:
        """``{field: [(value, count)]}`` over ``hits`` (sorted rowids; ``None``: all)."""
        n = len(self.keys)
        if hits is None:
            if self._all_counts is None:
                self._all_counts = np.bincount(self.pair_code, minlength=n)
            counts = self._all_counts
        elif len(hits) * 32 < len(self.pair_doc):
            lo = np.searchsorted(self.pair_doc, hits, "left")
            hi = np.searchsorted(self.pair_doc, hits, "right")
            counts = np.bincount(self.pair_code[_ranges(lo, hi)], minlength=n)
        else:
            m = np.zeros(self.cap, dtype=bool)
            m[hits] = True
            counts = np.bincount(self.pair_code[m[self.pair_doc]], minlength=n)
        out: dict[str, list[tuple[str, int]]] = {}
        for code in np.flatnonzero(counts[1:]) + 1:
            name, value = self.keys[code]
            out.setdefault(name, []).append((value, int(counts[code])))
        return out

    # -- sorting -----------------------------------------------------------------------
    def rank(self, db: sqlite3.Connection, order: str) -> np.ndarray:
        """Position of every rowid in ``ORDER BY order`` (a fixed SQL order, not input)."""
        ranks = self._ranks.get(order)
        if ranks is None:
            rowids = np.fromiter(
                (r[0] for r in db.execute(f"SELECT d.rowid FROM docs d ORDER BY {order}")),  # noqa: S608
                dtype=_I,
            )
            ranks = np.full(self.cap, np.iinfo(np.int64).max, dtype=_I)
            ranks[rowids] = np.arange(len(rowids), dtype=_I)
            self._ranks[order] = ranks
        return ranks

    def page(
        self, db: sqlite3.Connection, hits: np.ndarray, order: str, offset: int, size: int
    ) -> np.ndarray:
        """Rowids of hits ``offset .. offset+size`` in ``order``."""
        ranks = self.rank(db, order)[hits]
        k = min(len(hits), offset + size)
        if k == 0:
            return np.zeros(0, dtype=_I)
        part = np.argpartition(ranks, k - 1)[:k] if k < len(hits) else np.arange(len(hits))
        part = part[np.argsort(ranks[part], kind="stable")]
        return hits[part[offset:k]]

    # -- saved beside the index ----------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the columns (and what queries derived from them) to a new ``folder``; they
        are read back only once :meth:`bind` names the index stamp they belong to."""
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for name in _ARRAYS:
            value = getattr(self, name)
            if name in _PAIRS:
                _save_with_room(folder / f"{name}.npy", value)
            else:
                np.save(folder / f"{name}.npy", value, allow_pickle=False)
        if self._by_code is None:
            self._postings(0)
        assert self._by_code is not None
        np.save(folder / "by_code_docs.npy", self._by_code[0], allow_pickle=False)
        np.save(folder / "by_code_starts.npy", self._by_code[1], allow_pickle=False)
        if self._all_counts is None:
            self._all_counts = np.bincount(self.pair_code, minlength=len(self.keys))
        np.save(folder / "all_counts.npy", self._all_counts, allow_pickle=False)
        orders = list(self._ranks)
        for i, order in enumerate(orders):
            np.save(folder / f"rank_{i}.npy", self._ranks[order], allow_pickle=False)
        (folder / "state.json").write_text(
            json.dumps(
                {
                    "layout": SAVED_LAYOUT,
                    "keys": self.keys,
                    "cap": self.cap,
                    "top": self.top,
                    "dead_pairs": self.dead_pairs,
                    "pairs": len(self.pair_doc),
                    "orders": orders,
                },
                ensure_ascii=False,
            )
        )

    @staticmethod
    def bind(folder: Path, stamp: str) -> None:
        """Name the index stamp the columns saved in ``folder`` belong to (the last step)."""
        staged = folder / (BOUND + ".tmp")
        staged.write_text(json.dumps({"layout": SAVED_LAYOUT, "stamp": stamp}))
        os.replace(staged, folder / BOUND)

    def open_saved(self, folder: Path, stamp: str) -> bool:
        """Map the columns saved in ``folder`` if they belong to the index stamp ``stamp``
        (else nothing changes; ``False``)."""
        try:
            bound = json.loads((folder / BOUND).read_text())
            if bound != {"layout": SAVED_LAYOUT, "stamp": stamp}:
                return False
        except (OSError, ValueError) as exc:
            log.warning("search columns in %s unreadable (%s); reading the index", folder, exc)
            return False
        return self._map(folder)

    def spill(self, folder: Path) -> bool:
        """Write the columns to a new ``folder`` and map them back from it, unbound (no
        other process trusts them: see :meth:`bind`). Read from the index, they were this
        process's own memory (778 MB at two million datasets, for as long as it runs);
        mapped, they are file pages the kernel may drop and read again. ``False``: not
        written (they stay in memory)."""
        try:
            self.save(folder)
        except OSError as exc:
            log.warning("search columns not written to %s (%s); kept in memory", folder, exc)
            return False
        return self._map(folder)

    def adopt(self, folder: Path) -> bool:
        """Map the columns a build wrote to ``folder`` as it wrote the index file it
        describes (:class:`catalog.search.columns_build.ColumnsBuilder`), unbound like
        :meth:`spill`'s. ``False``: unreadable, nothing changes."""
        return self._map(folder)

    def _map(self, folder: Path) -> bool:
        """Map the columns written to ``folder`` (else nothing changes; ``False``)."""
        try:
            state = json.loads((folder / "state.json").read_text())
            arrays = {
                name: np.load(folder / f"{name}.npy", mmap_mode="c", allow_pickle=False)
                for name in (*_ARRAYS, "by_code_docs", "by_code_starts", "all_counts")
            }
            ranks = {
                order: np.load(folder / f"rank_{i}.npy", mmap_mode="c", allow_pickle=False)
                for i, order in enumerate(state["orders"])
            }
            pairs = int(state["pairs"])
            if not 0 <= pairs <= min(len(arrays[name]) for name in _PAIRS):
                raise ValueError(f"{pairs} facet pairs do not fit the saved arrays")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("search columns in %s unreadable (%s); reading the index", folder, exc)
            return False
        loads = self.loads
        self.__init__()  # type: ignore[misc]
        self.loads = loads
        self.keys = [(str(f), str(v)) for f, v in state["keys"]]
        self.codes = {key: code for code, key in enumerate(self.keys) if code}
        self.cap, self.top = int(state["cap"]), int(state["top"])
        self.dead_pairs = int(state["dead_pairs"])
        for name in _ARRAYS:
            setattr(self, name, arrays[name])
        # the pairs, then the room the next changes are appended into (copy on write: the
        # file is never changed)
        self._room = (arrays["pair_doc"], arrays["pair_code"])
        self.pair_doc, self.pair_code = self._room[0][:pairs], self._room[1][:pairs]
        self._by_code = (arrays["by_code_docs"], arrays["by_code_starts"])
        self._all_counts = arrays["all_counts"]
        self._ranks = ranks
        log.info("search columns: %d facet pairs mapped from %s", len(self.pair_doc), folder)
        return True

    def stats(self) -> dict[str, Any]:
        return {
            "documents": int(self.alive.sum()),
            "pairs": len(self.pair_doc),
            "bytes": int(
                self.alive.nbytes
                + self.modified.nbytes
                + self.box.nbytes
                + self.pair_doc.nbytes
                + self.pair_code.nbytes
            ),
        }


def _save_with_room(path: Path, pairs: np.ndarray) -> None:
    """``pairs`` saved as an array with room after them (see :data:`SAVED_ROOM`; a new
    file is made at its full size, so the room reads as zeros without being written)."""
    n = len(pairs)
    size = n + max(SAVED_ROOM, n // 16)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=pairs.dtype, shape=(size,))
    out[:n] = pairs
    out.flush()
    del out


def _distinct(keys: np.ndarray) -> np.ndarray:
    """``np.unique(keys)`` of keys nearly in order already (a batch's pairs, by document):
    a stable sort (a merge of runs for integers) then the first of each run of equals;
    ``np.unique``'s quicksort took 9 ms for a batch's 40,000 pairs, this 0.6 ms."""
    ordered = np.sort(keys, kind="stable")
    first = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]
