"""Offers over a catalogue, resolved directly: one dataset's offers, a lab's datasets.

Also the readers of dataset terms (one dataset, or every dataset of the catalogue or of one
source in a few SPARQL queries) that the materialised :class:`catalog.offers.index.OfferIndex`
builds on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rdflib import Graph, URIRef

from catalog.errors import DatasetNotFound
from catalog.graphs import CURRENT_GRAPHS, check_source_name
from catalog.namespaces import DLAB
from catalog.offers.dataset_terms import DatasetTerms, extract_terms
from catalog.offers.jsonld import offer_to_odrl
from catalog.offers.licence_store import licence_table
from catalog.offers.licences import LicenceTable
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolve import CONDITIONS, MAY_OFFER, Offer, resolve
from catalog.registry import get_lab, list_labs
from catalog.service import Catalogue
from catalog.store.base import Row, Term
from catalog.terms import to_rdflib_graph, to_rdflib_term

#: Project-vocabulary facts of a dataset that ``catalogue.get`` hides as internal.
_PROJECT_FACTS = (DLAB.dataSpace, DLAB.tdmReservation)


def dataset_terms(catalogue: Catalogue, dataset_id: str) -> DatasetTerms:
    """A dataset's terms, from its record plus its ``dlab:`` data space and TDM facts."""
    return record_terms(catalogue, dataset_id)[1]


def record_terms(catalogue: Catalogue, dataset_id: str) -> tuple[str, DatasetTerms]:
    """``(source, terms)`` of one dataset (raises :class:`DatasetNotFound`)."""
    record = catalogue.get(dataset_id)
    g = to_rdflib_graph(record.triples)
    values = " ".join(f"<{p}>" for p in _PROJECT_FACTS)
    rows = catalogue.store.select(
        f"SELECT ?p ?o WHERE {{ GRAPH <{record.ref.graph}> {{ "
        f"VALUES ?p {{ {values} }} <{record.ref.iri}> ?p ?o }} }}"
    )
    for row in rows:
        g.add((URIRef(record.ref.iri), URIRef(row["p"].value), to_rdflib_term(row["o"])))
    return record.ref.source, extract_terms(g, record.ref.iri, record.ref.id)


def _bulk_select(catalogue: Catalogue, predicate: str, source: str | None = None) -> list[Row]:
    flt = f'FILTER(?source = "{check_source_name(source)}")' if source else ""
    return catalogue.store.select(
        f"SELECT ?d ?o ?source WHERE {{ {CURRENT_GRAPHS} {flt} "
        f"GRAPH ?g {{ ?d <{predicate}> ?o }} }}"
    )


def bulk_terms(catalogue: Catalogue) -> list[DatasetTerms]:
    """Every dataset's terms from a few SPARQL queries (see :func:`bulk_terms_by_source`)."""
    return [t for _, t in bulk_terms_by_source(catalogue)]


def bulk_terms_by_source(
    catalogue: Catalogue, source: str | None = None
) -> list[tuple[str, DatasetTerms]]:
    """``(source, terms)`` of every dataset (of one source) from a few SPARQL queries.

    One query per predicate (much faster than one wide join on Oxigraph). Datasets with a
    policy, distributions, HealthDCAT-AP or personal-data details, or no data space, are
    re-read one by one through :func:`dataset_terms`, so the result equals the per-dataset
    extraction.
    """
    from catalog.namespaces import DCAT, DCT, DPV, HEALTHDCATAP, ODRL

    id_rows = _bulk_select(catalogue, str(DLAB.datasetId), source)
    ids = {r["d"].value: r["o"].value for r in id_rows}
    source_of = {r["o"].value: r["source"].value for r in id_rows}
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
        for row in _bulk_select(catalogue, str(pred), source):
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
            try:
                terms = dataset_terms(catalogue, ident)  # the full reader decides
            except DatasetNotFound:  # removed since the first query
                continue
        else:
            terms = _cached_extract(iri, ident, props)
        out.append((source_of[ident], terms))
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


#: Verdicts, best first: the order offers are listed in.
ORDER = {MAY_OFFER: 0, CONDITIONS: 1, "needs_review": 2, "may_not_offer": 3}


def sort_offers(offers: list[Offer]) -> list[Offer]:
    """Offers in display order: best verdict first, then by lab id."""
    return sorted(offers, key=lambda o: (ORDER[o.verdict], o.lab.id))


def offers_for(
    catalogue: Catalogue,
    dataset_id: str,
    profile: RequesterProfile | None = None,
    table: LicenceTable | None = None,
) -> DatasetOffers:
    """One dataset's offers by every lab, computed directly (no materialisation)."""
    terms = dataset_terms(catalogue, dataset_id)
    tbl = table or licence_table(catalogue.settings)
    offers = [resolve(terms, lab, tbl, profile) for lab in list_labs(catalogue)]
    return DatasetOffers(dataset_id, terms.iri, profile, sort_offers(offers))


def lab_datasets(
    catalogue: Catalogue, lab_id: str, table: LicenceTable | None = None, limit: int = 1000
) -> list[Offer]:
    """The datasets a lab can offer (may offer, or under conditions)."""
    lab = get_lab(catalogue, lab_id)
    tbl = table or licence_table(catalogue.settings)
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


__all__ = [
    "DatasetOffers",
    "bulk_terms",
    "dataset_terms",
    "lab_datasets",
    "offers_for",
    "sort_offers",
]
