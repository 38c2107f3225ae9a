"""Stored facts: each dataset's facts as one bulk read derived them from one source version.

A full offers build needs every dataset's facts. Reading them back from the RDF store costs
more than the rest of the build (at 2,000,000 datasets the store's decoding alone is over a
minute and a half), while the search projection derives the very same facts from the same
read anyway. So a bulk read stores what it derived (:meth:`FactsTable.writer`), and the build
copies the rows (:meth:`FactsTable.usable` says whether they may be).

Rows count only when all of these hold, so a stored fact is never older than the record:

- the source's marker (``facts_sources``) names the source's current graph version;
- it was derived by this code from these data spaces (``stamp``: :func:`derivation_stamp`);
- the store still holds the token the read began under: every change in place removes it
  (:meth:`catalog.graphs.SourceGraphs.update_in_place`), in the same update as the change,
  so a steward's edit, an upsert or a delete made during or after the read voids the rows
  whether or not the change feed recorded it;
- as many rows carry the token as the marker counts (a read cut short, or two reads of one
  source at once, leave too few).

Otherwise the reader derives the facts from the store, as before. Rows are the
``offer_terms`` columns (:class:`~catalog.offers.codec.FactsEncoder`), so a build copies them
as they are.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import logging
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from catalog.dataspaces import DataSpaces, data_spaces
from catalog.db import Database
from catalog.db.schema import dataset_facts, facts_sources
from catalog.errors import DatalabError, StoreError
from catalog.facts.model import DatasetFacts
from catalog.offers.codec import CodecError, FactsEncoder, FactsReader
from catalog.service import Catalogue

log = logging.getLogger(__name__)
#: Raise when the derivation changes in a way the modules below do not show.
DERIVATION = 1
#: The modules whose code decides the stored facts (their text is part of the stamp).
_DERIVING = (
    "catalog.facts.derive",
    "catalog.facts.model",
    "catalog.facts.read",
    "catalog.parsed_graph",
    "catalog.offers.odrl",
    "catalog.offers.codec",
    "catalog.offers.geography",
    "catalog.namespaces",
)
#: Rows written per transaction: each opens a connection, commits and closes it (SQLite
#: writes the WAL back into the file when its last connection closes), some 7-10 ms in
#: all, 1,000 times in a build of two million datasets at 2,000 rows; 20,000 rows hold
#: the write lock for about a quarter of a second.
BATCH = 20_000
#: Ids per ``IN (...)`` list.
_IN_LIST = 500
_code: list[str] = []


def derivation_stamp(spaces: DataSpaces) -> str:
    """What the stored facts were derived with: this code and these data spaces."""
    if not _code:
        digest = hashlib.sha256(str(DERIVATION).encode())
        try:
            for name in _DERIVING:
                digest.update(inspect.getsource(importlib.import_module(name)).encode())
        except (OSError, TypeError):  # installed without its sources: this process only
            digest.update(uuid.uuid4().bytes)
        _code.append(digest.hexdigest())
    described = sorted((s.id, s.iri, s.themes) for s in spaces)
    return hashlib.sha256(f"{_code[0]} {described!r}".encode()).hexdigest()


@dataclass(frozen=True)
class Usable:
    """A source whose stored facts may be copied: its rows are those of ``token``."""

    source: str
    token: str
    datasets: int


class FactsTable:
    """The stored facts of one catalogue (``dataset_facts`` and ``facts_sources``)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.database = catalogue.database

    def stamp(self) -> str:
        return derivation_stamp(data_spaces(self.catalogue.documents))

    def writer(self, source: str, graph: str) -> FactsWriter:
        """Begin storing the facts of ``source`` as read from ``graph``: call before the
        read (a change in place made after this voids what is stored)."""
        stamp = self.stamp()
        token = self.catalogue.graphs.begin_facts_read(source)
        with self.database.transaction() as conn:
            conn.execute(facts_sources.delete().where(facts_sources.c.source == source))
            conn.execute(dataset_facts.delete().where(dataset_facts.c.source == source))
        return FactsWriter(self, source, graph, token, stamp)

    def usable(self, source: str, graph: str | None, stamp: str | None = None) -> Usable | None:
        """Whether the stored facts of ``source`` are those of its version ``graph`` as the
        record stands now (see the module's text); ``None``: read the store. ``stamp``:
        :meth:`stamp`, when the caller asks for several sources."""
        if graph is None:
            return None
        with self.database.read() as conn:
            marker = conn.execute(
                sa.select(facts_sources).where(facts_sources.c.source == source)
            ).first()
        if marker is None or marker.graph != graph or marker.stamp != (stamp or self.stamp()):
            return None
        if self.catalogue.graphs.facts_read(source) != marker.token:
            return None
        query = sa.select(sa.func.count()).where(
            dataset_facts.c.source == source, dataset_facts.c.token == marker.token
        )
        with self.database.read() as conn:
            if int(conn.execute(query).scalar() or 0) != marker.datasets:
                return None
        return Usable(source, marker.token, int(marker.datasets))

    def stored_of(self, usable: Usable) -> dict[str, DatasetFacts]:
        """Every stored dataset's facts of one usable source, decoded, by id."""
        reader = StoredFacts(self, [usable])
        cols = (dataset_facts.c.dataset_id, dataset_facts.c.signature, dataset_facts.c.facts)
        with self.database.read() as conn:
            found = conn.execute(sa.select(*cols).where(_rows_of(usable)))
            return {row.dataset_id: reader.decode(row) for row in found}

    def stored(self, sources: dict[str, str | None]) -> StoredFacts:
        """The usable stored facts among ``sources`` (name: current graph)."""
        stamp = self.stamp()
        found = (self.usable(name, graph, stamp) for name, graph in sorted(sources.items()))
        return StoredFacts(self, [u for u in found if u is not None])


