"""The offer facets of a projection (:class:`TermsFacets`) read the labs again only when a
lab changed: a dataset published between two projections costs no reading of the labs (50
to 200 ms, which every publish paid), while a lab edit (made in place: the labs graph keeps
its name), a new labs graph, or a feed moved too far to look through, is read again and
shows in the facets at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from catalog.facts.read import catalogue_facts
from catalog.labs import edit_lab, get_lab, list_labs, load_registry
from catalog.offers import facets as offer_facets_module
from catalog.offers.facets import TermsFacets, offer_facets
from catalog.service import Catalogue

DATA = Path(__file__).parent / "data" / "datasets.ttl"
LAB = "bsc-datalab"
NEW_DATASET = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/ds/published-later> a dcat:Dataset ;
    dct:identifier "published-later" ; dct:title "Published later"@en ;
    dct:license <http://creativecommons.org/licenses/by/4.0/> ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> .
"""


@pytest.fixture
def registry(catalogue: Catalogue) -> Catalogue:
    catalogue.load_file(DATA, source="fixtures", replace=True)
    load_registry(catalogue)
    return catalogue


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the readings of the labs that :class:`TermsFacets` makes."""
    count: list[int] = []
    real: Callable[..., object] = offer_facets_module.list_labs

    def counted(*args: object, **kwargs: object) -> object:
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(offer_facets_module, "list_labs", counted)
    return count


def _facets(
    terms: TermsFacets, catalogue: Catalogue, reads: list[int]
) -> dict[str, dict[str, object]]:
    facts = {f.dataset_id: f for f in catalogue_facts(catalogue)}
    got = terms(catalogue, facts)
    mine = len(reads)
    assert got == offer_facets(catalogue, list(facts))  # as resolved directly, now
    del reads[mine:]  # the direct resolution's own reading is not counted
    return got


def test_a_dataset_published_does_not_read_the_labs_again(
    registry: Catalogue, reads: list[int]
) -> None:
    terms = TermsFacets()
    _facets(terms, registry, reads)
    assert len(reads) == 1
    head = registry.changes.head()
    registry.load(NEW_DATASET, fmt="turtle", source="later")
    assert registry.changes.head() > head  # the feed moved
    got = _facets(terms, registry, reads)
    assert any(i.startswith("published-later") for i in got)
    assert len(reads) == 1


def test_a_lab_edit_is_read_at_once(registry: Catalogue, reads: list[int]) -> None:
    terms = TermsFacets()
    before = _facets(terms, registry, reads)
    offered = {i for i, f in before.items() if LAB in f["lab"]}
    assert offered
    registry.load(NEW_DATASET, fmt="turtle", source="later")  # a dataset, then the edit
    edit_lab(
        registry, LAB, {"data_spaces": ["language"]}, staff_factory=get_lab(registry, LAB).factory
    )
    after = _facets(terms, registry, reads)  # equal to the direct resolution: the edit is seen
    assert len(reads) == 2
    assert {i for i, f in after.items() if LAB in f["lab"]} != offered


def test_a_feed_moved_past_the_scan_reads_the_labs_again(
    registry: Catalogue, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offer_facets_module, "LABS_SCAN", 0)
    terms = TermsFacets()
    _facets(terms, registry, reads)
    registry.load(NEW_DATASET, fmt="turtle", source="later")
    _facets(terms, registry, reads)
    assert len(reads) == 2


def test_a_new_labs_graph_is_read_again(registry: Catalogue, reads: list[int]) -> None:
    terms = TermsFacets()
    _facets(terms, registry, reads)
    registry.remove_source("labs")
    assert list_labs(registry) == []
    assert _facets(terms, registry, reads) == {}
    assert len(reads) == 2
