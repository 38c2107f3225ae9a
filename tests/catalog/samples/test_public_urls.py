"""A sample's access and download URLs are built when served: every view carries the public
URL of the process answering, whatever public URL the sample was uploaded under; those an
older version stored as absolute URLs (or minted under another base IRI) are re-written
when the API starts."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.graphs import CURRENT_GRAPHS
from catalog.samples import SampleStore, Upload
from catalog.samples import graph as sample_graph
from catalog.samples.service import attach
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from catalog.skolem import PUBLIC_URL
from tests.catalog.samples.builders import IDS, IRIS, load_datasets, sales_table, users

OLD, NEW = "https://old.example", "https://new.example/catalogue"
ADMS_SAMPLE = "http://www.w3.org/ns/adms#sample"
DCAT = "http://www.w3.org/ns/dcat#"
PARQUET = {"Content-Type": "application/vnd.apache.parquet"}
DS = IDS["public"]  # PUBLIC: Croissant names the file for everyone


def _parquet() -> bytes:
    buf = io.BytesIO()
    pq.write_table(sales_table(50), buf)
    return buf.getvalue()


def _settings(home: Path, public_url: str, **extra: object) -> Settings:
    return get_settings(home=home, public_url=public_url, offers_index="off", **extra)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    load_datasets(get_settings(home=home))
    return home


def _stored(cat: Catalogue, prop: str) -> list[str]:
    """The objects of ``prop`` in the current graphs, as stored."""
    rows = cat.store.select(
        f"SELECT ?o WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ ?s <{DCAT}{prop}> ?o }} }}"
    )
    return sorted(r["o"].value for r in rows)


def _sample(triples: list[ox.Triple]) -> dict[str, list[str]]:
    """The record's sample distribution: ``@id`` and property → objects."""
    [dist] = [t.object for t in triples if t.predicate.value == ADMS_SAMPLE]
    out = {"@id": [dist.value]}
    for t in triples:
        if t.subject == dist:
            out.setdefault(t.predicate.value, []).append(t.object.value)
    return out


