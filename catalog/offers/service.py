"""Offers over a catalogue: one dataset's offers, a lab's datasets, materialised and kept fresh.

:class:`OfferIndex` materialises every (dataset, lab) resolution without a profile and
recomputes only what a change touches: a dataset (its row), a lab (its column) or a licence
mapping (the datasets using that licence). Profile-specific answers are computed on
demand from the cached dataset terms, which is cheap (no store access).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from rdflib import Graph, URIRef

from catalog.errors import DatasetNotFound
from catalog.graphs import CURRENT_GRAPHS
from catalog.namespaces import DLAB
from catalog.offers.dataset_terms import DatasetTerms, extract_terms
from catalog.offers.jsonld import offer_to_odrl
from catalog.offers.licences import LicenceTable, LicenceTerms
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolve import CONDITIONS, MAY_OFFER, Offer, resolve
from catalog.registry import DataLab, get_lab, list_labs
from catalog.registry.store import labs_version
from catalog.service import Catalogue
from catalog.store.base import Row, Term
from catalog.terms import to_rdflib_graph, to_rdflib_term

#: Project-vocabulary facts of a dataset that ``catalogue.get`` hides as internal.
_PROJECT_FACTS = (DLAB.dataSpace, DLAB.tdmReservation)


def dataset_terms(catalogue: Catalogue, dataset_id: str) -> DatasetTerms:
    """A dataset's terms, from its record plus its ``dlab:`` data space and TDM facts."""
    record = catalogue.get(dataset_id)
    g = to_rdflib_graph(record.triples)
    values = " ".join(f"<{p}>" for p in _PROJECT_FACTS)
    rows = catalogue.store.select(
        f"SELECT ?p ?o WHERE {{ GRAPH <{record.ref.graph}> {{ "
        f"VALUES ?p {{ {values} }} <{record.ref.iri}> ?p ?o }} }}"
    )
    for row in rows:
        g.add((URIRef(record.ref.iri), URIRef(row["p"].value), to_rdflib_term(row["o"])))
    return extract_terms(g, record.ref.iri, record.ref.id)


def _bulk_select(catalogue: Catalogue, predicate: str) -> list[Row]:
    return catalogue.store.select(
        f"SELECT ?d ?o WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ ?d <{predicate}> ?o }} }}"
    )


def bulk_terms(catalogue: Catalogue) -> list[DatasetTerms]:
    """Every dataset's terms from a few SPARQL queries (the fast path of materialisation).

    One query per predicate (much faster than one wide join on Oxigraph). Datasets with a
    policy, distributions, HealthDCAT-AP or personal-data details, or no data space, are
    re-read one by one through :func:`dataset_terms`, so the result equals the per-dataset
    extraction.
    """
    from catalog.namespaces import DCAT, DCT, DPV, HEALTHDCATAP, ODRL

    ids = {r["d"].value: r["o"].value for r in _bulk_select(catalogue, str(DLAB.datasetId))}
    preds = [
        DCT.license,
        DCT.accessRights,
        DLAB.dataSpace,
        DLAB.tdmReservation,
        HEALTHDCATAP.hdab,
        ODRL.hasPolicy,
        DCAT.theme,
        DCAT.distribution,
        DCT.type,
        DPV.hasPersonalData,
    ]
    found: dict[tuple[str, str], dict[str, list[Term]]] = {
        (iri, ident): {} for iri, ident in ids.items()
    }
    for pred in preds:
        for row in _bulk_select(catalogue, str(pred)):
            iri = row["d"].value
            if iri in ids:
                found[(iri, ids[iri])].setdefault(str(pred), []).append(row["o"])
    slow_preds = {
        str(ODRL.hasPolicy),
        str(HEALTHDCATAP.hdab),
        str(DCAT.distribution),
        str(DCT.type),
        str(DPV.hasPersonalData),
    }
    spaces = str(DLAB.dataSpace)
    out = []
    for (iri, ident), props in found.items():
        if slow_preds & props.keys() or spaces not in props:
            out.append(dataset_terms(catalogue, ident))  # the full reader decides
            continue
        out.append(_cached_extract(iri, ident, props))
    return out


_EXTRACT_CACHE: dict[tuple[object, ...], DatasetTerms] = {}


