"""The on-disk search index: one SQLite file with a text table, facet rows and hit data.

The text table is FTS5's (which matches and ranks) under ``search_text_engine = "fts5"``,
and a plain table of the same columns under ``"tantivy"``, whose mirror matches and ranks
(:data:`TEXT_TABLES`).

The file is derived from the graph and never trusted: a missing file, another schema
version, a failed ``quick_check`` or any SQLite error on open makes the caller rebuild it
(into a new file, swapped in with one rename). Descriptions of datasets that are not
public are never written to the file at all.

``quick_check`` reads the whole file (3.2 GB at a million datasets: most of a restart), so
a clean close leaves an *integrity stamp* beside the file (``index.sqlite.stamp``): its
size, modification time, a hash of its first and last pages and the random generation id
the file got when it was built (``meta.generation``). An open whose stamp matches the file
skips ``quick_check``; any mismatch (a truncated file, changed bytes at either end, another
file in its place, no stamp because the last run was killed) runs the full check as before.
The stamp is removed as soon as the file is open, so only a close that completed leaves one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from catalog.errors import SearchIndexError
from catalog.search import facet_rows
from catalog.search.project import SearchDoc
from catalog.search.text import base_lang, fold, index_tokens
from catalog.search.vocab import labels_for

log = logging.getLogger(__name__)

#: Bumped whenever what the file holds changes (3: the starts of German, Dutch, Swedish
#: and Danish words of titles and keywords in the ``stems`` column; 4: each stem is letters
#: and digits only, one token; 5: a document's labs as one set, :mod:`.facet_rows`); a
#: file of another version is rebuilt.
SCHEMA_VERSION = "5"
#: BM25 weights of the FTS columns: title, keywords/themes/publisher, description, stems.
WEIGHTS = (8.0, 4.0, 1.0, 2.0)
FACET_FIELDS = (
    "data_space",
    "theme",
    "publisher",
    "country",
    "licence",
    "access",
    "format",
    "lab",
    "ai_training",
    "has_sample",
    "has_bbox",
)

#: Indexes a file built from empty gets after its inserts (:meth:`IndexFile.defer_indexes`):
#: their keys come in random order, and inserting them row by row cost a build more (2.6 s
#: per million rows, rising with the file) than sorting them once at the end.
LATE_INDEXES = {
    "docs_modified": "CREATE INDEX docs_modified ON docs(modified)",
    "docs_title": "CREATE INDEX docs_title ON docs(sort_title)",
}

#: The ``fts`` table's tokenizer (the mirror splits words the same way:
#: :func:`catalog.search.mirror_layout.tokens`).
TOKENIZE = "unicode61 remove_diacritics 2 tokenchars '_'"

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources(source TEXT PRIMARY KEY, graph TEXT NOT NULL);
CREATE TABLE docs(
    rowid INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    access TEXT NOT NULL, modified TEXT, sort_title TEXT NOT NULL,
    minx REAL, miny REAL, maxx REAL, maxy REAL, display TEXT NOT NULL);
CREATE INDEX docs_source ON docs(source);
{late_indexes};
{facet_tables};
CREATE TABLE labels(field TEXT NOT NULL, value TEXT NOT NULL, lang TEXT NOT NULL,
    label TEXT NOT NULL, PRIMARY KEY(field, value, lang)) WITHOUT ROWID;
{text_table};
""".replace("{late_indexes}", ";\n".join(LATE_INDEXES.values())).replace(
    "{facet_tables}", facet_rows.SCHEMA
)

#: What holds the documents' text, by text engine (``search_text_engine``): for FTS5 its
#: virtual table, which matches, ranks and lists the vocabulary; for Tantivy a plain table
#: of the same columns and rowids, which the mirror is built from and which writes and
#: deletes alike: the mirror matches, ranks and lists the vocabulary itself, so an FTS5
#: index beside it would be written for nothing (at 2M documents: 1.1 GB of the file and
#: 91 s of a build's writer CPU, ``docs/search-engine.md``).
TEXT_TABLES = {
    "fts5": f"""CREATE VIRTUAL TABLE fts USING fts5(title, kw, body, stems,
    tokenize = "{TOKENIZE}");
CREATE VIRTUAL TABLE vocab USING fts5vocab(fts, 'row')""",
    "tantivy": "CREATE TABLE fts(rowid INTEGER PRIMARY KEY, title TEXT, kw TEXT, body TEXT, "
    "stems TEXT)",
}


