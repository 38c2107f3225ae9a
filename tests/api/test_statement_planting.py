"""A steward's document may only describe what its datasets own; nothing is planted in the
public union graph about other sources' datasets, distributions or agents."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from api.auth import Principal
from api.web.steward_logic import check_document, save_document
from catalog.samples import SampleStore
from catalog.samples.graph import distribution_iri
from catalog.samples.service import attach
from catalog.samples.store import Upload
from catalog.service import Catalogue
from tests.catalog.samples.builders import IDS, IRIS, load_datasets, sales_table

STEWARD = Principal("bea", "steward", "https://org-b.example/org")
HEAD = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .
<https://org-b.example/ds/1> a dcat:Dataset ; dct:title "Ours"@en ;
    dct:description "A dataset of organisation B."@en ;
    dct:publisher <https://org-b.example/org> .
<https://org-b.example/org> a foaf:Agent ; foaf:name "Org B" .
"""


@pytest.fixture
def cat(settings, tmp_path):
    load_datasets(settings)
    with Catalogue.open(settings) as catalogue:
        path = tmp_path / "s.parquet"
        pq.write_table(sales_table(), path)
        upload = Upload(path=path, media_type="application/vnd.apache.parquet")
        attach(catalogue, SampleStore(settings), IDS["restricted"], upload, "admin")
        yield catalogue


def _public_triples(cat: Catalogue, subject: str) -> list[str]:
    rows = cat.store.select(f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ <{subject}> ?p ?o }} }}")
    return [f"{r['p'].value} {r['o'].value}" for r in rows]


def test_a_clean_document_is_accepted(cat: Catalogue) -> None:
    review = check_document(cat, STEWARD, HEAD, "turtle")
    assert review.problems == []


def test_statements_about_another_sources_dataset_are_refused(cat: Catalogue) -> None:
    victim = IRIS["non_public"]
    doc = HEAD + f"<{victim}> dct:accessRights ar:PUBLIC .\n"
    review = save_document(cat, STEWARD, doc, "turtle")
    assert any(victim in p and "none of the document's datasets owns" in p for p in review.problems)
    assert review.saved == []
    assert not any(t.endswith("/access-right/PUBLIC") for t in _public_triples(cat, victim))


def test_a_fake_download_url_on_a_sample_distribution_is_refused(cat: Catalogue) -> None:
    dist = distribution_iri(cat, IDS["restricted"])
    assert _public_triples(cat, dist)  # the sample distribution exists in the test source
    doc = (
        HEAD.replace(
            "dct:publisher <https://org-b.example/org> .",
            f"dct:publisher <https://org-b.example/org> ; dcat:distribution <{dist}> .",
        )
        + f"<{dist}> dcat:downloadURL <https://evil.example/steal.parquet> .\n"
    )
    review = save_document(cat, STEWARD, doc, "turtle")
    assert any(dist in p and "another source already describes" in p for p in review.problems)
    assert review.saved == []
    assert not any("evil.example" in t for t in _public_triples(cat, dist))


def test_redescribing_another_sources_agent_is_refused(cat: Catalogue) -> None:
    doc = HEAD.replace("<https://org-b.example/org> .", "<https://data.example.org/org/a> .")
    doc += '<https://data.example.org/org/a> foaf:name "Org B" .\n'
    review = check_document(cat, STEWARD, doc, "turtle")
    assert any("data.example.org/org/a" in p for p in review.problems)