def _cached_extract(iri: str, ident: str, props: dict[str, list[Term]]) -> DatasetTerms:
    """Extraction shared by datasets whose terms-relevant facts are identical."""
    key = tuple(sorted((p, tuple(sorted(str(o) for o in objs))) for p, objs in props.items()))
    cached = _EXTRACT_CACHE.get(key)
    if cached is None:
        if len(_EXTRACT_CACHE) > 10_000:
            _EXTRACT_CACHE.clear()
        g = Graph()
        s = URIRef(iri)
        for p, objects in props.items():
            for o in objects:
                g.add((s, URIRef(p), to_rdflib_term(o)))
        cached = _EXTRACT_CACHE[key] = extract_terms(g, iri, ident)
    return replace(cached, iri=iri, dataset_id=ident)


@dataclass
class DatasetOffers:
    """Every lab's offer for one dataset."""

    dataset_id: str
    dataset_iri: str
    profile: RequesterProfile | None
    offers: list[Offer]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset_id,
            "iri": self.dataset_iri,
            "profile": self.profile.to_dict() if self.profile else None,
            "usable_for_ai_training": any(o.usable_for_ai_training for o in self.offers),
            "offers": [
                {**o.to_dict(), "odrl": offer_to_odrl(o, self.dataset_iri)} for o in self.offers
            ],
        }

    def odrl(self) -> list[dict[str, Any]]:
        return [
            offer_to_odrl(o, self.dataset_iri)
            for o in self.offers
            if o.verdict in (MAY_OFFER, CONDITIONS)
        ]


_ORDER = {MAY_OFFER: 0, CONDITIONS: 1, "needs_review": 2, "may_not_offer": 3}


