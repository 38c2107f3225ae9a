"""The catalogue's behaviour, the same on every store backend (a Catalogue over each)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from catalog.errors import DatasetNotFound, ParseError
from catalog.graphs import VERSION_PREFIX
from catalog.service import Catalogue

from .store_builders import EX, datasets_turtle

MS_CATALOGUE = "dcat-ap/hvd-3.0.0/examples/example-ms_catalogue.ttl"
#: Published with a broken first @prefix line (see the corpus PROVENANCE.md).
BROKEN_TURTLE = "dcat-ap/hvd-3.0.0/examples/example-bees_wasps_dataset.ttl"
BEES = "https://data.exampleMS.gov/id/dataset/1T2p3o4B"


def rdflib_graph(data: bytes, fmt: str = "turtle") -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=fmt)


def versions(catalogue: Catalogue, source: str) -> list[str]:
    prefix = f"{VERSION_PREFIX}{source}:"
    return [g for g in catalogue.store.named_graphs() if g.startswith(prefix)]


def test_load_a_corpus_catalogue(catalogue: Catalogue, corpus: Path) -> None:
    report = catalogue.load_file(corpus / MS_CATALOGUE, source="ms", replace=True)
    assert report.errors == []
    assert report.datasets == 1
    assert report.triples > 40
    assert catalogue.count() == 1
    assert catalogue.count("ms") == 1
    assert catalogue.count("other") == 0
    assert [s.name for s in catalogue.sources()] == ["ms"]


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "xml", "jsonld"])
def test_export_round_trip_is_isomorphic(catalogue: Catalogue, corpus: Path, fmt: str) -> None:
    original = (corpus / MS_CATALOGUE).read_bytes()
    catalogue.load(original, fmt="turtle", source="ms", replace=True)
    rdflib_format = {"turtle": "turtle", "ntriples": "nt", "xml": "xml", "jsonld": "json-ld"}
    exported = rdflib_graph(catalogue.export(fmt, source="ms"), rdflib_format[fmt])
    assert isomorphic(exported, rdflib_graph(original))
    assert isomorphic(rdflib_graph(catalogue.export("turtle")), rdflib_graph(original))


def test_get_by_id_restores_the_record(catalogue: Catalogue, corpus: Path) -> None:
    report = catalogue.load_file(corpus / MS_CATALOGUE, source="ms", replace=True)
    record = catalogue.get(report.dataset_ids[0])
    assert record.ref.iri == BEES
    assert record.ref.source == "ms"
    triples = set(record.triples)
    dct = "http://purl.org/dc/terms/"
    assert (
        ox.Triple(
            ox.NamedNode(BEES),
            ox.NamedNode(dct + "title"),
            ox.Literal("The population of bees", language="en"),
        )
        in triples
    )
    identifiers = [
        t.object for t in triples if t.predicate.value == "http://www.w3.org/ns/adms#identifier"
    ]
    assert len(identifiers) == 2
    assert all(isinstance(node, ox.BlankNode) for node in identifiers)
    with pytest.raises(DatasetNotFound):
        catalogue.get("0" * len(report.dataset_ids[0]))


def test_list_pages_through_every_dataset(catalogue: Catalogue, corpus: Path) -> None:
    generated = catalogue.load(datasets_turtle(23), fmt="turtle", source="gen", replace=True)
    corpus_report = catalogue.load_file(corpus / MS_CATALOGUE, source="ms", replace=True)
    assert generated.errors == []
    assert generated.datasets == 23
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = catalogue.datasets(cursor=cursor, limit=5)
        pages += 1
        assert len(page.items) <= 5
        seen.extend(item.id for item in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 5
    assert seen == sorted(seen)
    assert set(seen) == set(generated.dataset_ids) | set(corpus_report.dataset_ids)
    assert len(seen) == 24
    only_gen = catalogue.datasets(source="gen", limit=100).items
    assert {item.id for item in only_gen} == set(generated.dataset_ids)
    titles = {item.iri: item.titles for item in only_gen}
    assert titles[f"{EX}dataset/7"] == {"en": "Dataset 7 (v)", "de": "Datensatz 7"}


def test_delete_removes_exactly_one_record(catalogue: Catalogue) -> None:
    report = catalogue.load(datasets_turtle(5), fmt="turtle", source="gen", replace=True)
    victim = next(i for i in report.dataset_ids if catalogue.find(i).iri == f"{EX}dataset/2")
    ref = catalogue.delete(victim)
    assert ref.iri == f"{EX}dataset/2"
    assert catalogue.count("gen") == 4
    with pytest.raises(DatasetNotFound):
        catalogue.get(victim)
    exported = catalogue.export("ntriples", source="gen").decode()
    assert f"<{EX}dataset/2>" not in exported
    assert f"<{EX}files/2.csv>" not in exported
    assert f"<{EX}files/3.csv>" in exported
    assert len(versions(catalogue, "gen")) <= 2


def test_replace_a_source(catalogue: Catalogue) -> None:
    catalogue.load(datasets_turtle(10, tag="a"), fmt="turtle", source="gen", replace=True)
    second = datasets_turtle(3, tag="b")
    report = catalogue.load(second, fmt="turtle", source="gen", replace=True)
    assert report.datasets == 3
    assert catalogue.count("gen") == 3
    titles = {i.titles["en"] for i in catalogue.datasets(source="gen", limit=50).items}
    assert titles == {"Dataset 0 (b)", "Dataset 1 (b)", "Dataset 2 (b)"}
    assert isomorphic(rdflib_graph(catalogue.export("turtle", source="gen")), rdflib_graph(second))
    assert len(versions(catalogue, "gen")) <= 2


def test_a_failed_replace_keeps_the_previous_version(catalogue: Catalogue, corpus: Path) -> None:
    original = (corpus / MS_CATALOGUE).read_bytes()
    catalogue.load(original, fmt="turtle", source="ms", replace=True)
    graphs_before = sorted(catalogue.store.named_graphs())
    with pytest.raises(ParseError):
        catalogue.load_file(corpus / BROKEN_TURTLE, source="ms", replace=True)
    assert catalogue.count("ms") == 1
    assert isomorphic(rdflib_graph(catalogue.export("turtle", source="ms")), rdflib_graph(original))
    assert sorted(catalogue.store.named_graphs()) == graphs_before


def test_remove_a_source(catalogue: Catalogue, corpus: Path) -> None:
    catalogue.load_file(corpus / MS_CATALOGUE, source="ms", replace=True)
    catalogue.load(datasets_turtle(2), fmt="turtle", source="gen", replace=True)
    catalogue.remove_source("ms")
    assert [s.name for s in catalogue.sources()] == ["gen"]
    assert catalogue.count() == 2
    assert versions(catalogue, "ms") == []
