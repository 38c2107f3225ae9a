"""Every parsable corpus file survives load → store → export as an isomorphic graph."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import XSD, Graph, Literal
from rdflib.compare import isomorphic, to_isomorphic

from catalog.errors import ParseError
from catalog.rdf_input import guess_format
from catalog.service import Catalogue
from catalog.settings import get_settings
from tests.conftest import CORPUS

RDF_SUFFIXES = {".ttl": "turtle", ".rdf": "xml", ".nt": "nt"}
FOLDERS = ["dcat-ap", "geodcat-ap", "healthdcat-ap"]
# Files the corpus documents as broken (PROVENANCE.md, "Files that do not parse").
BROKEN = {
    "dcat-ap/3.0.0/examples/example-bee-population-dataset-series-api.ttl",
    "dcat-ap/3.0.0/examples/example-bee-population-dataset-series-combined.ttl",
    "dcat-ap/hvd-3.0.0/examples/example-bees_wasps_dataset.ttl",
    "dcat-ap/ckanext-dcat/dataset.ttl",
}
# Shapes, vocabularies and ontologies are not catalogues.
NOT_CATALOGUES = (
    "SHACL",
    "shacl",
    "shapes",
    "vocabularies",
    "dcat-ap_2.1.1.rdf",
    "geodcat-ap.rdf",
    "ranges.ttl",
    "imports.ttl",
    "deprecateduris.ttl",
    "range.ttl",
)


def corpus_files() -> list[str]:
    files = []
    for folder in FOLDERS:
        for path in sorted((CORPUS / folder).rglob("*")):
            rel = path.relative_to(CORPUS).as_posix()
            if path.suffix in RDF_SUFFIXES and not any(n in rel for n in NOT_CATALOGUES):
                files.append(rel)
    return files


PARSABLE = [f for f in corpus_files() if f not in BROKEN]


@pytest.fixture(scope="module")
def shared_catalogue(tmp_path_factory: pytest.TempPathFactory):
    with Catalogue.open(get_settings(home=tmp_path_factory.mktemp("rt"))) as cat:
        yield cat


def oracle(path: Path) -> Graph:
    """rdflib's own parse of a trusted corpus file: the reference graph."""
    return Graph().parse(path, format=RDF_SUFFIXES[path.suffix].replace("nt", "nt11"))


def by_value(graph: Graph, *, fold_space: bool = False) -> Graph:
    """The graph with typed literals in canonical lexical form (the store keeps values:
    "1.0"^^xsd:decimal comes back as "1"^^xsd:decimal, the same RDF value); with
    ``fold_space`` also with whitespace runs folded, for examples that differ in indentation.
    """
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype == XSD.string:
            o = Literal(str(o))  # RDF 1.1: "x"^^xsd:string and "x" are one literal
        if isinstance(o, Literal):
            if o.datatype is not None:
                value = o.toPython()
                if isinstance(value, Decimal):
                    value = value.normalize()
                if not isinstance(value, Literal):
                    o = Literal(str(value), datatype=o.datatype)
            elif fold_space:
                o = Literal(" ".join(str(o).split()), lang=o.language, datatype=o.datatype)
        out.add((s, p, o))
    return out


def test_the_corpus_selection_is_not_empty() -> None:
    assert len(PARSABLE) >= 60


@pytest.mark.parametrize("rel", PARSABLE)
def test_round_trip_is_isomorphic(rel: str, shared_catalogue: Catalogue) -> None:
    path = CORPUS / rel
    source = "rt-" + str(abs(hash(rel)) % 10**12)
    shared_catalogue.load_file(path, source=source, replace=True)
    exported = Graph().parse(data=shared_catalogue.export("ntriples", source=source), format="nt")
    shared_catalogue.remove_source(source)
    exported, expected = by_value(exported), by_value(oracle(path))
    if not isomorphic(exported, expected):
        missing = to_isomorphic(expected) - to_isomorphic(exported)
        extra = to_isomorphic(exported) - to_isomorphic(expected)
        pytest.fail(f"{rel}: {len(missing)} triples lost, {len(extra)} added")


@pytest.mark.parametrize("rel", sorted(BROKEN))
def test_broken_corpus_files_give_located_errors(rel: str, shared_catalogue: Catalogue) -> None:
    before = shared_catalogue.count()
    with pytest.raises(ParseError) as info:
        shared_catalogue.load_file(CORPUS / rel, source="broken", replace=True)
    assert info.value.where and info.value.where.startswith("line ")
    assert shared_catalogue.count() == before


def geodcat_triplets() -> list[str]:
    folder = CORPUS / "geodcat-ap" / "examples"
    return sorted(
        p.stem
        for p in folder.glob("*.ttl")
        if (folder / f"{p.stem}.rdf").exists() and (folder / f"{p.stem}.jsonld").exists()
    )


@pytest.mark.parametrize("stem", geodcat_triplets())
def test_three_syntaxes_give_equal_graphs(stem: str, shared_catalogue: Catalogue) -> None:
    graphs = []
    for suffix in (".ttl", ".rdf", ".jsonld"):
        path = CORPUS / "geodcat-ap" / "examples" / f"{stem}{suffix}"
        source = f"syntax-{suffix[1:]}"
        shared_catalogue.load(
            path.read_bytes(), fmt=guess_format(path.name), source=source, replace=True
        )
        exported = shared_catalogue.export("ntriples", source=source)
        graphs.append(by_value(Graph().parse(data=exported, format="nt"), fold_space=True))
        shared_catalogue.remove_source(source)
    assert isomorphic(graphs[0], graphs[1]), f"{stem}: Turtle and RDF/XML differ"
    assert isomorphic(graphs[0], graphs[2]), f"{stem}: Turtle and JSON-LD differ"


def test_dcat_ap_jsonld_examples_resolve_their_context_from_a_local_file(tmp_path: Path) -> None:
    url = (
        "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/html/"
        "examples/context.jsonld"
    )
    settings = get_settings(
        home=tmp_path, jsonld_contexts={url: CORPUS / "dcat-ap/3.0.0/examples/context.jsonld"}
    )
    folder = CORPUS / "dcat-ap" / "3.0.0" / "examples"
    with Catalogue.open(settings) as cat:
        for stem in ("example-bee-population", "example-bee-population-dataset-series"):
            cat.load_file(folder / f"{stem}.jsonld", source="jsonld", replace=True)
            from_jsonld = Graph().parse(data=cat.export("ntriples", source="jsonld"), format="nt")
            cat.remove_source("jsonld")  # the Turtle file claims the same dataset IRIs
            cat.load_file(folder / f"{stem}.ttl", source="ttl", replace=True)
            from_ttl = Graph().parse(data=cat.export("ntriples", source="ttl"), format="nt")
            assert len(from_jsonld) > 0
            assert isomorphic(from_jsonld, from_ttl), stem
