"""Materialised offers: every dataset × data lab resolved once, then kept fresh incrementally.

:class:`OfferIndex` holds the profile-free resolution of every (dataset, lab) pair and the
terms of every dataset. A change recomputes only what it touches:

- a dataset published again: its row, and only if its terms changed (a new title does not);
- a source replaced or removed: the rows of its datasets whose terms changed, and the rows
  of datasets no longer there are dropped;
- a lab created, edited or removed: that lab's column only (labs are diffed);
- a licence mapping: the rows of datasets whose licence IRIs now map differently.

``recomputed`` counts the (dataset, lab) resolutions performed, so tests can check that an
update touched only what it had to. Answers for a requester profile are resolved on demand
from the cached terms (no store access).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from catalog.errors import DatasetNotFound
from catalog.facts import DatasetFacts
from catalog.facts.model import TermsSignature
from catalog.facts.read import catalogue_facts, gc_paused, record_facts
from catalog.graphs import CURRENT_GRAPHS
from catalog.labs import DataLab, LabNotFound, list_labs
from catalog.labs.store import LABS_SOURCE, REGISTRY_SOURCE, labs_version
from catalog.offers.licence_store import licence_table
from catalog.offers.licences import LicenceTable, LicenceTerms
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import CONDITIONS, MAY_OFFER, Offer, resolve
from catalog.offers.service import DatasetOffers, sort_offers
from catalog.service import Catalogue

#: Sources that hold the registry: their publishes change labs, not datasets.
REGISTRY_SOURCES = (LABS_SOURCE, REGISTRY_SOURCE)
_OFFERABLE = (MAY_OFFER, CONDITIONS)


class OfferIndex:
    """Materialised offers of every dataset × lab, recomputed incrementally (thread-safe)."""

    def __init__(self, catalogue: Catalogue, table: LicenceTable | None = None) -> None:
        self.catalogue = catalogue
        self.table = table or licence_table(catalogue.documents)
        self._lock = threading.RLock()
        self.terms: dict[str, DatasetFacts] = {}
        self.labs: dict[str, DataLab] = {}
        self.offers: dict[tuple[str, str], Offer] = {}
        #: the current graph of every source when it was last read (``None``: removed)
        self.versions: dict[str, str | None] = {}
        self.recomputed = 0
        self._by_licence: dict[str, set[str]] = defaultdict(set)
        self._members: dict[str, set[str]] = defaultdict(set)
        self._source_of: dict[str, str] = {}
        self._sorted_ids: list[str] | None = None
        #: resolutions shared by datasets of equal terms, keyed by (signature, lab id);
        #: entries carry the first such dataset's id, so readers re-stamp the dataset.
        self._memo: dict[tuple[TermsSignature, str], Offer] = {}

    # -- building -------------------------------------------------------------------
    def rebuild(self, cancelled: Callable[[], bool] | None = None) -> bool:
        """Materialise everything from the store; ``False`` if ``cancelled()`` stopped it."""
        with self._lock:
            versions: dict[str, str | None] = {
                s.name: s.graph for s in self.catalogue.sources()
            }  # read before the data, so a publish meanwhile shows as stale
            self.labs = {lab.id: lab for lab in list_labs(self.catalogue)}
            for store in (self._memo, self.terms, self.offers, self._by_licence):
                store.clear()
            self._members.clear()
            self._source_of.clear()
            self._sorted_ids = None
            with gc_paused():  # millions of objects, no cycles: see gc_paused
                for facts in catalogue_facts(self.catalogue):
                    self._set_terms(facts, facts.source or "")
                for n, dataset_id in enumerate(self.terms):
                    if cancelled is not None and n % 1000 == 0 and cancelled():
                        return False
                    self._row(dataset_id)
            self.versions = versions
            return True

    def _set_terms(self, terms: DatasetFacts, source: str) -> None:
        key = terms.dataset_id
        old = self.terms.get(key)
        if old is None:
            self._sorted_ids = None
        else:
            for lic in old.licences:
                self._by_licence[lic].discard(key)
        self.terms[key] = terms
        for lic in terms.licences:
            self._by_licence[lic].add(key)
        previous = self._source_of.get(key)
        if previous != source:
            if previous is not None:
                self._members[previous].discard(key)
            self._members[source].add(key)
            self._source_of[key] = source

    def _drop(self, dataset_id: str) -> None:
        terms = self.terms.pop(dataset_id, None)
        if terms is None:
            return
        self._sorted_ids = None
        for lic in terms.licences:
            self._by_licence[lic].discard(dataset_id)
        source = self._source_of.pop(dataset_id, None)
        if source is not None:
            self._members[source].discard(dataset_id)
        for lab_id in self.labs:
            self.offers.pop((dataset_id, lab_id), None)

    def _row(self, dataset_id: str) -> None:
        terms = self.terms[dataset_id]
        sig = terms.signature()
        for lab in self.labs.values():
            self.offers[(dataset_id, lab.id)] = self._resolve(terms, sig, lab)
            self.recomputed += 1

    def _column(self, lab: DataLab) -> None:
        for dataset_id, terms in self.terms.items():
            self.offers[(dataset_id, lab.id)] = self._resolve(terms, terms.signature(), lab)
            self.recomputed += 1

    def _resolve(self, terms: DatasetFacts, sig: TermsSignature, lab: DataLab) -> Offer:
        """Resolve, sharing the result between datasets with identical terms (same signature)."""
        key = (sig, lab.id)
        shared = self._memo.get(key)
        if shared is None:
            shared = self._memo[key] = resolve(terms, lab, self.table)
        return shared

    # -- incremental updates ---------------------------------------------------------
    def dataset_changed(self, dataset_id: str) -> None:
        """Re-read one dataset; recompute its row only if its terms changed."""
        with self._lock:
            try:
                terms = record_facts(self.catalogue, dataset_id)
            except DatasetNotFound:  # the dataset was deleted
                self._drop(dataset_id)
                return
            unchanged = self.terms.get(dataset_id) == terms
            self._set_terms(terms, terms.source or "")
            if not unchanged:
                self._row(dataset_id)

    def source_changed(self, source: str) -> None:
        """A source was replaced or removed: re-read it, recompute rows whose terms changed."""
        with self._lock:
            version = self.catalogue.graphs.current(source)
            if source in REGISTRY_SOURCES:
                self.refresh_labs()
            else:
                fresh = {t.dataset_id: t for t in catalogue_facts(self.catalogue, source)}
                for gone in self._members.get(source, set()) - fresh.keys():
                    self._drop(gone)
                for dataset_id, terms in fresh.items():
                    unchanged = self.terms.get(dataset_id) == terms
                    self._set_terms(terms, source)
                    if not unchanged:
                        self._row(dataset_id)
            self.versions[source] = version

    def refresh_labs(self) -> list[str]:
        """Re-read the labs; recompute the columns of labs that changed. Returns their ids."""
        with self._lock:
            version = labs_version(self.catalogue)
            fresh = {lab.id: lab for lab in list_labs(self.catalogue)}
            changed = [lab for lab_id, lab in fresh.items() if self.labs.get(lab_id) != lab]
            removed = set(self.labs) - set(fresh)
            touched = removed | {lab.id for lab in changed}
            self._memo = {k: v for k, v in self._memo.items() if k[1] not in touched}
            for lab_id in removed:
                for dataset_id in self.terms:
                    self.offers.pop((dataset_id, lab_id), None)
            self.labs = fresh
            for lab in changed:
                self._column(lab)
            self.versions[LABS_SOURCE] = version
            return sorted(touched)

    def lab_changed(self, lab_id: str) -> None:
        """A lab was created or edited (diffs every lab; only changed columns recompute)."""
        self.refresh_labs()

    def licence_changed(self, entry: LicenceTerms) -> None:
        """One licence mapping was added or changed (the shared table is not modified)."""
        table = self.table.copy()
        table.put(entry)
        self.set_table(table)

    def set_table(self, table: LicenceTable) -> None:
        """Switch to another licence table; recompute datasets whose licences map differently."""
        with self._lock:
            before = {iri: self.table.lookup(iri) for iri in self._by_licence}
            self.table = table
            self._retable(before)

    def _retable(self, before: dict[str, LicenceTerms | None]) -> None:
        moved = {iri for iri, old in before.items() if self.table.lookup(iri) != old}
        self._memo = {k: v for k, v in self._memo.items() if not moved.intersection(k[0].licences)}
        touched = {d for iri in moved for d in self._by_licence.get(iri, ())}
        for dataset_id in touched:
            self._row(dataset_id)

    def sync(self) -> list[str]:
        """Catch up with sources published behind the index's back; returns them."""
        rows = self.catalogue.store.select(f"SELECT ?source ?g WHERE {{ {CURRENT_GRAPHS} }}")
        current: dict[str, str | None] = {r["source"].value: r["g"].value for r in rows}
        stale = [
            name
            for name in set(current) | set(self.versions)
            if current.get(name) != self.versions.get(name)
        ]
        for name in sorted(stale):
            self.source_changed(name)
        return stale

    # -- reading ------------------------------------------------------------------------
    def for_dataset(
        self, dataset_id: str, profile: RequesterProfile | None = None
    ) -> DatasetOffers:
        """Every lab's offer for one dataset (narrowed to ``profile`` when given)."""
        with self._lock:
            terms = self.terms.get(dataset_id)
            labs = list(self.labs.values())
            if terms is not None and profile is None:
                offers = [
                    replace(self.offers[(dataset_id, lab.id)], dataset=dataset_id) for lab in labs
                ]
            else:
                if terms is None:
                    terms = record_facts(self.catalogue, dataset_id)  # raises DatasetNotFound
                offers = [resolve(terms, lab, self.table, profile) for lab in labs]
        return DatasetOffers(dataset_id, terms.iri, profile, sort_offers(offers))

    def for_lab(self, lab_id: str, limit: int | None = None) -> tuple[list[Offer], int]:
        """The datasets ``lab_id`` may offer (ordered by id, at most ``limit``) and their total."""
        with self._lock:
            if lab_id not in self.labs:
                raise LabNotFound(f"no data lab with id {lab_id!r}", where="lab")
            if self._sorted_ids is None:
                self._sorted_ids = sorted(self.terms)
            hits = [d for d in self._sorted_ids if self.offers[(d, lab_id)].verdict in _OFFERABLE]
            chosen = hits if limit is None else hits[:limit]
            return [replace(self.offers[(d, lab_id)], dataset=d) for d in chosen], len(hits)

    def offerable(self, dataset_id: str) -> list[Offer]:
        """The profile-free offers of one dataset that may be made (``[]`` if unknown)."""
        with self._lock:
            if dataset_id not in self.terms:
                return []
            return [
                o
                for lab_id in self.labs
                if (o := self.offers[(dataset_id, lab_id)]).verdict in _OFFERABLE
            ]


__all__ = ["REGISTRY_SOURCES", "OfferIndex"]
