"""schema.org Dataset markup for dataset pages."""

from __future__ import annotations

import json

from rdflib import Graph, Literal, Namespace, URIRef

from catalog.demo import load_demo
from catalog.facts.derive import facts_from_rdflib
from catalog.facts.read import record_facts
from catalog.federation.schema_org import dataset_jsonld, script_tag
from catalog.model import Dataset, LangText
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue

SDO = Namespace("https://schema.org/")
PAGE = "https://catalogue.example.eu/datasets/x"


def model_of(cat: Catalogue, dataset_id: str) -> Dataset:
    record = cat.get(dataset_id)
    return Dataset.from_graph(to_rdflib_graph(record.triples), record.ref.iri)


def as_graph(doc: dict) -> Graph:
    # parse with a local stand-in for the schema.org context: nothing is fetched
    local = {**doc, "@context": {"@vocab": "https://schema.org/"}}
    return Graph().parse(data=json.dumps(local), format="json-ld")


def test_public_demo_record(catalogue: Catalogue) -> None:
    load_demo(catalogue)
    model = model_of(catalogue, "land-cover-europe-2021-p7333jz2")
    doc = dataset_jsonld(model, record_facts(catalogue, "land-cover-europe-2021-p7333jz2"), PAGE)
    assert doc["@context"] == "https://schema.org/"
    assert doc["@type"] == "Dataset"
    assert doc["name"] == "10 m land-cover map of Europe, 2021"
    assert doc["url"] == PAGE
    assert doc["sameAs"] == model.iri
    assert doc["isAccessibleForFree"] is True
    assert doc["publisher"]["@type"] == "Organization"
    assert doc["license"]
    assert all(d["@type"] == "DataDownload" and d["contentUrl"] for d in doc["distribution"])

    g = as_graph(doc)
    ds = URIRef(model.iri)
    assert (ds, SDO.name, Literal(doc["name"])) in g
    assert set(g.objects(ds, SDO.keywords)) == {Literal(k) for k in doc["keywords"]}


def test_restricted_record_is_metadata_only(catalogue: Catalogue) -> None:
    load_demo(catalogue)
    model = model_of(catalogue, "diabetes-cohort-utrecht-2ffnfyux")
    facts = record_facts(catalogue, "diabetes-cohort-utrecht-2ffnfyux")
    doc = dataset_jsonld(model, facts, PAGE)
    assert doc["isAccessibleForFree"] is False
    assert (
        doc["conditionsOfAccess"]
        == "Health data: a data permit from "
        + (facts.health.body if facts.health else "?")
        + " (EHDS)."
    )
    text = json.dumps(doc)
    assert "/sample" not in text
    assert "statistics" not in text


def test_minimal_and_hostile_model_is_escaped_in_html() -> None:
    model = Dataset(
        iri="https://example.org/ds/1",
        title=LangText({"en": "</script><script>alert(1)</script>"}),
    )
    doc = dataset_jsonld(model, facts_from_rdflib(model.to_graph(), model.iri, "1"), PAGE)
    assert doc["description"] == doc["name"]  # falls back to the title
    assert "distribution" not in doc
    tag = script_tag(doc)
    assert tag.startswith('<script type="application/ld+json">')
    assert tag.count("</script>") == 1
    assert "<script>alert" not in tag
    inner = tag.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert json.loads(inner)["name"] == "</script><script>alert(1)</script>"
