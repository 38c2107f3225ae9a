"""Fixtures for offer resolution: the project's test datasets and the demo labs."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from rdflib import Graph

from catalog.facts import DatasetFacts
from catalog.facts.derive import facts_from_rdflib
from catalog.labs import DataLab
from catalog.namespaces import DCAT, DLAB, RDF
from catalog.offers import LicenceTable

DATA = Path(__file__).parent / "data"
EX = "https://example.org/ds/"


@pytest.fixture(scope="session")
def fixture_terms() -> dict[str, DatasetFacts]:
    g = Graph().parse(DATA / "datasets.ttl", format="turtle")
    return {
        str(s)[len(EX) :]: facts_from_rdflib(g, str(s), str(s)[len(EX) :])
        for s in g.subjects(RDF.type, DCAT.Dataset)
    }


@pytest.fixture(scope="session")
def demo_labs() -> dict[str, DataLab]:
    data = resources.files("catalog.labs").joinpath("data", "labs.ttl").read_bytes()
    g = Graph().parse(data=data, format="turtle")
    labs = [DataLab.from_graph(g, s) for s in g.subjects(RDF.type, DLAB.DataLab)]
    return {lab.id.removesuffix("-datalab"): lab for lab in labs}


@pytest.fixture(scope="session")
def table() -> LicenceTable:
    return LicenceTable()
