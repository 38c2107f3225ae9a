"""The offers follower: keeps the stored offers (:mod:`catalog.offers.stored`) in step with
the change feed, per dataset and per lab.

>>> follower = OffersFollower(catalogue)                 # doctest: +SKIP
>>> follower.catch_up()                                   # applies every page since its position

Each page of :meth:`ChangeFeed.changes_since <catalog.db.feed.ChangeFeed.changes_since>` is
applied in one transaction, with the position it reaches:

- a dataset row: the dataset's facts are derived again from its record (its current
  version); unchanged terms write nothing, changed terms replace its row, and a signature
  no dataset had before is resolved against every lab; a gone dataset's row is dropped;
- a ``labs`` row (a lab id): that lab is read from the registry and, if it changed, every
  stored signature is resolved against it alone, from the stored facts (no dataset record
  is read); a removed lab's resolutions are dropped; a ``registry`` row diffs every lab.

Besides the feed it catches up with changed licence mappings (datasets whose licences now
map differently are resolved again) and with sources published without a feed row (a
harvest override): each source's current graph is compared with the one last applied, and
a stale source is read again whole. Before the first build (no stored state) the whole
catalogue is read in bulk, from the feed's head as it was before reading.

Re-applying a page changes nothing (a dataset whose facts equal the stored ones writes
nothing); a page whose position another follower stored first is dropped and the follower
carries on from there, so a killed follower resumes from the last page it stored.
``records_read`` and ``recomputed`` count the dataset records read and the (dataset, lab)
offers resolved again, for tests and benchmarks.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from catalog import lifeline
from catalog.db.database import Database
from catalog.db.feed import DELETE, FeedRow
from catalog.errors import DatasetNotFound
from catalog.facts import DatasetFacts
from catalog.facts.read import catalogue_facts, gc_paused, merged, record_facts, source_facts
from catalog.facts.table import FactsTable
from catalog.graphs import CURRENT_GRAPHS
from catalog.labs import DataLab, list_labs
from catalog.labs.store import LABS_SOURCE, REGISTRY_SOURCE
from catalog.offers import resolving
from catalog.offers.codec import signature_key
from catalog.offers.licence_store import LICENCES, licence_table, table_of
from catalog.offers.licences import LicenceTable
from catalog.offers.resolution import resolve
from catalog.offers.stored import OfferState, OfferStore, Plan
from catalog.service import Catalogue

log = logging.getLogger(__name__)
#: Sources that hold the registry: their rows name labs (or factories), not datasets.
REGISTRY_SOURCES = (LABS_SOURCE, REGISTRY_SOURCE)
#: Above this many changed datasets of one source in a page, the source is read in bulk.
BULK_CHANGES = 200
#: Feed rows asked for per page.
PAGE = 1000


@dataclass
class FollowReport:
    """What one :meth:`OffersFollower.catch_up` did."""

    rows: int = 0
    pages: int = 0
    position: int = 0
    rebuilt: bool = False


class OffersFollower:
    """Applies the change feed to one catalogue's stored offers (thread-safe)."""

    def __init__(
        self, catalogue: Catalogue, store: OfferStore | None = None, *, page: int = PAGE
    ) -> None:
        self.catalogue = catalogue
        self.store = store or OfferStore(catalogue.database)
        self.page = page
        self.records_read = 0
        self.recomputed = 0
        self._lock = threading.RLock()
        self._tables: dict[str, LicenceTable] = {}
        #: (document stamp, stored body) last found in step: skips re-reading the document
        self._licences_seen: tuple[object, str] | None = None
        self._licences_version: int | None = None

    # -- the loop ----------------------------------------------------------------------------
    def catch_up(self, *, sources: bool = True, max_pages: int | None = None) -> FollowReport:
        """Build when nothing is stored, then apply every page after the stored position
        (at most ``max_pages``), changed licence mappings and (with ``sources``) sources
        published without a feed row."""
        with self._lock:
            report = FollowReport()
            position, head, licences = self.store.pulse()
            if position is not None and position >= head and licences == self._licences_version:
                if sources:  # nothing moved in the database: only the graphs to compare
                    report.position = self._sources(self._state()).position
                else:
                    report.position = position
                return report
            self._licences_version = licences
            state = self.store.state()
            if state is None:
                self.rebuild()
                report.rebuilt = True
                state = self._state()
            state = self._licences(state)
            feed = self.catalogue.changes
            while max_pages is None or report.pages < max_pages:
                rows, position = feed.changes_since(state.position, self.page)
                if not rows:
                    break
                state = self.apply(state, rows, position)
                report.rows += len(rows)
                report.pages += 1
            if sources:
                state = self._sources(state)
            report.position = state.position
            return report

    def _table(self, body: list[Any]) -> LicenceTable:
        key = json.dumps(body, sort_keys=True)
        table = self._tables.get(key)
        if table is None:
            self._tables = {key: (table := table_of(body))}  # one kept: the newest
        return table

    def _state(self) -> OfferState:
        state = self.store.state()
        if state is None:  # pragma: no cover - written by rebuild just before
            raise RuntimeError("the stored offers have no state after a build")
        return state

    def _commit(self, plan: Plan) -> OfferState:
        """Write ``plan``; on losing the race to another follower, its state stands."""
        if not self.store.write(plan) or plan.generations is None:
            log.info("offers at position %s were applied by another follower", plan.since)
            return self._state()
        return OfferState(plan.position, plan.licences, dict(plan.sources), plan.generations[1])

    # -- building ----------------------------------------------------------------------------
    def rebuild(self) -> bool:
        """Store every dataset's offers, read in bulk (only when nothing is stored yet;
        ``False`` when another follower built first)."""
        with self._lock:
            position = self.catalogue.changes.head()  # before reading: later rows re-apply
            sources: dict[str, str | None] = {s.name: s.graph for s in self.catalogue.sources()}
            labs = list_labs(self.catalogue)
            body = self.catalogue.documents.read(LICENCES).body
            table = self._table(body)
            plan = Plan(None, position, body, sources, labs=labs)
            known: set[str] = set()  # each distinct signature resolved once
            with gc_paused():  # millions of objects, no cycles: see gc_paused
                self._gather(plan, labs, table, known)
                ok = self.store.write(plan)
                datasets = len(plan.terms)
                # Let go of the plan while the collector is held: its first collection
                # afterwards walks every object made meanwhile that is still alive (two
                # million at 20,000 corpus-shaped datasets, 0.7 s). What the plan's rows
                # are still needed for (a mirror's) stays.
                plan.terms.clear()
                plan.resolutions.clear()
            log.info("offers stored: %d datasets x %d labs", datasets, len(labs))
            return ok

    def _gather(
        self, plan: Plan, labs: list[DataLab], table: LicenceTable, known: set[str]
    ) -> None:
        """Every dataset's facts into ``plan``: those a bulk read stored for the current
        versions (catalog/facts/table.py) are copied as stored, and only each distinct
        signature of theirs is decoded and resolved; the other sources are read from the
        store. An id held by several records is merged as :func:`catalogue_facts` merges."""
        stored = FactsTable(self.catalogue).stored(plan.sources)
        read: dict[str, list[DatasetFacts]] = {}  # each id's records, of the sources read
        for facts in source_facts(self.catalogue, skip={u.source for u in stored.usable}):
            read.setdefault(facts.dataset_id, []).append(facts)
        self.records_read += len(read)
        colliding = stored.colliding(read)
        plan.not_copied = set(colliding)
        for ident in sorted(colliding.keys() | read.keys()):
            facts = merged([*colliding.get(ident, ()), *read.get(ident, ())])
            self._put(plan, facts, labs, table, known)
        items = []
        for sig, (text, count) in stored.signatures(skip=plan.not_copied).items():
            if sig not in known:
                items.append((sig, text))
                known.add(sig)
            self.recomputed += count * len(labs)
        workers = lifeline.worker_count(self.catalogue.settings.offers_build_workers)
        plan.resolved.extend(resolving.resolve_all(items, labs, table, workers))
        plan.copied = [(u.source, u.token) for u in stored.usable]

    # -- one page ----------------------------------------------------------------------------
    def apply(self, state: OfferState, rows: list[FeedRow], position: int) -> OfferState:
        """Apply one page of the feed (ending at ``position``) in one transaction."""
        sources = dict(state.sources)
        for row in rows:
            sources[row.source] = row.version
        plan = Plan(state.position, position, state.licences, sources)
        table = self._table(state.licences)
        labs = self.store.labs()
        lab_ids = {r.dataset_id for r in rows if r.source == LABS_SOURCE}
        if any(r.source == REGISTRY_SOURCE for r in rows):
            labs = self._labs(plan, labs, None, table)
        elif lab_ids:
            labs = self._labs(plan, labs, lab_ids, table)
        last: dict[str, FeedRow] = {}
        for row in rows:
            if row.source not in REGISTRY_SOURCES:
                last[row.dataset_id] = row
        if last:
            self._datasets(plan, last, labs, table)
        return self._commit(plan)

    def _labs(
        self,
        plan: Plan,
        stored: dict[str, DataLab],
        lab_ids: set[str] | None,
        table: LicenceTable,
    ) -> dict[str, DataLab]:
        """Re-resolve every stored signature against each lab of ``lab_ids`` (every lab
        when ``None``) that changed; returns the labs as they are now."""
        current = {lab.id: lab for lab in list_labs(self.catalogue)}
        ids = set(current) | set(stored) if lab_ids is None else lab_ids
        changed = [current[i] for i in sorted(ids) if i in current and stored.get(i) != current[i]]
        plan.labs_removed = {i for i in ids if i not in current and i in stored}
        plan.labs = changed
        if changed:
            with gc_paused():  # every stored signature decoded and re-resolved
                for sig, (facts, count) in self.store.signatures().items():
                    for lab in changed:
                        plan.resolutions[(sig, lab.id)] = resolve(facts, lab, table)
                        self.recomputed += count
        labs = {i: lab for i, lab in stored.items() if i not in plan.labs_removed}
        labs.update({lab.id: lab for lab in changed})
        return dict(sorted(labs.items()))

    def _datasets(
        self, plan: Plan, last: dict[str, FeedRow], labs: dict[str, DataLab], table: LicenceTable
    ) -> None:
        fresh = self._read(last)
        stored = self.store.terms(last)
        keys = {signature_key(f.signature()) for f in fresh.values() if f is not None}
        known = self.store.resolved(keys)
        for ident in sorted(last):
            facts, old = fresh[ident], stored.get(ident)
            if facts is None:
                if old is not None:
                    plan.dropped.add(ident)
                    plan.orphans.add(old.signature)
                continue
            if old is not None and old.facts == facts:
                continue  # a new title, say: the terms are the same
            if old is not None:
                plan.orphans.add(old.signature)
            self._put(plan, facts, list(labs.values()), table, known)

    def _put(
        self,
        plan: Plan,
        facts: DatasetFacts,
        labs: list[DataLab],
        table: LicenceTable,
        known: set[str],
    ) -> None:
        sig = signature_key(facts.signature())
        plan.terms[facts.dataset_id] = (sig, facts)
        if sig not in known:
            for lab in labs:
                plan.resolutions[(sig, lab.id)] = resolve(facts, lab, table)
            known.add(sig)
        self.recomputed += len(labs)

    def _read(self, last: dict[str, FeedRow]) -> dict[str, DatasetFacts | None]:
        """The current facts of each dataset (``None``: gone); a source with many changes
        is read in bulk."""
        by_source: dict[str, list[str]] = {}
        for ident, row in last.items():
            by_source.setdefault(row.source, []).append(ident)
        out: dict[str, DatasetFacts | None] = {}
        for source, ids in by_source.items():
            if len(ids) > BULK_CHANGES and self.catalogue.graphs.current(source) is not None:
                bulk = self._source_facts(source)
                for ident in ids:
                    if ident in bulk or last[ident].kind == DELETE:
                        out[ident] = bulk.get(ident)
            for ident in ids:
                if ident not in out:
                    out[ident] = self._record(ident)
        return out

    def _source_facts(self, source: str) -> dict[str, DatasetFacts]:
        """Every dataset's facts of one source's current version, by id: as a bulk read
        stored them when they still may be used (catalog/facts/table.py), else read from
        the store."""
        table = FactsTable(self.catalogue)
        usable = table.usable(source, self.catalogue.graphs.current(source))
        if usable is not None:
            return table.stored_of(usable)
        fresh = {f.dataset_id: f for f in catalogue_facts(self.catalogue, source)}
        self.records_read += len(fresh)
        return fresh

    def _record(self, dataset_id: str) -> DatasetFacts | None:
        self.records_read += 1
        try:
            return record_facts(self.catalogue, dataset_id)
        except DatasetNotFound:
            return None

    # -- besides the feed --------------------------------------------------------------------
    def _licences(self, state: OfferState) -> OfferState:
        """Re-resolve the signatures whose licences map differently since the last step."""
        documents = self.catalogue.documents
        seen = (documents.stamp(LICENCES), json.dumps(state.licences, sort_keys=True))
        if seen == self._licences_seen:
            return state
        body = documents.read(LICENCES).body
        if body == state.licences:
            self._licences_seen = seen
            return state
        before, table = self._table(state.licences), licence_table(self.catalogue.documents)
        plan = Plan(state.position, state.position, body, state.sources)
        labs = list(self.store.labs().values())
        for sig, (facts, count) in self.store.signatures().items():
            if any(before.lookup(iri) != table.lookup(iri) for iri in facts.licences):
                for lab in labs:
                    plan.resolutions[(sig, lab.id)] = resolve(facts, lab, table)
                    self.recomputed += count
        return self._commit(plan)

    def _sources(self, state: OfferState) -> OfferState:
        """Read again whole the sources whose current graph is not the one last applied."""
        rows = self.catalogue.store.select(f"SELECT ?source ?g WHERE {{ {CURRENT_GRAPHS} }}")
        current: dict[str, str | None] = {r["source"].value: r["g"].value for r in rows}
        stale = sorted(
            n for n in set(current) | set(state.sources) if current.get(n) != state.sources.get(n)
        )
        if not stale:
            return state
        sources = {**state.sources, **{n: current.get(n) for n in stale}}
        plan = Plan(state.position, state.position, state.licences, sources)
        table = self._table(state.licences)
        labs = self.store.labs()
        if any(n in REGISTRY_SOURCES for n in stale):
            labs = self._labs(plan, labs, None, table)
        for name in (n for n in stale if n not in REGISTRY_SOURCES):
            fresh = self._source_facts(name)
            members = self.store.source_members(name)
            stored = self.store.terms(members | set(fresh))
            known = self.store.resolved({signature_key(f.signature()) for f in fresh.values()})
            for gone in members - set(fresh):
                plan.dropped.add(gone)
                plan.orphans.add(stored[gone].signature)
            for ident, facts in fresh.items():
                old = stored.get(ident)
                if old is not None and old.facts == facts:
                    continue
                if old is not None:
                    plan.orphans.add(old.signature)
                self._put(plan, facts, list(labs.values()), table, known)
        log.info("offers caught up with sources published outside the feed: %s", stale)
        return self._commit(plan)

    def lag(self) -> dict[str, Any]:
        """The stored position and the feed's head (for status pages and the worker)."""
        state = self.store.state()
        return {
            "position": None if state is None else state.position,
            "head": self.catalogue.changes.head(),
        }


#: The worker's job kind that runs :meth:`OffersFollower.catch_up` (one active at a time).
OFFERS_JOB = "offers"


def enqueue_follow(database: Database, *, max_attempts: int = 3) -> None:
    """Queue an ``offers`` job unless one is queued or running already (deduped)."""
    from catalog.jobs.queue import JobQueue

    JobQueue(database).enqueue(OFFERS_JOB, {}, max_attempts=max_attempts, dedupe_key=OFFERS_JOB)


__all__ = ["BULK_CHANGES", "OFFERS_JOB", "PAGE", "FollowReport", "OffersFollower", "enqueue_follow"]
