"""Lab edits in the search index: rewrite the offer facets of the datasets a lab's edit moved.

A row of the source ``labs`` in the change feed names a data lab whose entry changed: which
datasets it may offer, and on what terms, may have moved, so the facets of lab-dependent
providers (:class:`~catalog.search.providers.LabFacetProvider`: ``lab`` and
``ai_training``) of *those* datasets may have too. Nothing is re-projected:

1. while following the feed, each lab named is recorded as *pending* in the index file
   (``meta.labs_pending``: lab id -> the ``seq`` of its last row), in the transaction of the
   position that covers its row, so a stopped replica still owes it after a restart;
2. the pending labs are applied together once the providers answer for the feed up to
   the highest of their ``seq`` (the stored offers may be followed by workers, later): the
   datasets those labs may offer now, plus those the index has them offering (``facets``
   rows ``lab = <id>``), get their providers' current values; the facet rows of each whose
   values differ from the indexed ones are rewritten in place
   (:meth:`IndexFile.replace_facets`: same rowid, text and display), and the in-memory
   columns and the Tantivy mirror are told those rowids. Together, so the twenty labs of a
   registry load cost one comparison, not twenty.

A pending lab does not hold the position back: dataset rows after it are applied at once
(their projection reads the providers as they are then), and the lab's update later sets
every dataset it touches to the providers' answer, whatever came in between.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalog.search import facet_rows
from catalog.search.index import IndexFile
from catalog.search.project import provider_pairs
from catalog.search.providers import LabFacetProvider

if TYPE_CHECKING:
    from catalog.service import Catalogue

#: The ``meta`` key of the pending labs (a JSON object: lab id -> feed ``seq``).
PENDING = "labs_pending"
#: The facet whose values are lab ids (what the index says a lab offered before).
LAB_FACET = "lab"
#: Datasets per facet query.
_CHUNK = 500

Pairs = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class LabUpdate:
    """What the pending labs change in the index."""

    #: lab id -> the feed row covered (the lab's last row when it was planned).
    labs: dict[str, int]
    #: The facets the providers answer (those values are replaced).
    fields: frozenset[str]
    #: dataset id -> its new ``(field, value)`` pairs of :attr:`fields`, for the datasets
    #: whose indexed values differ.
    docs: dict[str, Pairs]


def pending(db: sqlite3.Connection) -> dict[str, int]:
    """The labs the index still owes an update (lab id -> the ``seq`` of its last row)."""
    row = db.execute("SELECT value FROM meta WHERE key=?", (PENDING,)).fetchone()
    return {} if row is None else {str(k): int(v) for k, v in json.loads(row[0]).items()}


def add_pending(db: sqlite3.Connection, labs: dict[str, int]) -> None:
    """Record ``labs`` as pending (the caller holds the transaction of the position that
    covers their rows)."""
    if labs:
        merged = pending(db)
        for lab, seq in labs.items():
            merged[lab] = max(seq, merged.get(lab, seq))
        _write(db, merged)


def settle(db: sqlite3.Connection, labs: dict[str, int]) -> None:
    """Drop ``labs`` from the pending ones, except those with a later row recorded since."""
    left = pending(db)
    for lab, seq in labs.items():
        if left.get(lab, seq) <= seq:
            left.pop(lab, None)
    _write(db, left)


def _write(db: sqlite3.Connection, labs: dict[str, int]) -> None:
    db.execute("DELETE FROM meta WHERE key=?", (PENDING,))
    if labs:
        db.execute("INSERT INTO meta VALUES (?, ?)", (PENDING, json.dumps(labs, sort_keys=True)))


def plan(
    catalogue: Catalogue,
    index: IndexFile,
    providers: Sequence[LabFacetProvider],
    labs: dict[str, int],
) -> LabUpdate | None:
    """The update of the pending ``labs`` (lab id -> seq), or ``None`` while a provider
    cannot answer for the feed up to their highest ``seq`` yet (the caller holds the index
    lock)."""
    before = members(index.db(), labs)
    fields: set[str] = set()
    answers: dict[str, set[tuple[str, str]]] = {}
    for provider in providers:
        answer = provider.lab_facets(catalogue, sorted(labs), max(labs.values()), before)
        if answer is None:
            return None
        fields.update(provider.fields)
        for ident, extra in answer.items():
            answers.setdefault(ident, set()).update(provider_pairs(extra))
    ids = sorted(before | set(answers))
    return LabUpdate(dict(labs), frozenset(fields), differing(index, ids, fields, answers))


def differing(
    index: IndexFile,
    ids: list[str],
    fields: Iterable[str],
    answers: dict[str, set[tuple[str, str]]],
) -> dict[str, Pairs]:
    """Of ``ids``, those whose indexed values of ``fields`` differ from the providers'
    ``answers`` (no answer: no values), with the values they should have."""
    indexed = _indexed(index, ids, fields)
    docs: dict[str, Pairs] = {}
    for ident in ids:
        now = frozenset(answers.get(ident, ()))
        was = {(name, v) for name, values in indexed[ident].items() for v in values}
        if now != was:
            docs[ident] = now
    return docs


def members(db: sqlite3.Connection, labs: Iterable[str]) -> set[str]:
    """The ids of the indexed datasets whose ``lab`` facet holds one of ``labs``."""
    wanted = sorted(set(labs))
    if not wanted:
        return set()
    holding, params = facet_rows.docs_with(LAB_FACET, wanted)
    rows = db.execute(f"SELECT id FROM docs WHERE rowid IN ({holding})", params)  # noqa: S608
    return {r[0] for r in rows}


def write(db: sqlite3.Connection, update: LabUpdate) -> dict[int, str]:
    """Apply ``update`` and settle its lab (the caller holds a transaction); the rowids of
    the documents rewritten in place, with their sources."""
    rewritten = {}
    for ident, pairs in sorted(update.docs.items()):
        found = IndexFile.replace_facets(db, ident, update.fields, sorted(pairs))
        if found is not None:
            rewritten[found[0]] = found[1]
    if rewritten:
        IndexFile.count_rewrites(db)
    settle(db, update.labs)
    return rewritten


def _indexed(
    index: IndexFile, ids: list[str], fields: Iterable[str]
) -> dict[str, dict[str, list[str]]]:
    """:meth:`IndexFile.facet_values` in chunks (SQLite bounds the parameters of a query)."""
    out: dict[str, dict[str, list[str]]] = {}
    for i in range(0, len(ids), _CHUNK):
        out.update(index.facet_values(ids[i : i + _CHUNK], fields))
    return out
