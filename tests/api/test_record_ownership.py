"""A dataset id (and every IRI that maps to it) belongs to exactly one source.

The attack: a steward of an unrelated organisation loads the IRI of a restricted dataset
with the host in capitals, declaring it PUBLIC. Ids are built from the canonical IRI, so
the variant maps to the same id; it must be refused for that record (the rest of the
document goes on), and no endpoint may serve the real rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from catalog.errors import DuplicateRecord
from catalog.facts.read import record_facts
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from cli import app as cli
from tests.catalog.samples.builders import IDS, IRIS, SECRET, load_datasets, sales_table, users

VARIANT = IRIS["restricted"].replace("https://data.example.org", "https://DATA.Example.ORG")
HIJACK = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<{VARIANT}> a dcat:Dataset ; dct:title "mine now"@en ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
    dcat:distribution [ a dcat:Distribution ;
        dcat:downloadURL <https://evil.example/steal.parquet> ] .
<https://evil.example/dataset/honest> a dcat:Dataset ; dct:title "an honest record"@en .
"""


def _parquet() -> bytes:
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(sales_table(secret=True), buf)
    return buf.getvalue()


@pytest.fixture
def world(tmp_path) -> Iterator[tuple[TestClient, Settings, dict[str, str]]]:
    settings = get_settings(home=tmp_path / "home")
    load_datasets(settings)
    tokens = users(settings)
    with TestClient(create_app(settings)) as client:
        r = client.put(
            f"/datasets/{IDS['restricted']}/sample",
            content=_parquet(),
            headers={
                "Authorization": f"Bearer {tokens['admin']}",
                "Content-Type": "application/vnd.apache.parquet",
            },
        )
        assert r.status_code == 201, r.text
        yield client, settings, tokens


def _closed(client: TestClient) -> None:
    ds = IDS["restricted"]
    for path in ("sample/rows", "sample/statistics", "sample/file"):
        r = client.get(f"/datasets/{ds}/{path}")
        assert r.status_code in (403, 409), (path, r.status_code)
        assert SECRET not in r.text
    page = client.get(f"/ui/datasets/{ds}")
    assert SECRET not in page.text


def test_a_case_variant_iri_is_refused_for_another_source(world) -> None:
    client, _, _ = world
    cat: Catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]
    report = cat.load(HIJACK.encode(), fmt="turtle", source="steward-evil")
    assert len(report.dataset_ids) == 1  # the honest record goes on
    (refusal,) = report.errors
    assert refusal.record == VARIANT
    assert "belongs to source 'test'" in refusal.message
    ref = cat.find(IDS["restricted"])
    assert (ref.iri, ref.source) == (IRIS["restricted"], "test")
    _closed(client)
    r = client.get(f"/datasets/{IDS['restricted']}/sample")
    assert r.json()["access"]["rows_visible"] is False


def test_datalab_load_of_a_case_variant_into_another_source_is_refused(tmp_path) -> None:
    settings = get_settings(home=tmp_path / "home")
    load_datasets(settings)
    path = settings.home / "hijack.ttl"
    path.write_text(HIJACK)
    result = CliRunner().invoke(
        cli,
        ["load", str(path), "--source", "other", "--json"],
        env={"DATALAB_HOME": str(settings.home)},
    )
    assert "belongs to source 'test'" in result.output
    with Catalogue.open(settings) as cat:
        assert cat.find(IDS["restricted"]).source == "test"


def test_case_variants_in_one_document_are_one_dataset(settings: Settings) -> None:
    doc = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> .
<{IRIS["public"]}> a dcat:Dataset .
<{IRIS["public"].replace("data.example.org", "DATA.EXAMPLE.ORG")}> a dcat:Dataset .
"""
    with Catalogue.open(settings) as cat:
        report = cat.load(doc.encode(), fmt="turtle", source="one")
        assert report.dataset_ids == [IDS["public"]]
        assert len(report.errors) == 1 and "already taken" in report.errors[0].message


def test_duplicates_stored_before_are_never_picked(world) -> None:
    """A store that already holds two records under one id (written before ownership was
    enforced) answers 409 to every read of that id instead of choosing one."""
    client, _, _ = world
    cat: Catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]
    cat.load(
        b"@prefix dcat: <http://www.w3.org/ns/dcat#> . <https://evil.example/x> a dcat:Dataset .",
        fmt="turtle",
        source="legacy",
    )
    graph = cat.graphs.current("legacy")
    cat.store.update(
        f"INSERT DATA {{ GRAPH <{graph}> {{ <{VARIANT}> a <http://www.w3.org/ns/dcat#Dataset> ;"
        f' <https://w3id.org/datalab/ns#datasetId> "{IDS["restricted"]}" ; '
        "<http://purl.org/dc/terms/accessRights> "
        "<http://publications.europa.eu/resource/authority/access-right/PUBLIC> } }"
    )
    with pytest.raises(DuplicateRecord):
        cat.find(IDS["restricted"])
    _closed(client)
    assert client.get(f"/datasets/{IDS['restricted']}").status_code == 409


def test_untyped_statements_about_another_sources_records_are_not_stored(world) -> None:
    client, _, _ = world
    cat: Catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]
    dist = f"{cat.settings.base_iri.rstrip('/')}/datasets/{IDS['restricted']}/sample"
    planted = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://evil.example/dataset/mine> a dcat:Dataset ; dct:title "mine"@en .
<{IRIS["non_public"]}> dct:accessRights
    <http://publications.europa.eu/resource/authority/access-right/PUBLIC> .
<{dist}> dcat:downloadURL <https://evil.example/steal.parquet> .
"""
    report = cat.load(planted.encode(), fmt="turtle", source="harvested-evil")
    assert len(report.dataset_ids) == 1
    refused = {e.record for e in report.errors}
    assert refused == {IRIS["non_public"], dist}
    rows = cat.store.select(
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?o), 'evil.example/steal')"
        " || STRENDS(STR(?o), '/access-right/PUBLIC') && ?s = <" + IRIS["non_public"] + ">) }"
    )
    assert rows == []
    assert record_facts(cat, IDS["non_public"]).access_values == ("NON_PUBLIC",)
