"""One reading of a dataset: its facts, derived once, equal whichever way the record is read."""

from __future__ import annotations

import gc
from pathlib import Path
from types import SimpleNamespace

import pytest
from rdflib import Graph, URIRef

from bench.offers_bench import corpus_shaped
from catalog.demo import load_demo
from catalog.errors import DatalabError
from catalog.facts.derive import HEALTHDCAT_PROPERTIES, facts_from_rdflib
from catalog.facts.read import catalogue_facts, gc_paused, record_facts
from catalog.namespaces import HEALTHDCATAP, ODRL
from catalog.service import Catalogue
from catalog.store.base import DescribesSubjects
from tests.catalog.test_roundtrip import PARSABLE
from tests.conftest import CORPUS

HEAD = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix theme: <http://publications.europa.eu/resource/authority/data-theme/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix dlab: <https://w3id.org/datalab/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix healthdcatap: <http://healthdataportal.eu/ns/health#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
"""
DS = "https://ex.org/ds/1"


def facts(body: str):
    ttl = HEAD + f"<{DS}> a dcat:Dataset ; {body} ."
    return facts_from_rdflib(Graph().parse(data=ttl, format="turtle"), DS, "d1")


@pytest.mark.parametrize(
    ("rights", "level", "conflict"),
    [
        ("ar:PUBLIC", "public", False),
        ("ar:RESTRICTED", "restricted", False),
        ("ar:NON_PUBLIC", "non_public", False),
        ("ar:PUBLIC, ar:RESTRICTED", "restricted", True),
        ("ar:RESTRICTED, ar:PUBLIC", "restricted", True),
        ("ar:PUBLIC, ar:NON_PUBLIC", "non_public", True),
        (
            "<http://publications.europa.eu/resource/authority/access-right/public>",
            "unknown",
            False,
        ),
        ("ar:PUBLIC, <https://ex.org/members-only>", "unknown", True),
        ('"PUB"', "public", False),
        ('"ACA"', "restricted", False),
    ],
)
def test_access_level_is_the_most_closed_stated(rights, level, conflict):
    f = facts(f"dct:accessRights {rights}")
    assert f.access_level == level
    assert f.access_conflict is conflict
    assert f.rows_public is (level == "public")


def test_no_access_rights_is_unknown_and_closed():
    f = facts('dct:title "x"')
    assert (f.access_level, f.rows_public, f.access_values) == ("unknown", False, ())


def test_licences_of_the_dataset_and_its_distributions_and_licences_given_as_text():
    f = facts(
        "dct:license <http://spdx.org/licenses/CC0-1.0> ; dcat:distribution [ a dcat:Distribution ;"
        ' dct:license [ a dct:LicenseDocument ; rdfs:label "Only for our partners" ] ]'
    )
    assert f.licences == ("http://spdx.org/licenses/CC0-1.0",)
    assert f.licence_texts == ("Only for our partners",)


def test_data_spaces_say_how_they_were_assigned():
    declared = facts(
        "dlab:dataSpace <https://w3id.org/datalab/dataspace/language> ; dcat:theme theme:AGRI"
    )
    assert [(x.space, x.how) for x in declared.data_spaces] == [
        ("language", "declared by its source")
    ]
    themed = facts("dcat:theme theme:AGRI")
    assert ("agriculture", "EU data theme AGRI") in [(x.space, x.how) for x in themed.data_spaces]
    health = facts('healthdcatap:hdab [ foaf:name "Findata" ] ; dct:accessRights ar:NON_PUBLIC')
    assert health.space_ids == ("health",)
    assert health.health is not None and health.health.body == "Findata"
    assert health.health_route


@pytest.mark.parametrize(
    ("statement", "reserved"),
    [
        ("dlab:tdmReservation true", True),
        ("dlab:tdmReservation false", False),
        ('<http://www.w3.org/ns/tdmrep#reservation> "1"', True),
        ('<http://www.w3.org/ns/tdmrep#reservation> "0"', False),
        (
            "odrl:hasPolicy [ odrl:prohibition "
            "[ odrl:action <http://www.w3.org/ns/tdmrep#mine> ] ]",
            True,
        ),
        ("odrl:hasPolicy [ odrl:permission [ odrl:action odrl:use ] ]", False),
    ],
)
def test_tdm_reservation_whatever_the_form(statement, reserved):
    assert facts(statement).tdm_reserved is reserved


def test_a_policy_named_but_not_described_cannot_be_read():
    f = facts("odrl:hasPolicy <https://ex.org/policy/elsewhere>")
    assert f.policies == ()
    assert f.policy_errors and "not described" in f.policy_errors[0]


def _load_corpus(catalogue: Catalogue, corpus: Path) -> int:
    files = [
        *sorted((corpus / "dcat-ap" / "ckanext-dcat").glob("*.ttl")),
        *sorted((corpus / "dcat-ap" / "ckanext-dcat").glob("*.rdf")),
        *sorted((corpus / "healthdcat-ap" / "ckanext-dcat").glob("*.ttl")),
        corpus / "healthdcat-ap" / "health-ri" / "example-dataset.ttl",
        *sorted((corpus / "geodcat-ap" / "examples").glob("*.ttl")),
    ]
    loaded = 0
    for n, path in enumerate(files):
        try:
            catalogue.load(path.read_bytes(), filename=path.name, source=f"corpus-{n}")
            loaded += 1
        except DatalabError:
            continue
    return loaded


def test_single_and_bulk_readings_are_equal_on_the_demo_and_the_corpus(
    catalogue: Catalogue, corpus: Path
) -> None:
    load_demo(catalogue)
    assert _load_corpus(catalogue, corpus) >= 5
    bulk = list(catalogue_facts(catalogue))
    assert len(bulk) == catalogue.count()
    assert any(f.policies for f in bulk)
    assert any(f.health_route for f in bulk)
    assert any(f.access_level == "restricted" for f in bulk)
    for f in bulk:
        assert record_facts(catalogue, f.dataset_id) == f, f.dataset_id


@pytest.mark.parametrize("rel", PARSABLE)
def test_each_corpus_file_reads_the_same_in_bulk_and_alone(catalogue: Catalogue, rel: str) -> None:
    catalogue.load_file(CORPUS / rel, source="corpus", replace=True)
    bulk = list(catalogue_facts(catalogue, "corpus"))
    assert len(bulk) == catalogue.count()
    for f in bulk:
        assert record_facts(catalogue, f.dataset_id) == f, f.dataset_id


class _SelectOnly:
    """The embedded store seen through SELECT alone, as a backend with neither the
    predicate scan nor the subject lookup (:mod:`catalog.store.base`) is."""

    def __init__(self, store: object) -> None:
        self.select = store.select  # type: ignore[attr-defined]


def test_the_fast_reads_give_what_select_gives(catalogue: Catalogue, corpus: Path) -> None:
    """The bulk reading through the embedded store's predicate scans and subject lookups
    equals the one through plain SELECTs, policy closure included."""
    load_demo(catalogue)
    catalogue.load(corpus_shaped(120), fmt="turtle", source="shaped", replace=True)
    catalogue.load_file(
        corpus / "healthdcat-ap" / "health-ri" / "example-dataset.ttl", source="hri", replace=True
    )
    fast = list(catalogue_facts(catalogue))
    plain = SimpleNamespace(store=_SelectOnly(catalogue.store), documents=catalogue.documents)
    assert list(catalogue_facts(plain)) == fast  # type: ignore[arg-type]
    assert sum(1 for f in fast if f.policies) >= 40


def test_the_subject_lookup_reads_what_select_reads(catalogue: Catalogue) -> None:
    catalogue.load(corpus_shaped(30), fmt="turtle", source="shaped", replace=True)
    graph = catalogue.graphs.current("shaped")
    assert graph is not None
    store = catalogue.store
    assert isinstance(store, DescribesSubjects)
    rows = store.select(f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s <{ODRL.hasPolicy}> ?p }} }}")
    subjects = [*sorted({r["s"].value for r in rows}), "https://ex.org/not-there"]
    values = " ".join(f"<{s}>" for s in subjects)
    select = store.select(
        f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ VALUES ?s {{ {values} }} ?s ?p ?o }} }}"
    )
    expected = sorted((r["s"].value, r["p"].value, str(r["o"])) for r in select)
    found = sorted((s, p, str(o)) for s, p, o in store.subject_triples(graph, subjects))
    assert found == expected
    assert len(found) > 10 * len(rows)


def test_a_bulk_read_holds_the_collector_and_gives_it_back() -> None:
    """Nested pauses turn the collector on again once, when the last ends; a collector
    someone else turned off stays off."""
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a failed build")
    assert gc.isenabled()


def test_a_bulk_read_leaves_no_cycles_for_the_held_collector(catalogue: Catalogue) -> None:
    """While a bulk read holds the collector only reference counting frees memory: a
    reference cycle made per dataset (a recursive closure over the index, as the policy
    shapes once were) kept every index of the read alive until the pause ended, and the
    first collection after it walked them all. The read's index is freed when it returns;
    what the collector finds afterwards is the few policies parsed through rdflib."""
    catalogue.load(corpus_shaped(600), fmt="turtle", source="shaped", replace=True)
    list(catalogue_facts(catalogue))  # policies parsed once: the next read reuses them
    gc.collect()
    with gc_paused():
        facts = list(catalogue_facts(catalogue))
        left = gc.collect()  # runs even while paused: counts the unreachable cycles
    assert sum(1 for f in facts if f.policies) == 200
    assert left < 100, f"{left} objects in cycles after reading 600 datasets"


def test_the_healthdcat_property_list_holds_every_path_of_the_published_shapes() -> None:
    """The list that marks a health dataset (the same in bulk and alone) is written out;
    every HealthDCAT-AP property the published SHACL shapes constrain must be in it."""
    shapes = Graph().parse(CORPUS / "healthdcat-ap" / "healthdcatap-shacl.ttl")
    path = "http://www.w3.org/ns/shacl#path"
    paths = {
        str(o) for o in shapes.objects(None, URIRef(path)) if str(o).startswith(str(HEALTHDCATAP))
    }
    assert len(paths) > 10
    assert paths <= HEALTHDCAT_PROPERTIES, sorted(paths - HEALTHDCAT_PROPERTIES)
