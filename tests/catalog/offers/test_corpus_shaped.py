"""Offers on records shaped like the corpus's (issue 18): distributions with their own
licences and access URLs, ODRL policies on their own nodes, HealthDCAT-AP fields. The bulk
reading and the shared resolutions (policies parsed once per shape, resolutions shared by
datasets whose terms differ only in their policy's node) give exactly what reading and
resolving each dataset on its own gives."""

from __future__ import annotations

from dataclasses import replace

from bench.offers_bench import corpus_shaped
from catalog.facts import derive
from catalog.facts.read import catalogue_facts, record_facts
from catalog.labs import load_registry
from catalog.offers import OfferIndex
from catalog.offers.resolution import resolve
from catalog.service import Catalogue

N = 240


def test_bulk_facts_equal_each_dataset_read_alone(catalogue: Catalogue) -> None:
    catalogue.load(corpus_shaped(N), fmt="turtle", source="shaped", replace=True)
    derive._PARSED.clear()
    bulk = list(catalogue_facts(catalogue))
    assert len(bulk) == N
    with_policy = [f for f in bulk if f.policies]
    assert len(with_policy) == N // 3
    assert any(f.health is not None for f in bulk)
    assert all(len(f.licences) >= 1 for f in bulk)
    # a few shapes, each parsed once; every policy its own copy
    assert 0 < len(derive._PARSED) <= 4
    for f in bulk:
        assert record_facts(catalogue, f.dataset_id) == f, f.dataset_id
    derive._PARSED.clear()  # the plain path: every policy parsed through rdflib
    assert list(catalogue_facts(catalogue)) == bulk


def test_materialised_offers_equal_resolving_each_pair(catalogue: Catalogue) -> None:
    catalogue.load(corpus_shaped(N), fmt="turtle", source="shaped", replace=True)
    load_registry(catalogue)
    index = OfferIndex(catalogue)
    index.rebuild()
    assert len(index.offers) == N * len(index.labs)
    # shared: copies of one policy on nodes of their own do not make terms differ
    assert index.recomputed == len(index.offers)
    assert len(index._memo) < len(index.offers)
    named = [t for t in index.terms.values() if t.policies and t.policies[0].uid]
    assert len(named) == N // 6
    assert len({t.policies for t in named}) == len(named)  # every copy its own uid...
    assert len({t.signature().policies for t in named}) <= 2  # ...two policies in all
    for ident in index.terms:
        terms = record_facts(catalogue, ident)
        for lab in index.labs.values():
            plain = resolve(terms, lab, index.table)
            assert replace(index.offers[(ident, lab.id)], dataset=ident) == plain, (ident, lab.id)