def schema_script(text: str) -> str:
    """The SQL that creates an empty index file whose text is for engine ``text``."""
    return _SCHEMA.replace("{text_table}", TEXT_TABLES[text])


def text_engine_of(conn: sqlite3.Connection) -> str | None:
    """The engine the file's text table is for (a key of :data:`TEXT_TABLES`), read from
    its schema (a file written before the Tantivy engine had a table of its own has
    FTS5's); ``None`` when it has no text table."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'fts'").fetchone()
    if row is None:
        return None
    return "fts5" if "USING fts5(" in str(row[0]) else "tantivy"


#: The index file's name in its folder.
INDEX_FILE = "index.sqlite"
#: Version of the integrity stamp's layout (another version is a mismatch).
STAMP_VERSION = 1
#: Bytes hashed at each end of the file for the stamp (SQLite's default page size).
_STAMP_PAGE = 4096


def search_folder(home: Path) -> Path:
    """The folder of a catalogue's search index (the SQLite file and the Tantivy mirror)."""
    return home / "search"


def index_path(home: Path) -> Path:
    """Where a catalogue's index file lives under its home folder."""
    return search_folder(home) / INDEX_FILE


def schema_objects(conn: sqlite3.Connection) -> set[tuple[str, str, str]]:
    """The ``(type, name, sql)`` of every table, index, view and trigger of an index file
    (read from ``sqlite_master`` only: nothing of the file runs)."""
    rows = conn.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master")
    return {(str(kind), str(name), str(sql)) for kind, name, sql in rows}


