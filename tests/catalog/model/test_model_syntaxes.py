"""The same GeoDCAT-AP example in Turtle, RDF/XML and JSON-LD gives equal models."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import Graph

from catalog import model
from catalog.namespaces import ADMS, DCAT, DCT, FOAF, PROV, RDF, SPDX, VCARD
from tests.catalog.model.model_helpers import CORPUS, read_rdf

EXAMPLES = CORPUS / "geodcat-ap" / "examples"
STEMS = sorted(
    p.stem
    for p in EXAMPLES.glob("*.ttl")
    if p.with_suffix(".rdf").exists() and p.with_suffix(".jsonld").exists()
)
CLASSES: list[tuple[object, type[model.Resource]]] = [
    (DCAT.Catalog, model.Catalog),
    (DCAT.Dataset, model.Dataset),
    (DCAT.Distribution, model.Distribution),
    (DCAT.DataService, model.DataService),
    (FOAF.Agent, model.Agent),
    (FOAF.Organization, model.Agent),
    (VCARD.Kind, model.ContactPoint),
    (VCARD.Organization, model.ContactPoint),
    (VCARD.Individual, model.ContactPoint),
    (DCT.PeriodOfTime, model.PeriodOfTime),
    (DCT.Location, model.Location),
    (DCT.LicenseDocument, model.LicenseDocument),
    (DCT.ProvenanceStatement, model.ProvenanceStatement),
    (SPDX.Checksum, model.Checksum),
    (ADMS.Identifier, model.Identifier),
    (PROV.Attribution, model.Attribution),
]


def _squash(value: object) -> object:
    """Collapse whitespace runs (the published files indent multi-line literals differently)
    and write integral decimals as integers (the published JSON-LD writes 10.0 as "10")."""
    if isinstance(value, str):
        if re.fullmatch(r"-?[0-9]+\.0+", value):
            return value.split(".", 1)[0]
        return " ".join(value.split())
    if isinstance(value, list):
        return [_squash(v) for v in value]
    if isinstance(value, dict):
        return {k: _squash(v) for k, v in value.items()}
    return value


def _models(graph: Graph) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rdf_type, cls in CLASSES:
        items = [cls.from_graph(graph, node) for node in set(graph.subjects(RDF.type, rdf_type))]
        if items:
            found[f"{cls.__name__} {rdf_type}"] = sorted(
                json.dumps(_squash(m.to_dict()), sort_keys=True) for m in items
            )
    return found


def test_every_geodcat_example_has_three_syntaxes() -> None:
    assert len(STEMS) >= 25
    with_models = [s for s in STEMS if _models(read_rdf(EXAMPLES / f"{s}.ttl"))]
    assert len(with_models) >= 12


@pytest.mark.parametrize("stem", STEMS)
def test_three_syntaxes_give_equal_models(stem: str) -> None:
    turtle, rdfxml, jsonld = (
        _models(read_rdf(EXAMPLES / f"{stem}{suffix}")) for suffix in (".ttl", ".rdf", ".jsonld")
    )
    assert rdfxml == turtle
    assert jsonld == turtle


def test_dataset_models_are_equal_objects_across_syntaxes(corpus: Path) -> None:
    base = corpus / "geodcat-ap" / "examples" / "dataset"
    models = []
    for suffix in (".ttl", ".rdf", ".jsonld"):
        graph = read_rdf(base.with_suffix(suffix))
        (node,) = graph.subjects(RDF.type, DCAT.Dataset)
        models.append(model.Dataset.from_graph(graph, node))
    assert _squash(models[0].to_dict()) == _squash(models[1].to_dict())
    assert _squash(models[0].to_dict()) == _squash(models[2].to_dict())
    assert models[0].spatial_resolution_in_meters[0].python == 10
    assert models[2].spatial_resolution_in_meters[0].python == 10
    assert models[0].distribution[0].access_service


def test_distribution_models_are_equal_objects_across_syntaxes(corpus: Path) -> None:
    base = corpus / "geodcat-ap" / "examples" / "distribution"
    models = []
    for suffix in (".ttl", ".rdf", ".jsonld"):
        graph = read_rdf(base.with_suffix(suffix))
        (node,) = graph.subjects(RDF.type, DCAT.Distribution)
        models.append(model.Distribution.from_graph(graph, node))
    assert models[0] == models[1] == models[2]
    assert models[0].access_url
