"""The built-in demo catalogue: loads, lists every data space, and meets DCAT-AP 3.0.1.

The oracles are the official SHACL shapes in the corpus (DCAT-AP 3.0.1, HealthDCAT-AP),
checked with pyshacl against what the catalogue stores and exports, not against the files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from catalog.demo import DEMO_DATA_SPACES, DEMO_SOURCES, load_demo
from catalog.graphs import CURRENT_GRAPHS
from catalog.namespaces import (
    DCAT,
    DCT,
    DLAB,
    EU_ACCESS_RIGHT,
    EU_LICENCE,
    FOAF,
    HEALTHDCATAP,
    ODRL,
)
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue

DATASET = URIRef(str(DCAT.Dataset))
SERIES = URIRef(str(DCAT.DatasetSeries))
TDM_MINE = URIRef("http://www.w3.org/ns/tdmrep#mine")
OPEN_LICENCES = {
    EU_LICENCE.CC_BY_4_0,
    EU_LICENCE.CC0,
    URIRef("http://spdx.org/licenses/CC-BY-4.0"),
    URIRef("http://spdx.org/licenses/CC0-1.0"),
}
# Property shapes the 3.0.1 file lists under dcat:DataServiceShape but defines only in
# ranges.ttl (which has dangling references of its own); pyshacl refuses to run with them.
DANGLING_301 = {
    "https://semiceu.github.io/DCAT-AP/releases/3.0.1#dcat:DataServiceShape/"
    "dc08f4dca4377fade57f89454e3fa06a8389d314",
    "https://semiceu.github.io/DCAT-AP/releases/3.0.1#dcat:DataServiceShape/"
    "eb3ac4e4fdde2e2588a9502c5956060a18c5c99f",
}


def _parse(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def _datasets(graph: Graph) -> list[URIRef]:
    found = set(graph.subjects(RDF.type, DATASET)) | set(graph.subjects(RDF.type, SERIES))
    return sorted(n for n in found if isinstance(n, URIRef))


def _exported(catalogue: Catalogue, source: str) -> Graph:
    return to_rdflib_graph(catalogue.export_triples(source))


@pytest.fixture(scope="module")
def dcat_ap_301(corpus: Path) -> Graph:
    shapes = Graph().parse(corpus / "dcat-ap" / "3.0.1" / "dcat-ap-SHACL.ttl", format="turtle")
    dangling = {
        (node, ps)
        for node, ps in shapes.subject_objects(SH.property)
        if shapes.value(ps, SH.path) is None
    }
    assert {str(ps) for _, ps in dangling} == DANGLING_301
    for node, ps in dangling:
        shapes.remove((node, SH.property, ps))
    return shapes


@pytest.fixture(scope="module")
def healthdcat_ap(corpus: Path) -> Graph:
    return Graph().parse(corpus / "healthdcat-ap" / "healthdcatap-shacl.ttl", format="turtle")


@pytest.fixture
def loaded(catalogue: Catalogue) -> Catalogue:
    reports = load_demo(catalogue)
    assert [r.source for r in reports] == list(DEMO_SOURCES)
    for report in reports:
        assert report.errors == [], f"{report.source}: {report.errors}"
    return catalogue


def _violations(data: Graph, shapes: Graph) -> list[tuple[str, str, str]]:
    """(focus node, path, message) of every Violation-level result."""
    _, results, _ = validate(data, shacl_graph=shapes, allow_warnings=True)
    assert isinstance(results, Graph)
    out = []
    for r in results.subjects(SH.resultSeverity, SH.Violation):
        out.append(
            (
                str(results.value(r, SH.focusNode)),
                str(results.value(r, SH.resultPath)),
                str(results.value(r, SH.resultMessage)),
            )
        )
    return sorted(out)


# -- the files -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", list(DEMO_SOURCES))
def test_every_file_parses_into_one_described_catalogue(source: str) -> None:
    graph = _parse(DEMO_SOURCES[source])
    catalogs = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    cat = catalogs[0]
    for prop in (DCT.title, DCT.description, DCT.publisher, FOAF.homepage):
        assert graph.value(cat, prop) is not None, f"{source}: catalogue lacks {prop}"
    assert graph.value(graph.value(cat, DCT.publisher), FOAF.name) is not None
    datasets = _datasets(graph)
    assert 8 <= len(datasets) <= 12
    assert set(graph.objects(cat, DCAT.dataset)) == set(datasets)
    for ds in datasets:
        assert str(ds).startswith("https://demo.datalab.example.eu/dataset/")


def test_titles_are_multilingual() -> None:
    titles: dict[URIRef, set[str]] = {}
    all_titles: list[Literal] = []
    for path in DEMO_SOURCES.values():
        graph = _parse(path)
        for ds in _datasets(graph):
            values = [t for t in graph.objects(ds, DCT.title) if isinstance(t, Literal)]
            titles[ds] = {t.language or "" for t in values}
            all_titles.extend(values)
    assert all("en" in langs for langs in titles.values())
    multilingual = [ds for ds, langs in titles.items() if langs - {"en"}]
    assert len(multilingual) * 3 >= len(titles)
    texts: dict[str | None, list[str]] = {t.language: [] for t in all_titles}
    for t in all_titles:
        texts[t.language].append(str(t))
    assert any("Krankenhausaufenthalte" in t for t in texts["de"])
    assert any(ch in t for t in texts["de"] for ch in "äöüÄÖÜß")
    assert any(ch in t for t in texts["fr"] for ch in "éèàçê")
    assert any(ch in t for t in texts["pl"] for ch in "ąćęłńóśźż")
    assert texts["el"]
    assert texts["it"]


# -- loaded into the catalogue ---------------------------------------------------------------


def test_load_demo_lists_the_datasets_of_all_four_data_spaces(loaded: Catalogue) -> None:
    for source, path in DEMO_SOURCES.items():
        expected = {str(ds) for ds in _datasets(_parse(path))}
        listed: set[str] = set()
        cursor = None
        while True:
            page = loaded.datasets(source=source, cursor=cursor, limit=5)
            listed |= {item.iri for item in page.items}
            assert all(item.titles for item in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert listed == expected, source
        assert loaded.count(source) == len(expected)
    assert loaded.count() == sum(len(_datasets(_parse(p))) for p in DEMO_SOURCES.values())


def test_every_dataset_is_tagged_with_its_data_space(loaded: Catalogue) -> None:
    rows = loaded.store.select(
        f"SELECT ?source ?d ?space WHERE {{ {CURRENT_GRAPHS} "
        f"GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id OPTIONAL {{ ?d <{DLAB.dataSpace}> ?space }} }} }}"
    )
    assert rows
    for row in rows:
        source = row["source"].value
        space = row["space"].value if "space" in row else None
        assert space == DEMO_DATA_SPACES[source], f"{row['d'].value} in {source}: {space}"
    assert {row["source"].value for row in rows} == set(DEMO_SOURCES)


def test_every_dataset_has_title_description_access_rights_and_licensed_distributions(
    loaded: Catalogue,
) -> None:
    problems: list[str] = []
    page = loaded.datasets(limit=loaded.settings.max_page_size)
    assert page.next_cursor is None
    for item in page.items:
        record = to_rdflib_graph(loaded.get(item.id).triples)
        ds = URIRef(item.iri)
        for prop in (DCT.title, DCT.description, DCT.accessRights):
            if record.value(ds, prop) is None:
                problems.append(f"{item.iri}: no {prop}")
        rights = record.value(ds, DCT.accessRights)
        if rights is not None and not str(rights).startswith(str(EU_ACCESS_RIGHT)):
            problems.append(f"{item.iri}: access rights {rights} not an EU access-right IRI")
        distributions = list(record.objects(ds, DCAT.distribution))
        if (ds, RDF.type, SERIES) in record:
            members = loaded.store.select(
                f"SELECT ?m WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ ?m <{DCAT.inSeries}> <{ds}> }} }}"
            )
            if not members:
                problems.append(f"{item.iri}: series without members")
            continue
        if not distributions:
            problems.append(f"{item.iri}: no distribution")
        for dist in distributions:
            if record.value(dist, DCT.license) is None:
                problems.append(f"{item.iri}: distribution {dist} has no licence")
            for prop in (DCAT.accessURL, DCAT.mediaType, DCT.format):
                if record.value(dist, prop) is None:
                    problems.append(f"{item.iri}: distribution {dist} has no {prop}")
    assert problems == []


def test_load_demo_twice_leaves_the_same_catalogue(loaded: Catalogue) -> None:
    counts = {s: loaded.count(s) for s in DEMO_SOURCES}
    triples = {s: len(loaded.export_triples(s)) for s in DEMO_SOURCES}
    reports = load_demo(loaded)
    assert all(r.errors == [] for r in reports)
    assert {s: loaded.count(s) for s in DEMO_SOURCES} == counts
    assert {s: len(loaded.export_triples(s)) for s in DEMO_SOURCES} == triples
    assert [s.name for s in loaded.sources()] == sorted(DEMO_SOURCES)


def test_terms_give_the_offers_logic_something_to_decide(loaded: Catalogue) -> None:
    usable, not_usable = set(), set()
    graph = Graph()
    for source in DEMO_SOURCES:
        graph += _exported(loaded, source)
    for ds in graph.subjects(RDF.type, DATASET):
        licences = {graph.value(d, DCT.license) for d in graph.objects(ds, DCAT.distribution)}
        public = graph.value(ds, DCT.accessRights) == EU_ACCESS_RIGHT.PUBLIC
        if licences and public and licences <= OPEN_LICENCES:
            usable.add(ds)
        if graph.value(ds, DCT.accessRights) == EU_ACCESS_RIGHT.NON_PUBLIC:
            not_usable.add(ds)
    assert len(usable) >= 8
    assert len(not_usable) >= 8
    prohibited = {
        graph.value(rule, ODRL.action)
        for policy in graph.objects(None, ODRL.hasPolicy)
        if (policy, RDF.type, ODRL.Offer) in graph
        for rule in graph.objects(policy, ODRL.prohibition)
    }
    assert {ODRL.commercialize, TDM_MINE} <= prohibited


# -- the official shapes ---------------------------------------------------------------------


@pytest.mark.parametrize("source", list(DEMO_SOURCES))
def test_demo_conforms_to_dcat_ap_301(loaded: Catalogue, dcat_ap_301: Graph, source: str) -> None:
    exported = _exported(loaded, source)
    assert len(_datasets(exported)) == loaded.count(source)
    assert _violations(exported, dcat_ap_301) == []


def test_dcat_ap_oracle_rejects_a_dataset_without_title(dcat_ap_301: Graph) -> None:
    graph = _parse(DEMO_SOURCES["demo-research"])
    victim = _datasets(graph)[0]
    graph.remove((victim, DCT.title, None))
    violations = _violations(graph, dcat_ap_301)
    assert [(v[0], v[1]) for v in violations] == [(str(victim), str(DCT.title))]


def test_health_datasets_conform_to_healthdcat_ap(loaded: Catalogue, healthdcat_ap: Graph) -> None:
    exported = _exported(loaded, "demo-health")
    violations = _violations(exported, healthdcat_ap)
    # The corpus shapes are the NON_PUBLIC profile; its only rule the PUBLIC and RESTRICTED
    # datasets deliberately break is "dct:accessRights must be NON_PUBLIC".
    not_non_public = {
        str(ds)
        for ds in exported.subjects(RDF.type, DATASET)
        if exported.value(ds, DCT.accessRights) != EU_ACCESS_RIGHT.NON_PUBLIC
    }
    assert len(not_non_public) == 4
    expected = sorted(
        (
            ds,
            str(DCT.accessRights),
            "Each Dataset must have exactly one dct:accessRights, and its value must be "
            "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC.",
        )
        for ds in not_non_public
    )
    assert violations == expected
    for ds in exported.subjects(RDF.type, DATASET):
        assert exported.value(ds, HEALTHDCATAP.hdab) is not None
        assert exported.value(ds, HEALTHDCATAP.healthCategory) is not None


def test_the_demos_own_licences_are_mapped_so_health_data_gets_an_answer(
    loaded: Catalogue,
) -> None:
    """The demo writes two licences of its own (an EHDS data permit's terms, a research use
    agreement); loading it maps them as an operator would, so a researcher asking about a
    dataset under either gets the permit or agreement route, not "needs review" from every
    lab for want of a mapping."""
    from catalog.demo import DEMO_LICENCES
    from catalog.labs import load_registry
    from catalog.offers import RequesterProfile, offers_for
    from catalog.offers.licence_store import LICENCES, licence_table

    table = licence_table(loaded.documents)
    assert all(table.lookup(e.key) == e for e in DEMO_LICENCES)
    load_registry(loaded)
    profile = RequesterProfile.parse("research", "ES", "academic-research")
    for licence in DEMO_LICENCES:
        held = [
            r.id
            for r in loaded.datasets(source="demo-health", limit=100).items
            if licence.key in " ".join(str(t) for t in loaded.get(r.id).triples)
        ]
        assert held, licence.key
        for ident in held:
            verdicts = {o.verdict for o in offers_for(loaded, ident, profile).offers}
            assert "may_offer_under_conditions" in verdicts, (ident, verdicts)
    version = loaded.documents.stamp(LICENCES)
    load_demo(loaded)  # mapped already: the operator's mappings are not written again
    assert loaded.documents.stamp(LICENCES) == version
