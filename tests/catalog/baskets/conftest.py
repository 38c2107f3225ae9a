"""A real catalogue for the basket tests: the demo, the lab registry, and a few records of
this test's own (share-alike licences the demo lacks: ODbL, GPL 3.0, CC BY-SA 3.0; a
TDMRep reservation property)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.access_requests import AccessRequests
from catalog.accounts import Accounts
from catalog.baskets.service import Baskets
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import get_settings

_PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dlab: <https://w3id.org/datalab/ns#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def _record(slug: str, title: str, licence: str, byte_size: int, extra: str = "") -> str:
    base = "https://test.datalab.example.eu"
    return f"""
<{base}/dataset/{slug}> a dcat:Dataset ;
    dlab:dataSpace <https://w3id.org/datalab/dataspace/research> ;
    dct:title "{title}"@en ;
    dct:description "A test record ({slug})."@en ;
    dct:publisher <{base}/agent/test-publisher> ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
    dct:issued "2021-06-01"^^xsd:date ;
    dct:language <http://publications.europa.eu/resource/authority/language/ENG> ;{extra}
    dcat:distribution <{base}/distribution/{slug}> .
<{base}/distribution/{slug}> a dcat:Distribution ;
    dcat:accessURL <{base}/files/{slug}> ;
    dcat:mediaType <http://www.iana.org/assignments/media-types/text/plain> ;
    dcat:byteSize "{byte_size}"^^xsd:nonNegativeInteger ;
    dct:license <{licence}> .
"""


EXTRA = (
    _PREFIXES
    + """<https://test.datalab.example.eu/agent/test-publisher> a foaf:Agent ;
    foaf:name "Test Publisher (fictional)"@en .
"""
    + _record(
        "road-graph-odbl",
        "Road graph (ODbL)",
        "http://opendatacommons.org/licenses/odbl/1.0/",
        5000,
    )
    + _record(
        "solver-traces-gpl",
        "Solver traces (GPL 3.0)",
        "http://spdx.org/licenses/GPL-3.0-only",
        7000,
    )
    + _record(
        "glossary-by-sa-3",
        "Glossary (CC BY-SA 3.0)",
        "http://creativecommons.org/licenses/by-sa/3.0/",
        300,
    )
    + _record(
        "press-archive-tdmrep",
        "Press archive (TDMRep reservation)",
        "http://creativecommons.org/licenses/by/4.0/",
        900,
        '\n    <http://www.w3.org/ns/tdmrep#reservation> "1" ;',
    )
)


class Demo:
    """The catalogue, its baskets service, and the demo datasets by the start of their id."""

    def __init__(self, cat: Catalogue, baskets: Baskets, ids: dict[str, str]) -> None:
        self.cat = cat
        self.baskets = baskets
        self.ids = ids

    def __getitem__(self, prefix: str) -> str:
        return self.ids[prefix]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("baskets")
    with Catalogue.open(get_settings(home=home)) as cat:
        load_demo(cat)
        load_registry(cat)
        report = cat.load(EXTRA.encode(), fmt="turtle", source="test-share-alike", replace=True)
        assert report.datasets == 4, report.errors
        ids = {}
        for source in [s.name for s in cat.sources()]:
            for item in cat.datasets(source=source, limit=200).items:
                ids[item.id.rsplit("-", 1)[0]] = item.id
        accounts = Accounts(cat.database)
        yield Demo(cat, Baskets(cat, AccessRequests(cat, accounts)), ids)