def forget_facts(database: Database, source: str) -> None:
    """Drop the stored facts of a removed source (never used again: its marker names a
    graph that is gone; they only took disk). A failure is logged: it loses nothing."""
    try:
        with database.transaction() as conn:
            conn.execute(facts_sources.delete().where(facts_sources.c.source == source))
            conn.execute(dataset_facts.delete().where(dataset_facts.c.source == source))
    except (DatalabError, SQLAlchemyError):
        log.exception("the stored facts of removed source %s stay (unused)", source)


def storing_facts(catalogue: Catalogue, source: str, graph: str) -> FactsWriter | None:
    """A :class:`FactsWriter` for a bulk read about to begin, or ``None`` when the facts
    cannot be stored (logged: the read goes on; builds then read the store)."""
    try:
        return FactsTable(catalogue).writer(source, graph)
    except (DatalabError, SQLAlchemyError):
        log.exception("the facts of source %s will not be stored", source)
        return None


def _rows_of(usable: Usable) -> sa.ColumnElement[bool]:
    return sa.and_(dataset_facts.c.source == usable.source, dataset_facts.c.token == usable.token)


class StoredFacts:
    """The rows of the usable sources, as a full build reads them: only what is decoded
    (colliding ids, one dataset of each distinct signature); the rest is copied in SQL."""

    def __init__(self, table: FactsTable, usable: list[Usable]) -> None:
        self.table, self.usable = table, usable
        self._read = FactsReader()

    @property
    def datasets(self) -> int:
        return sum(u.datasets for u in self.usable)

    def decode(self, row: Any) -> DatasetFacts:
        try:
            return self._read(row.facts, row.signature)
        except CodecError as exc:  # written by this code (the stamp): a damaged row
            raise StoreError(
                f"stored facts of dataset {row.dataset_id!r} do not decode: {exc}",
                where="dataset_facts",
            ) from exc

    def colliding(self, ids: Collection[str]) -> dict[str, list[DatasetFacts]]:
        """The stored facts of every id held by two usable sources, or by a usable source
        and ``ids`` (read elsewhere): ``{id: [facts of each source's record]}``."""
        if not self.usable:
            return {}
        wanted = sa.or_(*(_rows_of(u) for u in self.usable))
        twice = (
            sa.select(dataset_facts.c.dataset_id)
            .where(wanted)
            .group_by(dataset_facts.c.dataset_id)
            .having(sa.func.count() > 1)
        )
        out: dict[str, list[DatasetFacts]] = {}
        cols = (
            dataset_facts.c.dataset_id,
            dataset_facts.c.signature,
            dataset_facts.c.facts,
        )
        with self.table.database.read() as conn:
            found = set(conn.execute(twice).scalars())
            ordered = sorted(set(ids))
            for i in range(0, len(ordered), _IN_LIST):
                batch = ordered[i : i + _IN_LIST]
                query = sa.select(dataset_facts.c.dataset_id).where(
                    wanted, dataset_facts.c.dataset_id.in_(batch)
                )
                found.update(conn.execute(query).scalars())
            ordered = sorted(found)
            for i in range(0, len(ordered), _IN_LIST):
                query = sa.select(*cols).where(
                    wanted, dataset_facts.c.dataset_id.in_(ordered[i : i + _IN_LIST])
                )
                for row in conn.execute(query):
                    out.setdefault(row.dataset_id, []).append(self.decode(row))
        return out

    def signatures(self, skip: Collection[str] = ()) -> dict[str, tuple[str, int]]:
        """Each distinct signature of the usable rows but those of ``skip`` (ids): the
        stored facts (JSON text) of one of its datasets, and how many datasets have it."""
        counts: dict[str, int] = {}
        first: dict[str, tuple[Usable, str]] = {}
        out: dict[str, tuple[str, int]] = {}
        with self.table.database.read() as conn:
            for u in self.usable:
                query = (
                    sa.select(
                        dataset_facts.c.signature,
                        sa.func.min(dataset_facts.c.dataset_id),
                        sa.func.count(),
                    )
                    .where(_rows_of(u))
                    .group_by(dataset_facts.c.signature)
                )
                if skip:
                    query = query.where(dataset_facts.c.dataset_id.not_in(sorted(skip)))
                for sig, ident, n in conn.execute(query):
                    counts[sig] = counts.get(sig, 0) + int(n)
                    first.setdefault(sig, (u, ident))
            for u in self.usable:
                ids = sorted(ident for v, ident in first.values() if v is u)
                for i in range(0, len(ids), _IN_LIST):
                    query = sa.select(dataset_facts.c.signature, dataset_facts.c.facts).where(
                        _rows_of(u), dataset_facts.c.dataset_id.in_(ids[i : i + _IN_LIST])
                    )
                    for sig, text in conn.execute(query):
                        if first[sig][0] is u:
                            out[sig] = (text, counts[sig])
        return out