class OfferIndex:
    """Materialised offers of every dataset × lab, recomputed incrementally."""

    def __init__(self, catalogue: Catalogue, table: LicenceTable | None = None) -> None:
        self.catalogue = catalogue
        self.table = table or LicenceTable()
        self._lock = threading.RLock()
        self.terms: dict[str, DatasetTerms] = {}
        self.labs: dict[str, DataLab] = {}
        self.offers: dict[tuple[str, str], Offer] = {}
        self._by_licence: dict[str, set[str]] = defaultdict(set)
        self._labs_version: str | None = None
        self.recomputed = 0
        #: resolutions shared by datasets of equal terms, keyed by (signature, lab id);
        #: entries carry the first such dataset's id, so readers re-stamp the dataset.
        self._memo: dict[tuple[object, str], Offer] = {}

    # -- building -------------------------------------------------------------------
    def rebuild(self) -> None:
        with self._lock:
            self.labs = {lab.id: lab for lab in list_labs(self.catalogue)}
            self._labs_version = labs_version(self.catalogue)
            self._memo.clear()
            self.terms.clear()
            self.offers.clear()
            self._by_licence.clear()
            for terms in bulk_terms(self.catalogue):
                self._set_terms(terms)
            for dataset_id in self.terms:
                self._row(dataset_id)

    def add_terms(self, terms: DatasetTerms) -> None:
        """Materialise one dataset from already-extracted terms (used by bulk loads)."""
        with self._lock:
            self._set_terms(terms)
            self._row(terms.dataset_id or terms.iri)

    def _set_terms(self, terms: DatasetTerms) -> None:
        key = terms.dataset_id or terms.iri
        old = self.terms.get(key)
        if old:
            for lic in old.licences:
                self._by_licence[lic].discard(key)
        self.terms[key] = terms
        for lic in terms.licences:
            self._by_licence[lic].add(key)

    def _row(self, dataset_id: str) -> None:
        terms = self.terms[dataset_id]
        sig = terms.signature()
        for lab in self.labs.values():
            self.offers[(dataset_id, lab.id)] = self._resolve(terms, sig, lab)
            self.recomputed += 1

    def _resolve(self, terms: DatasetTerms, sig: tuple[object, ...] | None, lab: DataLab) -> Offer:
        """Resolve, sharing the result between datasets with identical terms (same signature)."""
        if sig is None:
            return resolve(terms, lab, self.table)
        key = (sig, lab.id)
        shared = self._memo.get(key)
        if shared is None:
            shared = self._memo[key] = resolve(terms, lab, self.table)
        return shared

    # -- incremental updates ---------------------------------------------------------
    def dataset_changed(self, dataset_id: str) -> None:
        with self._lock:
            try:
                terms = dataset_terms(self.catalogue, dataset_id)
            except DatasetNotFound:  # the dataset was deleted
                self.terms.pop(dataset_id, None)
                for key in [k for k in self.offers if k[0] == dataset_id]:
                    del self.offers[key]
                return
            self._set_terms(terms)
            self._row(dataset_id)

    def lab_changed(self, lab_id: str) -> None:
        with self._lock:
            lab = get_lab(self.catalogue, lab_id)
            self.labs[lab.id] = lab
            self._labs_version = labs_version(self.catalogue)
            self._memo = {k: v for k, v in self._memo.items() if k[1] != lab.id}
            for dataset_id, terms in self.terms.items():
                self.offers[(dataset_id, lab.id)] = self._resolve(terms, terms.signature(), lab)
                self.recomputed += 1

    def licence_changed(self, entry: LicenceTerms) -> None:
        with self._lock:
            self.table.put(entry)
            self._memo.clear()
            touched = {
                d
                for iri, ds in self._by_licence.items()
                if self.table.lookup(iri) is entry
                for d in ds
            }
            for dataset_id in touched:
                self._row(dataset_id)

    def refresh_labs_if_stale(self) -> None:
        """Pick up lab edits made by another process or request (version pointer moved)."""
        if labs_version(self.catalogue) != self._labs_version:
            with self._lock:
                old = set(self.labs)
                self.labs = {lab.id: lab for lab in list_labs(self.catalogue)}
                self._labs_version = labs_version(self.catalogue)
                self._memo.clear()
                for lab_id in set(self.labs) | old:
                    if lab_id not in self.labs:
                        for key in [k for k in self.offers if k[1] == lab_id]:
                            del self.offers[key]
                for dataset_id in self.terms:
                    self._row(dataset_id)

    # -- reading ------------------------------------------------------------------------
    def for_dataset(
        self, dataset_id: str, profile: RequesterProfile | None = None
    ) -> DatasetOffers:
        terms = self.terms.get(dataset_id) or dataset_terms(self.catalogue, dataset_id)
        if profile is None and dataset_id in self.terms:
            offers = [
                replace(self.offers[(dataset_id, lab)], dataset=dataset_id) for lab in self.labs
            ]
        else:
            offers = [resolve(terms, lab, self.table, profile) for lab in self.labs.values()]
        offers.sort(key=lambda o: (_ORDER[o.verdict], o.lab.id))
        return DatasetOffers(dataset_id, terms.iri, profile, offers)

    def for_lab(self, lab_id: str) -> list[Offer]:
        return sorted(
            (
                replace(o, dataset=d)
                for (d, lab), o in self.offers.items()
                if lab == lab_id and o.verdict in (MAY_OFFER, CONDITIONS)
            ),
            key=lambda o: o.dataset,
        )


def offers_for(
    catalogue: Catalogue,
    dataset_id: str,
    profile: RequesterProfile | None = None,
    table: LicenceTable | None = None,
) -> DatasetOffers:
    """One dataset's offers by every lab, computed directly (no materialisation)."""
    terms = dataset_terms(catalogue, dataset_id)
    tbl = table or LicenceTable()
    offers = [resolve(terms, lab, tbl, profile) for lab in list_labs(catalogue)]
    offers.sort(key=lambda o: (_ORDER[o.verdict], o.lab.id))
    return DatasetOffers(dataset_id, terms.iri, profile, offers)


def lab_datasets(
    catalogue: Catalogue, lab_id: str, table: LicenceTable | None = None, limit: int = 1000
) -> list[Offer]:
    """The datasets a lab can offer (may offer, or under conditions)."""
    lab = get_lab(catalogue, lab_id)
    tbl = table or LicenceTable()
    out: list[Offer] = []
    cursor = None
    while len(out) < limit:
        page = catalogue.datasets(cursor=cursor, limit=catalogue.settings.max_page_size)
        for item in page.items:
            o = resolve(dataset_terms(catalogue, item.id), lab, tbl)
            if o.verdict in (MAY_OFFER, CONDITIONS):
                out.append(o)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return out[:limit]


__all__ = ["DatasetOffers", "OfferIndex", "lab_datasets", "offers_for"]