def assert_served_on(client: TestClient, public: str, base_iri: str) -> None:
    """Every view of the sample distribution carries URLs on ``public`` (never on the other
    of OLD and NEW, nor in their stored form)."""
    other = NEW if public == OLD else OLD
    access, download = f"{public}/datasets/{DS}/sample", f"{public}/datasets/{DS}/sample/file"
    syntaxes = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE,
                "jsonld": ox.RdfFormat.JSON_LD, "xml": ox.RdfFormat.RDF_XML}  # fmt: skip
    for fmt, syntax in syntaxes.items():
        r = client.get(f"/datasets/{DS}", params={"format": fmt})
        assert r.status_code == 200, r.text
        dist = _sample(list(ox.parse(r.content, format=syntax)))
        assert dist["@id"] == [f"{base_iri.rstrip('/')}/datasets/{DS}/sample"]
        assert dist[DCAT + "accessURL"] == [access], fmt
        assert dist[DCAT + "downloadURL"] == [download], fmt
        assert PUBLIC_URL not in r.text and other not in r.text
    listing = client.get("/catalog", params={"format": "ttl", "page_size": 100})
    assert listing.status_code == 200
    assert download in listing.text and PUBLIC_URL not in listing.text
    assert other not in listing.text
    cat: Catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]
    exported = cat.export("ntriples").decode()
    assert f"<{download}>" in exported and PUBLIC_URL not in exported
    query = f"SELECT ?u WHERE {{ ?d <{DCAT}downloadURL> ?u }}"
    r = client.get("/sparql", params={"query": query},
                   headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    assert [b["u"]["value"] for b in r.json()["results"]["bindings"]] == [download]
    croissant = client.get(f"/datasets/{DS}/croissant").json()
    assert [f["contentUrl"] for f in croissant["distribution"]] == [download]
    overview = client.get(f"/datasets/{DS}/sample").json()
    assert overview["distribution"]["download_url"] == download
    assert overview["distribution"]["in_graph"] is True


def test_the_urls_follow_the_public_url_of_the_process_serving_them(home: Path) -> None:
    base = "https://ids.example/"
    old = _settings(home, OLD, base_iri=base)
    admin = {"Authorization": f"Bearer {users(old)['admin']}"}
    with TestClient(create_app(old)) as client:
        r = client.put(f"/datasets/{DS}/sample", content=_parquet(), headers=admin | PARQUET)
        assert r.status_code == 201, r.text
        assert r.json()["distribution"]["download_url"] == f"{OLD}/datasets/{DS}/sample/file"
        assert_served_on(client, OLD, base)
        # stored relative to the public URL, never under the one of the upload
        cat = client.app.state.services.catalogue
        assert _stored(cat, "downloadURL") == [f"{PUBLIC_URL}/datasets/{DS}/sample/file"]
        assert _stored(cat, "accessURL") == [f"{PUBLIC_URL}/datasets/{DS}/sample"]

    with TestClient(create_app(_settings(home, NEW, base_iri=base))) as client:
        assert_served_on(client, NEW, base)


def test_absolute_urls_of_older_versions_are_rewritten_at_start(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sample uploaded by an older version (absolute URLs) under a derived base IRI that
    has moved since: the API re-writes it once at start, under its own base and URL."""
    old = _settings(home, OLD)  # base IRI derived: https://old.example/
    path = tmp_path / "sample.parquet"
    path.write_bytes(_parquet())
    with monkeypatch.context() as patch, Catalogue.open(old) as cat:
        patch.setattr(  # what versions before URLs were built on the way out stored
            sample_graph, "stored_urls", lambda ds: sample_graph.sample_urls(cat, ds)
        )
        attach(cat, SampleStore(old), DS, Upload(path=path, media_type=PARQUET["Content-Type"]),
               uploaded_by="root")  # fmt: skip
        assert _stored(cat, "downloadURL") == [f"{OLD}/datasets/{DS}/sample/file"]

    new = _settings(home, NEW)  # base IRI derived: https://new.example/catalogue/
    with TestClient(create_app(new)) as client:
        assert_served_on(client, NEW, new.base_iri)
        cat = client.app.state.services.catalogue
        assert _stored(cat, "downloadURL") == [f"{PUBLIC_URL}/datasets/{DS}/sample/file"]
        record = cat.get(DS).triples
        samples = [t for t in record if t.predicate.value == ADMS_SAMPLE]
        assert len(samples) == 1  # the old distribution was replaced, not joined
        assert IRIS["public"] == cat.find(DS).iri


def test_https_iana_media_types_of_older_versions_are_rewritten_at_start(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions before issue 14 wrote the media type as ``https://www.iana.org/…``, beside
    the ``http://`` IRIs everything else uses: the API re-writes it once at start."""
    settings = _settings(home, NEW)
    path = tmp_path / "sample.parquet"
    path.write_bytes(_parquet())
    old_iana = "https://www.iana.org/assignments/media-types/"
    with monkeypatch.context() as patch, Catalogue.open(settings) as cat:
        patch.setattr(
            sample_graph, "media_type_iri", lambda meta: old_iana + str(meta["media_type"])
        )
        upload = Upload(path=path, media_type=PARQUET["Content-Type"])
        attach(cat, SampleStore(settings), DS, upload, uploaded_by="root")
        assert _stored(cat, "mediaType") == [old_iana + "application/vnd.apache.parquet"]
    with TestClient(create_app(settings)) as client:
        cat = client.app.state.services.catalogue
        iana = "http://www.iana.org/assignments/media-types/"
        assert _stored(cat, "mediaType") == [iana + "application/vnd.apache.parquet"]


def test_the_sample_paths_are_the_api_routes(tmp_path: Path) -> None:
    app = create_app(get_settings(home=tmp_path))
    access, download = sample_graph.sample_paths("abc")
    assert access == app.url_path_for("get_sample", dataset_id="abc")
    assert download == app.url_path_for("download_sample", dataset_id="abc")


def test_stored_links_leave_on_the_public_url_or_stay_for_checks() -> None:
    from catalog.skolem import public_url_iri, unskolemise

    link = ox.NamedNode(public_url_iri("/datasets/x/sample"))
    triple = ox.Triple(ox.NamedNode("https://d.example/x"), ox.NamedNode(DCAT + "accessURL"), link)
    [out] = unskolemise([triple], public_url="https://a.example/base/")
    assert out.object == ox.NamedNode("https://a.example/base/datasets/x/sample")
    [kept] = unskolemise([triple], public_url=None)
    assert kept.object == link
    with pytest.raises(ValueError):
        public_url_iri("datasets/x")
