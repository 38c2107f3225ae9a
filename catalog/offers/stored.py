"""Stored offers: the tables every replica answers offers from (revision 0003_offers).

A dataset's profile-free offers are its row of ``offer_terms`` (its facts and their terms
signature) joined with ``offer_resolutions`` (that signature's resolution for each lab of
``offer_labs``): datasets of equal terms share one resolution per lab, so a lab edit
rewrites one row per distinct signature. A resolution's text leaves its lab to the lab's
row (:func:`~catalog.offers.codec.offer_json`), which gives it back when read.
``offer_state`` holds the change-feed position the rows reflect. :class:`OfferStore` reads
them (:meth:`~OfferStore.dataset`, :meth:`~OfferStore.lab_offers`,
:meth:`~OfferStore.offerable`) and writes a :class:`Plan` in one transaction, only if the
position is still the one the plan was made from (so two followers never both apply a page).

Only the follower (:mod:`catalog.offers.follower`) writes; a requester's profile is
evaluated at request time from the stored facts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from catalog.db.database import Database
from catalog.db.schema import (
    Seq,
    change_feed,
    dataset_facts,
    offer_labs,
    offer_resolutions,
    offer_state,
    offer_terms,
    operator_documents,
)
from catalog.errors import StoreError
from catalog.facts import DatasetFacts
from catalog.labs import DataLab
from catalog.offers.codec import (
    CodecError,
    FactsEncoder,
    FactsReader,
    dumps,
    loads,
    loads_offer,
    offer_json,
)
from catalog.offers.resolution import CONDITIONS, MAY_OFFER, Offer

T = TypeVar("T")
STATE = "offers"
#: The operator document of the licence mappings (catalog.offers.licence_store.LICENCES).
LICENCES_DOCUMENT = "licences"
#: Keys per ``IN (...)`` list.
_CHUNK = 500


@dataclass(frozen=True)
class OfferState:
    """Where the stored offers are: feed position, licence mappings, source graphs."""

    position: int
    licences: list[Any]
    sources: dict[str, str | None]
    #: How many writes made the stored offers (every write adds one, even one that leaves
    #: the position where it was): what a replica's mirror compares.
    generation: int = 0


@dataclass(frozen=True)
class StoredTerms:
    dataset_id: str
    signature: str
    facts: DatasetFacts


@dataclass(frozen=True)
class Snapshot:
    """Every stored row (see :meth:`OfferStore.snapshot`)."""

    state: OfferState
    #: dataset id -> (signature key, facts as stored JSON text)
    terms: dict[str, tuple[str, str]]
    labs: dict[str, DataLab]
    #: signature key -> lab id -> offer
    resolutions: dict[str, dict[str, Offer]]


@dataclass
class Plan:
    """What one follower step writes, in one transaction (see :meth:`OfferStore.write`)."""

    #: The position the plan was made from (``None``: a first build, replacing everything).
    since: int | None
    position: int
    licences: list[Any]
    sources: dict[str, str | None]
    terms: dict[str, tuple[str, DatasetFacts]] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    resolutions: dict[tuple[str, str], Offer] = field(default_factory=dict)
    labs: list[DataLab] = field(default_factory=list)
    labs_removed: set[str] = field(default_factory=set)
    #: Signatures the plan's datasets left: their resolutions go when no dataset has them.
    orphans: set[str] = field(default_factory=set)
    #: Stored facts a first build copies as they are (catalog/facts/table.py): the
    #: ``(source, token)`` of each source's rows.
    copied: list[tuple[str, str]] = field(default_factory=list)
    #: Ids of those rows not copied: held by several records, :attr:`terms` holds them merged.
    not_copied: set[str] = field(default_factory=set)
    #: Resolutions already made into rows (:func:`resolution_row`), in batches: those of
    #: the copied rows' signatures, resolved by worker processes too.
    resolved: list[list[dict[str, Any]]] = field(default_factory=list)
    #: Set by :meth:`OfferStore.write`: the stored generation it found and the one it wrote.
    generations: tuple[int | None, int] | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.terms
            or self.dropped
            or self.resolutions
            or self.labs
            or self.copied
            or self.resolved
        )


def decode(table: str, key: object, read: Callable[[str], T], text: str) -> T:
    """``read(text)``: one stored value decoded; a value that does not decode is a
    :class:`StoreError` naming its table and key."""
    try:
        return read(text)
    except CodecError as exc:
        raise StoreError(
            f"stored offers: the row {key!r} of {table} does not decode: {exc}"
        ) from exc


def _read_lab(text: str) -> DataLab:
    return loads(text, DataLab)


def _chunks(items: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


class OfferStore:
    """The stored offers in one :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        #: Called with each plan written (after its transaction committed).
        self.on_write: list[Callable[[Plan], None]] = []
        self._facts = FactsReader()
        self._lab_texts: dict[str, DataLab] = {}

    # -- reading -----------------------------------------------------------------------------
    def state(self) -> OfferState | None:
        """The stored state; ``None`` before the first build."""
        with self.database.read() as conn:
            return _read_state(conn)

    def generation(self) -> int | None:
        """The stored generation (``None`` before the first build): one small query."""
        with self.database.read() as conn:
            value = conn.execute(
                sa.select(offer_state.c.generation).where(offer_state.c.name == STATE)
            ).scalar()
        return None if value is None else int(value)

    def pulse(self) -> tuple[int | None, int, int]:
        """The stored position (``None`` before the first build), the feed's head and the
        licence mappings' version, in one connection: whether anything moved."""
        with self.database.read() as conn:
            position = conn.execute(
                sa.select(offer_state.c.position).where(offer_state.c.name == STATE)
            ).scalar()
            head = conn.execute(sa.select(sa.func.max(change_feed.c.seq))).scalar()
            version = conn.execute(
                sa.select(operator_documents.c.version).where(
                    operator_documents.c.name == LICENCES_DOCUMENT
                )
            ).scalar()
        return (None if position is None else int(position)), int(head or 0), int(version or 0)

    def snapshot(self) -> Snapshot | None:
        """Every stored row, in one read (``None`` before the first build): what a replica's
        mirror loads. Offers are decoded (one per signature and lab); facts are left as
        text, decoded when first asked for (:meth:`read_facts`)."""
        with self.database.read() as conn:
            state = _read_state(conn)
            if state is None:
                return None
            cols = (offer_terms.c.dataset_id, offer_terms.c.signature, offer_terms.c.facts)
            terms = {r.dataset_id: (r.signature, r.facts) for r in conn.execute(sa.select(*cols))}
            labs = self._labs(conn)
            query = sa.select(
                offer_resolutions.c.signature, offer_resolutions.c.lab_id, offer_resolutions.c.offer
            )
            offers = [(r.signature, r.lab_id, r.offer) for r in conn.execute(query)]
        resolutions: dict[str, dict[str, Offer]] = {}
        for sig, lab_id, text in offers:
            resolutions.setdefault(sig, {})[lab_id] = self.read_offer(
                sig, lab_id, text, labs.get(lab_id)
            )
        return Snapshot(state, terms, labs, resolutions)

    def peek(self) -> tuple[OfferState, dict[str, DataLab]] | None:
        """The stored state and labs, without the rows (``None`` before the first build):
        what a mirror holds while its rows load (two small reads, whatever the size)."""
        with self.database.read() as conn:
            state = _read_state(conn)
            if state is None:
                return None
            return state, self._labs(conn)

    def facts(self, dataset_id: str) -> DatasetFacts | None:
        """One dataset's stored facts (``None``: not stored), through the primary key."""
        with self.database.read() as conn:
            row = conn.execute(
                sa.select(offer_terms.c.signature, offer_terms.c.facts).where(
                    offer_terms.c.dataset_id == dataset_id
                )
            ).first()
        return None if row is None else self.read_facts(dataset_id, row.signature, row.facts)

    def lab_members(self, lab_id: str) -> set[str]:
        """The ids of the datasets ``lab_id`` may offer (under conditions or not): the
        lab's offerable signatures (index on lab id), then their datasets (index on
        signature)."""
        offerable = (
            sa.select(offer_resolutions.c.signature)
            .where(offer_resolutions.c.lab_id == lab_id, offer_resolutions.c.offerable.is_(True))
            .scalar_subquery()
        )
        query = sa.select(offer_terms.c.dataset_id).where(offer_terms.c.signature.in_(offerable))
        with self.database.read() as conn:
            return set(conn.execute(query).scalars())

    def labs(self) -> dict[str, DataLab]:
        """The labs the stored resolutions saw, by id."""
        with self.database.read() as conn:
            return self._labs(conn)

    def _labs(self, conn: Connection) -> dict[str, DataLab]:
        rows = conn.execute(
            sa.select(offer_labs.c.lab_id, offer_labs.c.lab).order_by(offer_labs.c.lab_id)
        )
        labs: dict[str, DataLab] = {}
        for r in rows:
            lab = self._lab_texts.get(r.lab)  # each stored text decoded once
            if lab is None:
                lab = decode("offer_labs", r.lab_id, _read_lab, r.lab)
                if len(self._lab_texts) >= 1024:
                    self._lab_texts.clear()
                self._lab_texts[r.lab] = lab
            labs[r.lab_id] = lab
        return labs

    def read_facts(self, dataset_id: str, signature: str, text: str) -> DatasetFacts:
        """Stored facts decoded (each distinct terms once per store)."""
        return decode("offer_terms", dataset_id, lambda t: self._facts(t, signature), text)

    @staticmethod
    def read_offer(signature: str, lab_id: str, text: str, lab: DataLab | None) -> Offer:
        """A stored offer, with ``lab`` (its lab as stored in ``offer_labs``)."""
        return decode("offer_resolutions", (signature, lab_id), lambda t: loads_offer(t, lab), text)

    def facts_and_labs(self, dataset_id: str) -> tuple[DatasetFacts | None, dict[str, DataLab]]:
        """One dataset's stored facts (``None``: not stored) and the stored labs, in one
        connection (a requester's answer is resolved from them)."""
        with self.database.read() as conn:
            row = conn.execute(
                sa.select(offer_terms.c.signature, offer_terms.c.facts).where(
                    offer_terms.c.dataset_id == dataset_id
                )
            ).first()
            labs = self._labs(conn)
        facts = None if row is None else self.read_facts(dataset_id, row.signature, row.facts)
        return facts, labs

    def terms(self, dataset_ids: Iterable[str]) -> dict[str, StoredTerms]:
        """The stored terms of those of ``dataset_ids`` that have them."""
        out: dict[str, StoredTerms] = {}
        cols = (offer_terms.c.dataset_id, offer_terms.c.signature, offer_terms.c.facts)
        with self.database.read() as conn:
            for batch in _chunks(sorted(set(dataset_ids))):
                query = sa.select(*cols).where(offer_terms.c.dataset_id.in_(batch))
                for r in conn.execute(query):
                    facts = self.read_facts(r.dataset_id, r.signature, r.facts)
                    out[r.dataset_id] = StoredTerms(r.dataset_id, r.signature, facts)
        return out

    def all_terms(self) -> dict[str, DatasetFacts]:
        """Every stored dataset's facts, by id (reads the whole table)."""
        with self.database.read() as conn:
            cols = (offer_terms.c.dataset_id, offer_terms.c.signature, offer_terms.c.facts)
            rows = list(conn.execute(sa.select(*cols)))
        return {r.dataset_id: self.read_facts(r.dataset_id, r.signature, r.facts) for r in rows}

    def source_members(self, source: str) -> set[str]:
        with self.database.read() as conn:
            query = sa.select(offer_terms.c.dataset_id).where(offer_terms.c.source == source)
            return set(conn.execute(query).scalars())

    def signatures(self) -> dict[str, tuple[DatasetFacts, int]]:
        """Each stored signature: the facts of one of its datasets, and how many have it."""
        counted = (
            sa.select(
                offer_terms.c.signature,
                sa.func.min(offer_terms.c.dataset_id).label("first"),
                sa.func.count().label("n"),
            )
            .group_by(offer_terms.c.signature)
            .subquery()
        )
        query = sa.select(
            counted.c.signature, counted.c.n, offer_terms.c.dataset_id, offer_terms.c.facts
        ).join(offer_terms, offer_terms.c.dataset_id == counted.c.first)
        with self.database.read() as conn:
            rows = list(conn.execute(query))
        return {
            r.signature: (self.read_facts(r.dataset_id, r.signature, r.facts), int(r.n))
            for r in rows
        }

    def resolved(self, signatures: Iterable[str]) -> set[str]:
        """Those of ``signatures`` that have stored resolutions."""
        out: set[str] = set()
        col = offer_resolutions.c.signature
        with self.database.read() as conn:
            for batch in _chunks(sorted(set(signatures))):
                out.update(conn.execute(sa.select(col).where(col.in_(batch)).distinct()).scalars())
        return out

    def dataset(self, dataset_id: str) -> tuple[DatasetFacts, list[Offer]] | None:
        """One dataset's facts and its profile-free offers, one per stored lab (``None``
        when the dataset has no stored terms)."""
        with self.database.read() as conn:
            row = conn.execute(
                sa.select(offer_terms.c.signature, offer_terms.c.facts).where(
                    offer_terms.c.dataset_id == dataset_id
                )
            ).first()
            if row is None:
                return None
            query = sa.select(offer_resolutions.c.lab_id, offer_resolutions.c.offer).where(
                offer_resolutions.c.signature == row.signature
            )
            sig = row.signature
            found = list(conn.execute(query))
            labs = self._labs(conn)
            offers = [self.read_offer(sig, r.lab_id, r.offer, labs.get(r.lab_id)) for r in found]
        facts = self.read_facts(dataset_id, row.signature, row.facts)
        return facts, [replace(o, dataset=dataset_id) for o in offers]

    def lab_offers(self, lab_id: str, limit: int | None) -> tuple[list[Offer], int]:
        """The datasets ``lab_id`` may offer (ordered by id, at most ``limit``) and their
        total."""
        joined = offer_terms.join(
            offer_resolutions,
            sa.and_(
                offer_resolutions.c.signature == offer_terms.c.signature,
                offer_resolutions.c.lab_id == lab_id,
                offer_resolutions.c.offerable.is_(True),
            ),
        )
        query = (
            sa.select(offer_terms.c.dataset_id, offer_terms.c.signature)
            .select_from(joined)
            .order_by(offer_terms.c.dataset_id)
        )
        with self.database.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(joined)).scalar() or 0
            rows = list(conn.execute(query if limit is None else query.limit(limit)))
            blobs = self._offers(conn, {r.signature for r in rows}, lab_id)
            lab = self._labs(conn).get(lab_id)
        by_sig = {sig: self.read_offer(sig, lab_id, text, lab) for sig, text in blobs.items()}
        return [replace(by_sig[r.signature], dataset=r.dataset_id) for r in rows], int(total)

    @staticmethod
    def _offers(conn: Connection, signatures: set[str], lab_id: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for batch in _chunks(sorted(signatures)):
            query = sa.select(offer_resolutions.c.signature, offer_resolutions.c.offer).where(
                offer_resolutions.c.lab_id == lab_id, offer_resolutions.c.signature.in_(batch)
            )
            out.update({r.signature: r.offer for r in conn.execute(query)})
        return out

    def offerable(self, dataset_ids: Iterable[str]) -> dict[str, list[tuple[str, bool]]]:
        """For each of ``dataset_ids`` with stored terms: the (lab id, usable for AI
        training) of the labs that may offer it (under conditions or not)."""
        out: dict[str, list[tuple[str, bool]]] = {}
        with self.database.read() as conn:
            for batch in _chunks(sorted(set(dataset_ids))):
                query = (
                    sa.select(
                        offer_terms.c.dataset_id,
                        offer_resolutions.c.lab_id,
                        offer_resolutions.c.ai_training,
                    )
                    .select_from(
                        offer_terms.outerjoin(
                            offer_resolutions,
                            sa.and_(
                                offer_resolutions.c.signature == offer_terms.c.signature,
                                offer_resolutions.c.offerable.is_(True),
                            ),
                        )
                    )
                    .where(offer_terms.c.dataset_id.in_(batch))
                )
                for r in conn.execute(query):
                    hits = out.setdefault(r.dataset_id, [])
                    if r.lab_id is not None:
                        hits.append((r.lab_id, bool(r.ai_training)))
        return out

    # -- writing -----------------------------------------------------------------------------
    def write(self, plan: Plan) -> bool:
        """Apply ``plan`` in one transaction; ``False`` (nothing written) when the stored
        position is no longer ``plan.since`` (another follower got there first). On success
        ``plan.generations`` holds the generation found and the one written, and the
        :attr:`on_write` listeners are called."""
        try:
            with self.database.transaction() as conn:
                query = sa.select(offer_state.c.position, offer_state.c.generation).where(
                    offer_state.c.name == STATE
                )
                row = conn.execute(query.with_for_update()).first()
                if (None if row is None else int(row.position)) != plan.since:
                    return False
                before = None if row is None else int(row.generation)
                if plan.since is None:
                    for table in (offer_terms, offer_resolutions, offer_labs, offer_state):
                        conn.execute(table.delete())
                # a first build starts from the clock, so a rebuilt table never repeats a
                # generation a replica saw before it was emptied
                generation = time.time_ns() // 1000 if before is None else before + 1
                self._write(conn, plan, generation)
        except IntegrityError:  # two first builds at once: the other one's state stands
            return False
        plan.generations = (before, generation)
        for listener in self.on_write:
            listener(plan)
        return True

    @staticmethod
    def _write(conn: Connection, plan: Plan, generation: int) -> None:
        pos = plan.position
        replacing = plan.since is not None  # a first build writes into emptied tables
        for batch in _chunks(plan.dropped | set(plan.terms) if replacing else ()):
            conn.execute(offer_terms.delete().where(offer_terms.c.dataset_id.in_(batch)))
        if plan.copied:
            if replacing:
                raise ValueError("only a first build copies stored facts")
            _copy(conn, plan)
        if plan.terms:
            encode = FactsEncoder()
            rows = []
            for ident, (sig, facts) in plan.terms.items():
                rows.append(
                    {
                        "dataset_id": ident,
                        "source": facts.source or "",
                        "iri": facts.iri,
                        "signature": sig,
                        "facts": encode(facts, sig)[1],
                        "position": pos,
                    }
                )
            conn.execute(offer_terms.insert(), rows)
        removed = list(plan.labs_removed)
        if removed:
            conn.execute(offer_labs.delete().where(offer_labs.c.lab_id.in_(removed)))
            conn.execute(offer_resolutions.delete().where(offer_resolutions.c.lab_id.in_(removed)))
        if plan.labs:
            ids = [lab.id for lab in plan.labs]
            conn.execute(offer_labs.delete().where(offer_labs.c.lab_id.in_(ids)))
            conn.execute(
                offer_labs.insert(),
                [{"lab_id": lab.id, "lab": dumps(lab), "position": pos} for lab in plan.labs],
            )
        by_lab: dict[str, list[str]] = {}
        for sig, lab_id in plan.resolutions if replacing else ():
            by_lab.setdefault(lab_id, []).append(sig)
        for lab_id, sigs in by_lab.items():
            for batch in _chunks(sigs):
                conn.execute(
                    offer_resolutions.delete().where(
                        offer_resolutions.c.lab_id == lab_id,
                        offer_resolutions.c.signature.in_(batch),
                    )
                )
        if plan.resolutions:
            conn.execute(
                offer_resolutions.insert(),
                [
                    {**resolution_row(sig, lab_id, o), "position": pos}
                    for (sig, lab_id), o in plan.resolutions.items()
                ],
            )
        for rows in plan.resolved:
            conn.execute(offer_resolutions.insert(), [{**r, "position": pos} for r in rows])
        for batch in _chunks(plan.orphans):
            used = set(
                conn.execute(
                    sa.select(offer_terms.c.signature)
                    .where(offer_terms.c.signature.in_(batch))
                    .distinct()
                ).scalars()
            )
            gone = [sig for sig in batch if sig not in used]
            if gone:
                conn.execute(
                    offer_resolutions.delete().where(offer_resolutions.c.signature.in_(gone))
                )
        values = {
            "position": pos,
            "licences": json.dumps(plan.licences, sort_keys=True),
            "sources": json.dumps(plan.sources, sort_keys=True),
            "updated": datetime.now(UTC),
            "generation": generation,
        }
        if plan.since is None:
            conn.execute(offer_state.insert().values(name=STATE, **values))
        else:
            conn.execute(offer_state.update().where(offer_state.c.name == STATE).values(**values))


def resolution_row(signature: str, lab_id: str, offer: Offer) -> dict[str, Any]:
    """One ``offer_resolutions`` row, but its position."""
    return {
        "signature": signature,
        "lab_id": lab_id,
        "verdict": offer.verdict,
        "offerable": offer.verdict in (MAY_OFFER, CONDITIONS),
        "ai_training": offer.usable_for_ai_training,
        "offer": offer_json(offer),
    }


def _copy(conn: Connection, plan: Plan) -> None:
    """Copy the stored facts of :attr:`Plan.copied` into emptied ``offer_terms``, but the
    ids the plan holds itself (merged from several records, or read from the store)."""
    names = ["dataset_id", "source", "iri", "signature", "facts", "position"]
    for source, token in plan.copied:
        rows = sa.select(
            dataset_facts.c.dataset_id,
            dataset_facts.c.source,
            dataset_facts.c.iri,
            dataset_facts.c.signature,
            dataset_facts.c.facts,
            sa.literal(plan.position, Seq),
        ).where(dataset_facts.c.source == source, dataset_facts.c.token == token)
        if plan.not_copied:
            rows = rows.where(dataset_facts.c.dataset_id.not_in(sorted(plan.not_copied)))
        conn.execute(offer_terms.insert().from_select(names, rows))


def _read_state(conn: sa.Connection) -> OfferState | None:
    """The stored state row (``None`` before the first build)."""
    row = conn.execute(sa.select(offer_state).where(offer_state.c.name == STATE)).first()
    if row is None:
        return None
    return OfferState(
        int(row.position), json.loads(row.licences), json.loads(row.sources), int(row.generation)
    )


__all__ = [
    "STATE",
    "OfferState",
    "OfferStore",
    "Plan",
    "Snapshot",
    "StoredTerms",
    "decode",
    "resolution_row",
]