class FactsWriter:
    """Stores the facts of one read of one source, :data:`BATCH` rows per transaction; the
    marker is written last (:meth:`finish`), so a read cut short stores nothing usable. A
    database error is logged and stops the storing, never the read."""

    def __init__(self, table: FactsTable, source: str, graph: str, token: str, stamp: str):
        self.table, self.source, self.graph = table, source, graph
        self.token, self.stamp = token, stamp
        self.written = 0
        self._encode = FactsEncoder()
        self._rows: list[dict[str, str]] = []
        self.failed = False

    def add(self, facts: Iterable[DatasetFacts]) -> None:
        if self.failed:
            return
        for f in facts:
            key, text = self._encode(f)
            self._rows.append(
                {
                    "source": self.source,
                    "dataset_id": f.dataset_id,
                    "token": self.token,
                    "iri": f.iri,
                    "signature": key,
                    "facts": text,
                }
            )
            if len(self._rows) >= BATCH:
                self._flush()

    def _flush(self) -> None:
        if self._rows and not self.failed:
            try:
                with self.table.database.transaction() as conn:
                    conn.execute(dataset_facts.insert(), self._rows)
            except (DatalabError, SQLAlchemyError):
                log.exception("storing the facts of source %s failed", self.source)
                self.failed = True
            self.written += len(self._rows)
        self._rows = []

    def finish(self) -> None:
        """Write the last rows and the marker (rows of any other read of the source go)."""
        self._flush()
        if self.failed:
            return
        try:
            self._mark()
        except (DatalabError, SQLAlchemyError):
            log.exception("storing the facts of source %s failed", self.source)
            self.failed = True

    def _mark(self) -> None:
        with self.table.database.transaction() as conn:
            conn.execute(facts_sources.delete().where(facts_sources.c.source == self.source))
            conn.execute(
                facts_sources.insert().values(
                    source=self.source,
                    graph=self.graph,
                    token=self.token,
                    stamp=self.stamp,
                    datasets=self.written,
                    written=datetime.now(UTC),
                )
            )
            conn.execute(
                dataset_facts.delete().where(
                    dataset_facts.c.source == self.source, dataset_facts.c.token != self.token
                )
            )


__all__ = [
    "BATCH",
    "DERIVATION",
    "FactsTable",
    "FactsWriter",
    "StoredFacts",
    "Usable",
    "derivation_stamp",
    "storing_facts",
]
