"""The search projection's offer facets come from the facts it derived (issue 18).

Before the stored offers are built (a server's first start, the CLI), the projection asked
the offers engine for each dataset's ``lab`` and ``ai_training`` facets, and the engine read
every dataset's record again, one at a time (1.6 ms a dataset: 54 minutes at 2M). Now the
projection hands on the facts it derived and each distinct terms is resolved once. These
tests hold the answers to those of resolving each dataset directly, on the demo, records
shaped like the corpus's and the corpus's HealthDCAT-AP records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.offers_bench import corpus_shaped
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.labs.store import edit_lab
from catalog.offers import facets as offer_facets_module
from catalog.offers.facets import offer_facets
from catalog.offers.licence_store import add_licence, make_entry
from catalog.search.engine import SearchService
from catalog.search.project import SearchDoc, project_graph, provider_pairs
from catalog.search.providers import OfferFacets
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.catalog.legacy import held_twice_lookups, second_record

N = 120
FIELDS = ("lab", "ai_training")
LICENCE = "http://publications.europa.eu/resource/authority/licence/"


@pytest.fixture
def cat(settings: Settings, corpus: Path) -> Iterator[Catalogue]:
    with Catalogue.open(settings) as c:
        load_demo(c)
        c.load(corpus_shaped(N), fmt="turtle", source="shaped", replace=True)
        for name in ("dataset_health.ttl", "dataset_health_no_blank.ttl"):
            data = (corpus / "healthdcat-ap" / "ckanext-dcat" / name).read_bytes()
            c.load(data, fmt="turtle", source=f"health-{name.split('.')[0]}", replace=True)
        load_registry(c)
        yield c


def _projected(cat: Catalogue, provider: OfferFacets) -> dict[str, SearchDoc]:
    docs: dict[str, SearchDoc] = {}
    for src in cat.sources():
        for doc in project_graph(cat, src.name, src.graph, providers=(provider,)):
            docs[doc.id] = doc
    return docs


def _offer_pairs(doc: SearchDoc) -> set[tuple[str, str]]:
    return {(name, v) for name in FIELDS for v in doc.facets.get(name, ())}


def _direct(cat: Catalogue, ids: list[str]) -> dict[str, set[tuple[str, str]]]:
    """Each dataset resolved on its own (its record read again): the plain path."""
    answers = offer_facets(cat, ids)
    return {ident: provider_pairs(answers[ident]) if ident in answers else set() for ident in ids}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The datasets the offers facets read from the store one at a time."""
    seen: list[str] = []
    plain = offer_facets_module.record_facts

    def counted(catalogue: Catalogue, dataset_id: str):  # type: ignore[no-untyped-def]
        seen.append(dataset_id)
        return plain(catalogue, dataset_id)

    monkeypatch.setattr(offer_facets_module, "record_facts", counted)
    return seen


def test_the_projection_gives_the_offer_facets_of_resolving_each_dataset(
    cat: Catalogue, reads: list[str]
) -> None:
    docs = _projected(cat, OfferFacets())
    assert reads == []  # no dataset read again
    assert len(docs) > N
    offered = [d for d in docs.values() if d.facets.get("lab")]
    assert offered and len(offered) < len(docs)  # some labs may offer, not every dataset
    assert any("true" in d.facets.get("ai_training", ()) for d in docs.values())
    assert any("false" in d.facets.get("ai_training", ()) for d in docs.values())
    direct = _direct(cat, sorted(docs))
    assert {i: _offer_pairs(d) for i, d in docs.items()} == direct


def test_one_by_one_projection_gives_the_same_facets(cat: Catalogue) -> None:
    src = next(s for s in cat.sources() if s.name == "shaped")
    whole = list(project_graph(cat, src.name, src.graph, providers=(OfferFacets(),)))
    named = project_graph(cat, src.name, src.graph, [d.id for d in whole[:30]], (OfferFacets(),))
    assert {d.id: _offer_pairs(d) for d in named} == {d.id: _offer_pairs(d) for d in whole[:30]}


def test_an_id_held_by_two_records_gets_no_offer_facets_as_when_resolved_directly(
    cat: Catalogue,
) -> None:
    provider = OfferFacets()
    before = _projected(cat, provider)
    twice = next(i for i, d in before.items() if d.facets.get("lab") and d.source == "shaped")
    second_record(cat, twice)
    src = next(s for s in cat.sources() if s.name == "shaped")
    after = {d.id: d for d in project_graph(cat, src.name, src.graph, providers=(provider,))}
    assert _offer_pairs(after[twice]) == set() == _direct(cat, [twice])[twice]
    others = [i for i in after if i != twice]
    assert {i: _offer_pairs(after[i]) for i in others} == {
        i: _offer_pairs(before[i]) for i in others
    }


def test_a_lab_or_licence_change_is_seen_by_the_next_projection(cat: Catalogue) -> None:
    provider = OfferFacets()  # one provider throughout: what it remembers must not go stale
    first = _projected(cat, provider)
    assert any("brain-datalab" in d.facets.get("lab", ()) for d in first.values())
    edit_lab(cat, "brain-datalab", {"data_spaces": []}, staff_factory="brain")
    second = _projected(cat, provider)
    assert all("brain-datalab" not in d.facets.get("lab", ()) for d in second.values())
    assert {i: _offer_pairs(d) for i, d in second.items()} == _direct(cat, sorted(second))
    add_licence(  # CC BY 4.0, as an operator who reads it as reserving AI training
        cat.documents,
        make_entry(f"{LICENCE}CC_BY_4_0", permits=["tdm"], prohibits=["ai-training"]),
    )
    third = _projected(cat, provider)
    assert {i: _offer_pairs(d) for i, d in third.items()} != {
        i: _offer_pairs(d) for i, d in second.items()
    }
    assert {i: _offer_pairs(d) for i, d in third.items()} == _direct(cat, sorted(third))


def test_more_distinct_terms_than_are_kept_give_the_same_facets(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offer_facets_module, "TERMS_KEPT", 2)  # forgotten every few terms
    docs = _projected(cat, OfferFacets())
    assert {i: _offer_pairs(d) for i, d in docs.items()} == _direct(cat, sorted(docs))


def test_a_build_looks_up_the_ids_held_twice_once_and_gives_them_no_offer_facets(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _projected(cat, OfferFacets())
    twice = next(i for i, d in before.items() if d.facets.get("lab") and d.source == "shaped")
    second_record(cat, twice)
    lookups = held_twice_lookups(cat, monkeypatch)
    service = SearchService.open(cat, (OfferFacets(),), attach=False)
    try:
        assert service.origin == "build"
        built = service.facet_values(sorted(before), FIELDS)
    finally:
        service.close()
    assert len(lookups) == 1  # not once per batch of the build
    assert not built.get(twice, {}).get("lab")
    others = sorted(i for i in before if i != twice)
    direct = _direct(cat, others)
    assert {i: {(f, v) for f in FIELDS for v in built.get(i, {}).get(f, [])} for i in others} == (
        direct
    )