def expected_schema_objects(text: str) -> set[tuple[str, str, str]]:
    """What :func:`schema_objects` answers for an index file of this schema version whose
    text is for engine ``text``."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(schema_script(text))
        return schema_objects(conn)
    finally:
        conn.close()


#: Ids or rowids per ``IN (...)`` list (well under SQLite's limit on parameters).
IN_CHUNK = 500


def rowids_of(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, int]:
    """``{id: rowid}`` of those of ``ids`` the index file holds."""
    wanted = sorted(set(ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, rowid FROM docs WHERE id IN ({marks})"  # noqa: S608
        found.update(conn.execute(sql, chunk))
    return found


def stamp_path(path: Path) -> Path:
    """Where the integrity stamp of the index file ``path`` is kept."""
    return path.with_name(path.name + ".stamp")


def file_stamp(path: Path, generation: str | None) -> dict[str, Any]:
    """The integrity stamp of the file at ``path`` as it is now (see the module doc)."""
    st = path.stat()
    with path.open("rb") as f:
        head = f.read(_STAMP_PAGE)
        f.seek(max(0, st.st_size - _STAMP_PAGE))
        tail = f.read(_STAMP_PAGE)
    return {
        "version": STAMP_VERSION,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "head": hashlib.sha256(head).hexdigest(),
        "tail": hashlib.sha256(tail).hexdigest(),
        "generation": generation,
    }


def stamp_digest(stamp: dict[str, Any]) -> str:
    """A short name for one stamp (what files saved beside the index are bound to)."""
    return hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()[:32]


def _saved_stamp(path: Path) -> dict[str, Any] | None:
    try:
        saved = json.loads(stamp_path(path).read_text())
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


#: Rowids inserted into (1) or deleted from (0) ``docs`` through the live connection since
#: its readers last took them (:meth:`IndexFile.take_moves`): the Tantivy mirror and the
#: columns follow a change at the cost of its own rows, not of a scan of every rowid. A
#: temporary table: it lives and dies with the connection, and rolls back with it.
_MOVES = """
CREATE TEMP TABLE IF NOT EXISTS doc_moves(rowid INTEGER PRIMARY KEY, added INTEGER NOT NULL);
CREATE TEMP TRIGGER IF NOT EXISTS doc_added AFTER INSERT ON main.docs
BEGIN INSERT OR REPLACE INTO doc_moves VALUES (new.rowid, 1); END;
CREATE TEMP TRIGGER IF NOT EXISTS doc_removed AFTER DELETE ON main.docs
BEGIN INSERT OR REPLACE INTO doc_moves VALUES (old.rowid, 0); END;
"""


@dataclass(frozen=True)
class Moves:
    """Rowids added to and removed from ``docs`` (sorted; rowids are never reused)."""

    added: np.ndarray
    removed: np.ndarray

    @staticmethod
    def merged(batches: list[Moves]) -> Moves:
        """The moves of ``batches`` taken in turn, as one (a row added, then removed, is
        removed)."""
        removed = np.unique(np.concatenate([b.removed for b in batches] or [np.zeros(0, np.int64)]))
        added = np.unique(np.concatenate([b.added for b in batches] or [np.zeros(0, np.int64)]))
        return Moves(np.setdiff1d(added, removed, assume_unique=True), removed)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _texts_tokens(
    texts: Iterable[tuple[str, str]], default_lang: str, starts: bool = False
) -> tuple[str, list[str]]:
    """The folded texts and their stem tokens; with ``starts``, the word starts too (for
    titles and keywords only: in descriptions they would grow the index by a third)."""
    folded, stems = [], []
    for lang, text in texts:
        folded.append(fold(text))
        stems.extend(index_tokens(text, base_lang(lang) or default_lang, starts))
    return " \n ".join(folded), stems


class IndexFile:
    """One SQLite search index file; every method is serialised by one lock. ``text``: the
    text engine its text table is for (:data:`TEXT_TABLES`); a file made for the other is
    rebuilt when opened."""

    def __init__(self, path: Path, text: str) -> None:
        if text not in TEXT_TABLES:
            raise ValueError(f"no text table for the search text engine {text!r}")
        self.path = path
        self.text = text
        self.lock = threading.RLock()
        self.conn: sqlite3.Connection | None = None
        #: How the open file was verified: "stamp" (its integrity stamp matched), "check"
        #: (``quick_check`` over the whole file) or ``None`` (not opened by
        #: :meth:`open_verified`).
        self.verified: str | None = None
        #: The digest of the stamp the open file matched (``verified == "stamp"``): files
        #: saved beside the index at that close may be trusted (the facet columns).
        self.trusted: str | None = None

    # -- lifecycle --------------------------------------------------------------------
    def open_verified(self) -> bool:
        """Open the file if it exists and passes checks; ``False`` means: rebuild it."""
        with self.lock:
            self.close(seal=False)
            if not self.path.exists():
                return False
            saved = _saved_stamp(self.path)
            conn: sqlite3.Connection | None = None
            try:
                found = file_stamp(self.path, None) if saved is not None else None
                conn = _connect(self.path)
                generation = _meta(conn, "generation")
                stamped = found is not None and saved == {**found, "generation": generation}
                ok = stamped or conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                schema = _meta(conn, "schema")
                complete = _meta(conn, "complete")
                text = text_engine_of(conn)
                if text == "fts5":  # the FTS5 module reads the file's index
                    conn.execute("SELECT count(*) FROM fts WHERE fts MATCH 'x'").fetchone()
                else:
                    conn.execute("SELECT rowid, title, kw, body, stems FROM fts LIMIT 1").fetchall()
            except (sqlite3.DatabaseError, OSError) as exc:
                log.warning("search index %s unreadable (%s); rebuilding", self.path, exc)
                if conn is not None:
                    conn.close()
                return False
            if not ok or schema != SCHEMA_VERSION or complete is None or text is None:
                log.warning("search index %s failed its checks; rebuilding", self.path)
                conn.close()
                return False
            if text != self.text:
                log.warning(
                    "search index %s holds its text for the %s engine, not %s; rebuilding",
                    self.path, text, self.text,
                )  # fmt: skip
                conn.close()
                return False
            stamp_path(self.path).unlink(missing_ok=True)  # open: only a clean close stamps
            conn.executescript(_MOVES)
            self.conn = conn
            self.verified = "stamp" if stamped else "check"
            self.trusted = stamp_digest(saved) if stamped and saved is not None else None
            if saved is not None and not stamped:
                log.warning("search index %s does not match its stamp; checked whole", self.path)
            return True

    def create_empty(self) -> Path:
        """A fresh, empty index file next to the live one (swap it in with :meth:`swap`)."""
        staged = self.path.with_suffix(".building")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)
        staged.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(staged)
        conn.executescript(schema_script(self.text))
        conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        conn.execute("INSERT INTO meta VALUES ('generation', ?)", (uuid.uuid4().hex,))
        conn.close()
        return staged

    def swap(self, staged: Path) -> None:
        with self.lock:
            self.close(seal=False)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            stamp_path(self.path).unlink(missing_ok=True)
            os.replace(staged, self.path)
            self.conn = _connect(self.path)
            self.conn.executescript(_MOVES)
            self.verified = self.trusted = None

    def close(self, seal: bool = True) -> dict[str, Any] | None:
        """Close the file; ``seal``: fold the write-ahead log into it and leave its
        integrity stamp (returned; ``None`` when nothing was open or sealing failed)."""
        with self.lock:
            conn, self.conn = self.conn, None
            self.verified = self.trusted = None
            if conn is None:
                return None
            try:
                if not seal or _meta(conn, "complete") is None:
                    return None
                generation = _meta(conn, "generation")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                log.warning("search index %s not sealed: %s", self.path, exc)
                return None
            finally:
                conn.close()
            try:
                stamp = file_stamp(self.path, generation)
                staged = stamp_path(self.path).with_suffix(".tmp")
                staged.write_text(json.dumps(stamp))
                os.replace(staged, stamp_path(self.path))
            except OSError as exc:
                log.warning("search index %s not sealed: %s", self.path, exc)
                return None
            return stamp

    def db(self) -> sqlite3.Connection:
        if self.conn is None:
            raise SearchIndexError("the search index is not open")
        return self.conn

    @staticmethod
    def take_moves(conn: sqlite3.Connection) -> Moves:
        """The rows added to and removed from ``docs`` through ``conn`` since the last take
        (outside a transaction: what a rollback undid is not there)."""
        rows = conn.execute("SELECT rowid, added FROM temp.doc_moves").fetchall()
        if rows:
            conn.execute("DELETE FROM temp.doc_moves")
        added = np.array(sorted(r for r, a in rows if a), dtype=np.int64)
        removed = np.array(sorted(r for r, a in rows if not a), dtype=np.int64)
        return Moves(added, removed)

    # -- writing ----------------------------------------------------------------------
    @staticmethod
    def write_docs(conn: sqlite3.Connection, docs: Iterable[SearchDoc]) -> int:
        """Insert (or replace) documents; the caller holds a transaction."""
        return IndexFile.write_prepared(conn, (prepare_doc(doc) for doc in docs))

    @staticmethod
    def write_prepared(
        conn: sqlite3.Connection,
        prepared: Iterable[PreparedDoc],
        fresh: bool = False,
        inserted: Callable[[int, tuple[str, str, str, str], list[tuple[str, str]], Any], None]
        | None = None,
        appended: Callable[[range, list[PreparedDoc]], None] | None = None,
    ) -> int:
        """Insert documents made by :func:`prepare_doc`; ``fresh``: the file is being built
        from empty, so there is nothing to replace (and the batch is written table by
        table, :meth:`_append`); ``inserted(rowid, fts_row, facets, keys)`` (keys: id,
        modified, sort title, bounding box) is told of each row (a build's Tantivy
        mirror), ``appended(rowids, prepared)`` of each batch of a ``fresh`` write (a
        build's facet columns). The caller holds a transaction."""
        if fresh:
            return IndexFile._append(conn, list(prepared), inserted, appended)
        n = 0
        for doc_row, fts_row, pairs, label_rows in prepared:
            IndexFile.delete_ids(conn, [doc_row[0]])
            cur = conn.execute(
                "INSERT INTO docs(id, source, access, modified, sort_title, minx, miny, maxx, "
                "maxy, display) VALUES (?,?,?,?,?,?,?,?,?,?)",
                doc_row,
            )
            rowid = cur.lastrowid
            conn.execute("INSERT INTO fts(rowid, title, kw, body, stems) VALUES (?,?,?,?,?)",
                         (rowid, *fts_row))  # fmt: skip
            if rowid is not None:
                facet_rows.write(conn, [(rowid, pairs)])
            if label_rows:
                conn.executemany("INSERT OR REPLACE INTO labels VALUES (?,?,?,?)", label_rows)
            if inserted is not None and rowid is not None:
                inserted(rowid, fts_row, pairs, (doc_row[0], *doc_row[3:9]))
            n += 1
        return n

    @staticmethod
    def _append(
        conn: sqlite3.Connection,
        prepared: list[PreparedDoc],
        inserted: Callable[[int, tuple[str, str, str, str], list[tuple[str, str]], Any], None]
        | None,
        appended: Callable[[range, list[PreparedDoc]], None] | None = None,
    ) -> int:
        """:meth:`write_prepared` into a file built from empty, one ``executemany`` per
        table for the whole batch: each row is given the rowid ``AUTOINCREMENT`` would
        have given it (the next after the highest ever used), so the file holds what
        row-by-row inserts would have written; but for an id two records hold, which keeps
        the first document here and the last row by row (a batch holding one is written
        again without it, its rowids skipped)."""
        if not prepared:
            return 0
        top = conn.execute("SELECT max(rowid) FROM docs").fetchone()[0] or 0
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='docs'").fetchone()
        first = max(top, seq[0] if seq is not None else 0) + 1
        rowids = range(first, first + len(prepared))
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO docs(rowid, id, source, access, modified, sort_title, "
            "minx, miny, maxx, maxy, display) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(rowid, *p[0]) for rowid, p in zip(rowids, prepared, strict=True)],
        )
        if conn.total_changes - before != len(prepared):
            # an id written already, or twice in the batch: two records hold it (only
            # records written before ownership was enforced can); the first keeps it
            conn.execute("DELETE FROM docs WHERE rowid >= ?", (first,))
            kept = IndexFile._first_of_each(conn, prepared)
            if len(kept) == len(prepared):  # ignored for another constraint: never hide it
                raise sqlite3.IntegrityError("a document row was refused by the docs table")
            log.warning(
                "search build: %d documents left out: their id is indexed already (held "
                "by more than one record)", len(prepared) - len(kept),
            )  # fmt: skip
            return IndexFile._append(conn, kept, inserted, appended)
        conn.executemany(
            "INSERT INTO fts(rowid, title, kw, body, stems) VALUES (?,?,?,?,?)",
            [(rowid, *p[1]) for rowid, p in zip(rowids, prepared, strict=True)],
        )
        facet_rows.write(conn, ((rowid, p[2]) for rowid, p in zip(rowids, prepared, strict=True)))
        labels = [row for p in prepared for row in p[3]]
        if labels:
            conn.executemany("INSERT OR REPLACE INTO labels VALUES (?,?,?,?)", labels)
        if inserted is not None:
            for rowid, (doc_row, fts_row, pairs, _) in zip(rowids, prepared, strict=True):
                inserted(rowid, fts_row, pairs, (doc_row[0], *doc_row[3:9]))
        if appended is not None:
            appended(rowids, prepared)
        return len(prepared)

    @staticmethod
    def _first_of_each(conn: sqlite3.Connection, prepared: list[PreparedDoc]) -> list[PreparedDoc]:
        """``prepared`` without the documents whose id the file holds already or an
        earlier one of them has."""
        seen = set(rowids_of(conn, [p[0][0] for p in prepared]))
        kept = []
        for p in prepared:
            if p[0][0] not in seen:
                seen.add(p[0][0])
                kept.append(p)
        return kept

    @staticmethod
    def defer_indexes(conn: sqlite3.Connection) -> None:
        """Drop :data:`LATE_INDEXES` from a file being built from empty (nothing reads
        them before :meth:`create_deferred_indexes`, which the build runs last)."""
        for name in LATE_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")

    @staticmethod
    def create_deferred_indexes(conn: sqlite3.Connection) -> None:
        """Create the :data:`LATE_INDEXES` :meth:`defer_indexes` dropped (the file's
        schema is then exactly :func:`schema_script`'s)."""
        for sql in LATE_INDEXES.values():
            conn.execute(sql)

    @staticmethod
    def delete_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> None:
        for ident in ids:
            row = conn.execute("SELECT rowid FROM docs WHERE id=?", (ident,)).fetchone()
            if row is None:
                continue
            conn.execute("DELETE FROM fts WHERE rowid=?", row)
            facet_rows.delete(conn, row[0])
            conn.execute("DELETE FROM docs WHERE rowid=?", row)

    @staticmethod
    def replace_facets(
        conn: sqlite3.Connection,
        ident: str,
        fields: Collection[str],
        pairs: Iterable[tuple[str, str]],
    ) -> tuple[int, str] | None:
        """Give the indexed document ``ident`` the facet ``pairs`` in place of its values
        of ``fields``, keeping its rowid, text and other facets; its rowid and source, or
        ``None`` when it is not indexed. The caller holds a transaction, counts it with
        :meth:`count_rewrites` and names the rowids to the columns and the mirror."""
        row = conn.execute("SELECT rowid, source FROM docs WHERE id=?", (ident,)).fetchone()
        if row is None:
            return None
        facet_rows.delete(conn, row[0], set(fields))
        facet_rows.write(conn, [(row[0], pairs)])
        return int(row[0]), str(row[1])

    @staticmethod
    def count_rewrites(conn: sqlite3.Connection) -> None:
        """Count one transaction of in-place facet rewrites (``meta.rewrites``): a Tantivy
        mirror stamped with another count missed it and is rebuilt."""
        row = conn.execute("SELECT value FROM meta WHERE key='rewrites'").fetchone()
        count = 1 if row is None else int(row[0]) + 1
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('rewrites', ?)", (str(count),))

    @staticmethod
    def source_ids(conn: sqlite3.Connection, source: str) -> set[str]:
        return {r[0] for r in conn.execute("SELECT id FROM docs WHERE source=?", (source,))}

    @staticmethod
    def set_source(conn: sqlite3.Connection, source: str, graph: str | None) -> None:
        if graph is None:
            conn.execute("DELETE FROM sources WHERE source=?", (source,))
        else:
            conn.execute("INSERT OR REPLACE INTO sources VALUES (?,?)", (source, graph))

    @staticmethod
    def feed_position(conn: sqlite3.Connection) -> int | None:
        """The change-feed position the file has applied (``None``: it follows no feed)."""
        row = conn.execute("SELECT value FROM meta WHERE key='feed'").fetchone()
        return None if row is None else int(row[0])

    def read_feed_position(self) -> int | None:
        """The position recorded in the file on disk, read without opening the index (no
        checks, no rebuild); ``None`` when there is no readable file or no position."""
        if not self.path.exists():
            return None
        try:
            conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            return None
        try:
            return self.feed_position(conn)
        except sqlite3.Error:
            return None
        finally:
            conn.close()

    @staticmethod
    def set_feed_position(conn: sqlite3.Connection, position: int | None) -> None:
        """Record the applied feed position; the caller holds the transaction of the index
        changes it covers, so the two commit together."""
        conn.execute("DELETE FROM meta WHERE key='feed'")
        if position is not None:
            conn.execute("INSERT INTO meta VALUES ('feed', ?)", (str(position),))

    @staticmethod
    def of_source(conn: sqlite3.Connection, source: str, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that are indexed under ``source``."""
        found = set()
        for ident in ids:
            row = conn.execute(
                "SELECT 1 FROM docs WHERE id=? AND source=?", (ident, source)
            ).fetchone()
            if row is not None:
                found.add(ident)
        return found

    def indexed_sources(self) -> dict[str, str]:
        with self.lock:
            return dict(self.db().execute("SELECT source, graph FROM sources").fetchall())

    def facet_values(
        self, ids: list[str], fields: Iterable[str]
    ) -> dict[str, dict[str, list[str]]]:
        """``{id: {field: [values, sorted]}}`` of the facet ``fields`` of the datasets ``ids``
        as indexed (their rowids, then their pairs by rowid); a dataset without such values
        maps to ``{}``."""
        out: dict[str, dict[str, list[str]]] = {i: {} for i in ids}
        names = set(fields)
        if not ids or not names:
            return out
        # from the documents to their pairs (by doc), never a scan of every row of
        # ``fields`` (SQLite's choice for a long list of ids)
        with self.lock:
            conn = self.db()
            rowids = rowids_of(conn, ids)
            pairs = facet_rows.pairs_of(conn, rowids.values(), names)
        for ident, rowid in rowids.items():
            for field_name, value in pairs.get(rowid, ()):
                out[ident].setdefault(field_name, []).append(value)
        for values in out.values():
            for listed in values.values():
                listed.sort()
        return out

    def stats(self) -> dict[str, Any]:
        with self.lock:
            conn = self.db()
            return {
                "datasets": conn.execute("SELECT count(*) FROM docs").fetchone()[0],
                "sources": dict(conn.execute("SELECT source, graph FROM sources").fetchall()),
                "feed_position": self.feed_position(conn),
                "bytes": self.path.stat().st_size if self.path.exists() else 0,
            }


#: One document ready for the index: its ``docs`` row (without rowid), its ``fts`` row
#: (without rowid), its ``(field, value)`` facet pairs and its ``labels`` rows.
PreparedDoc = tuple[
    tuple[Any, ...],
    tuple[str, str, str, str],
    list[tuple[str, str]],
    list[tuple[str, str, str, str]],
]


def prepare_doc(doc: SearchDoc) -> PreparedDoc:
    """Everything the index stores for ``doc``: folding, stemming, compounds, the display
    JSON. A pure function of the document, so a rebuild runs it in worker processes."""
    title, title_stems = _texts_tokens(doc.titles, "en", starts=True)
    kw, kw_stems = _texts_tokens(doc.keywords, "en", starts=True)
    voc, voc_stems = _vocab_texts(
        tuple(
            (name, value)
            for name in ("theme", "data_space")
            for value in sorted(doc.facets.get(name, ()))
        )
    )
    body, body_stems = _texts_tokens(doc.descriptions if doc.public else [], "en")
    display = {
        "iri": doc.iri,
        "titles": doc.titles,
        "keywords": doc.keywords,
        "descriptions": doc.descriptions if doc.public else [],
    }
    box = doc.bbox or (None, None, None, None)
    doc_row = (doc.id, doc.source, doc.access, doc.modified, fold(_first(doc.titles)), *box,
               json.dumps(display, ensure_ascii=False))  # fmt: skip
    fts_row = (title, kw + " \n " + voc, body,
               " ".join([*title_stems, *kw_stems, *voc_stems, *body_stems]))  # fmt: skip
    facet_rows = [(f, v) for f, values in doc.facets.items() for v in values]
    label_rows = [
        (f, v, lang, label)
        for f, by_value in doc.labels.items()
        for v, by_lang in by_value.items()
        for lang, label in by_lang.items()
    ]
    return doc_row, fts_row, facet_rows, label_rows


@lru_cache(maxsize=4096)
def _vocab_texts(values: tuple[tuple[str, str], ...]) -> tuple[str, tuple[str, ...]]:
    """The folded labels, in every language, of a document's themes and data spaces
    (``(field, value)`` pairs, in order) and their stem tokens: a third of preparing a
    document, and the same for every document of the same few themes and spaces."""
    vocab = [
        (lang, label) for name, value in values for lang, label in labels_for(name, value).items()
    ]
    voc, stems = _texts_tokens(vocab, "en")
    return voc, tuple(stems)


def prepare_docs(docs: list[SearchDoc]) -> list[PreparedDoc]:
    return [prepare_doc(d) for d in docs]


def _first(texts: list[tuple[str, str]]) -> str:
    for lang, text in texts:
        if base_lang(lang) == "en":
            return text
    return texts[0][1] if texts else ""
