"""Every dataset of the real DCAT-AP corpus reads into the model, faithfully and reversibly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from catalog.errors import ParseError
from catalog.model import Catalog, DataService, Dataset, DatasetSeries, Distribution, new_graph
from catalog.namespaces import DCAT, DCT, RDF
from tests.catalog.model.model_helpers import BROKEN, corpus_files, missing_triples, read_rdf

FILES = corpus_files()
PARSABLE = [f for f in FILES if f not in BROKEN]
CLASSES = [
    (DCAT.Dataset, Dataset),
    (DCAT.DatasetSeries, DatasetSeries),
    (DCAT.Distribution, Distribution),
    (DCAT.DataService, DataService),
    (DCAT.Catalog, Catalog),
]


def test_corpus_lists_the_expected_files(corpus: Path) -> None:
    assert len(PARSABLE) >= 60
    assert "geodcat-ap/examples/dataset.ttl" in PARSABLE
    assert all((corpus / name).exists() for name in BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_published_files_are_refused(corpus: Path, name: str) -> None:
    with pytest.raises(ParseError):
        read_rdf(corpus / name)


def _check(graph: Graph, cls: type, node: URIRef) -> object:
    model = cls.from_graph(graph, node)
    emitted = model.to_graph()
    missing = missing_triples(emitted, graph)
    assert not missing, f"{cls.__name__} {node} emits triples not in the source: {missing[:5]}"
    again = new_graph()
    back = cls.from_graph(again, model.add_to(again))
    assert back == model
    return model


@pytest.mark.parametrize("name", PARSABLE)
def test_every_resource_reads_as_a_subgraph_and_round_trips(corpus: Path, name: str) -> None:
    graph = read_rdf(corpus / name)
    before = len(graph)
    checked = 0
    for rdf_type, cls in CLASSES:
        for node in sorted(set(graph.subjects(RDF.type, rdf_type)), key=str):
            _check(graph, cls, node)
            checked += 1
    assert len(graph) == before, "from_graph must not change its input"
    if any(graph.subjects(RDF.type, DCAT.Dataset)):
        assert checked > 0


@pytest.mark.parametrize("name", PARSABLE)
def test_dataset_titles_and_distributions_are_all_kept(corpus: Path, name: str) -> None:
    graph = read_rdf(corpus / name)
    for node in set(graph.subjects(RDF.type, DCAT.Dataset)):
        dataset = Dataset.from_graph(graph, node)
        titles = {(o.language or "", str(o)) for o in graph.objects(node, DCT.title)}
        assert set(dataset.title.pairs()) == titles
        dists = [o for o in graph.objects(node, DCAT.distribution) if not isinstance(o, Literal)]
        assert len(dataset.distribution) == len(set(dists))
        keywords = {str(o) for o in graph.objects(node, DCAT.keyword)}
        assert {text for _, text in dataset.keyword.pairs()} == keywords


def test_geodcat_dataset_reads_as_a_person_expects(corpus: Path) -> None:
    graph = read_rdf(corpus / "geodcat-ap/examples/dataset.ttl")
    iri = "https://some.catalogue/resource/eea_r_3035_10_m_noise-contours-end2017_i_2016_v01_r00"
    dataset = Dataset.from_graph(graph, URIRef(iri))
    assert dataset.iri == iri
    assert dataset.title_for(["de", "en"]).startswith("Noise contours data")
    assert dataset.frequency == "http://publications.europa.eu/resource/authority/frequency/IRREG"
    (period,) = dataset.temporal
    assert str(period.start) == "2016-01-01"
    assert period.end.python.year == 2016
    (place,) = dataset.spatial
    assert place.iri is None
    assert any("POLYGON" in v.lexical for v in place.bbox)
    (contact,) = dataset.contact_point
    assert contact.emails == ["info@eea.europa.eu"]
    assert contact.fn.best(["en"]) == "European Environment Agency"
    (dist,) = dataset.distribution
    assert dist.format == "http://publications.europa.eu/resource/authority/file-type/TIFF"
    assert dist.license is not None
    assert dist.license.label.best([]).startswith("The full noise")
    (service,) = dist.access_service
    assert service.endpoint_url[0].endswith("/WMSServer")
    assert [v.python for v in dataset.spatial_resolution_in_meters] == [10]
    body = dataset.to_dict()
    assert body["created"] == "2019-10-31"
    assert body["title"]["en"][0].startswith("Noise contours")


def test_owl_time_period_is_read_and_written_back_in_its_own_form(corpus: Path) -> None:
    from catalog.model import PeriodOfTime
    from catalog.namespaces import TIME

    graph = read_rdf(corpus / "geodcat-ap/examples/period-of-time-with-owl-time.ttl")
    (node,) = graph.subjects(RDF.type, DCT.PeriodOfTime)
    period = PeriodOfTime.from_graph(graph, node)
    assert (str(period.start), str(period.end)) == ("2016-01-01", "2016-12-31")
    assert period.start_date is None
    out = period.to_graph()
    assert len(list(out.triples((None, TIME.hasBeginning, None)))) == 1
    assert not missing_triples(out, graph)


@pytest.mark.parametrize("name", PARSABLE)
def test_blank_node_free_triples_agree_with_rdflibs_own_parser(corpus: Path, name: str) -> None:
    """Independent oracle: rdflib's parser on the same file holds every ground triple."""
    oracle = Graph().parse(corpus / name, format="xml" if name.endswith(".rdf") else "turtle")
    graph = read_rdf(corpus / name)
    for node in set(graph.subjects(RDF.type, DCAT.Dataset)):
        if not isinstance(node, URIRef):
            continue
        emitted = Dataset.from_graph(graph, node).to_graph()
        ground = [t for t in emitted if not any(isinstance(x, BNode) for x in t)]
        assert ground
        assert [t for t in ground if t not in oracle] == []


def test_the_subgraph_oracle_notices_a_changed_value(corpus: Path) -> None:
    graph = read_rdf(corpus / "geodcat-ap/examples/dataset.ttl")
    (node,) = graph.subjects(RDF.type, DCAT.Dataset)
    dataset = Dataset.from_graph(graph, node)
    (dist,) = dataset.distribution
    changed = replace(dataset, distribution=(replace(dist, byte_size=5),))
    assert missing_triples(changed.to_graph(), graph)
    assert missing_triples(replace(dataset, keyword={"fr": ["bruit"]}).to_graph(), graph)
    assert not missing_triples(dataset.to_graph(), graph)


def test_dataset_series_and_its_members_link_up(corpus: Path) -> None:
    graph = read_rdf(
        corpus / "dcat-ap/3.0.0/examples/example-bee-population-dataset-series-ordered.ttl"
    )
    series_iri = "https://data.gov.gr/id/datasetseries/BeePopulation"
    series = DatasetSeries.from_graph(graph, series_iri)
    assert series.title_for(["en"]) == "Bee population"
    assert series.last == "https://data.gov.gr/id/dataset/BeePopulation2023"
    latest = Dataset.from_graph(graph, series.last)
    assert latest.in_series == (series_iri,)
    assert latest.prev == "https://data.gov.gr/id/dataset/BeePopulation2022"
    assert str(DCAT.DatasetSeries) in series.rdf_type
