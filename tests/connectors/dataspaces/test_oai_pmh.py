"""The OAI-PMH language connector (Sickle through our fetcher) against a loopback endpoint."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.errors import HarvestError
from catalog.harvest import Harvester, HarvestSources
from catalog.harvest.jobs import FAILED, SUCCEEDED
from catalog.harvest.paging import guarded
from catalog.outbound.fetcher import Fetcher
from catalog.service import Catalogue
from connectors.oai_pmh import OaiPmhConnector
from connectors.oai_pmh.language_mapping import language_iri
from tests.connectors.dataspaces.oai_server import (
    HEAD,
    OaiEndpoint,
    corpus_cmdi_records,
    corpus_metashare_records,
)
from tests.connectors.dataspaces.server import Server, serve

CMD = "http://www.clarin.eu/cmd/"
MS = "http://www.ilsp.gr/META-XMLSchema"
DLAB = "https://w3id.org/datalab/ns#"
DCT = "http://purl.org/dc/terms/"
LANG = "http://publications.europa.eu/resource/authority/language/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>&lol3;</ListRecords>'
    b"</OAI-PMH>"
)
XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>&xxe;</ListRecords>'
    b"</OAI-PMH>"
)


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as srv:
        yield srv


def _endpoint(server: Server, corpus: Path) -> OaiEndpoint:
    return OaiEndpoint(
        server,
        formats={"oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/", "cmdi": CMD},
        records={"cmdi": corpus_cmdi_records(corpus)},
        per_page=1,
    )


def _pages(server: Server, url: str, tmp_path: Path, **options: object) -> list:
    s = server.settings(tmp_path)
    with Fetcher(s) as fetcher:
        return list(guarded(OaiPmhConnector(url, s, fetcher, dict(options)).pages(), url, s))


def _values(record, predicate: str) -> set[str]:
    return {t.object.value for t in record.triples if t.predicate.value == predicate}


def _sizes(record) -> set[tuple[str, str]]:
    by_node: dict = {}
    for t in record.triples:
        if t.predicate.value in (DLAB + "size", DLAB + "sizeUnit"):
            by_node.setdefault(t.subject, {})[t.predicate.value] = t.object.value
    return {(v.get(DLAB + "size"), v.get(DLAB + "sizeUnit")) for v in by_node.values()}


def test_cmdi_records_follow_resumption_tokens(
    server: Server, corpus: Path, tmp_path: Path
) -> None:
    ep = _endpoint(server, corpus)
    pages = _pages(server, ep.url, tmp_path)
    assert len(pages) == 3  # one record per page, three pages via tokens
    records = {r.record_id: r for p in pages for r in p.records}
    assert set(records) == {r.identifier for r in ep.records["cmdi"]}
    cefling = records["oai:kielipankki.fi:sh8e2580"]
    assert _values(cefling, DCT + "title") == {"CEFLING Project Corpus"}
    assert LANG + "FIN" in _values(cefling, DCT + "language")
    assert _values(cefling, DLAB + "dataSpace") == {"https://w3id.org/datalab/dataspace/language"}
    assert _values(cefling, DLAB + "availability") == {"underNegotiation"}
    assert _values(cefling, DCT + "accessRights") == {ACCESS + "RESTRICTED"}
    assert "corpus" in _values(cefling, DLAB + "languageResourceType")
    tokens = [
        r.query.get("resumptionToken") for r in server.requests if "resumptionToken" in r.query
    ]
    assert tokens == [["cmdi:1"], ["cmdi:2"]]


def test_metadata_formats_are_detected_in_order_of_richness(
    server: Server, corpus: Path, tmp_path: Path
) -> None:
    ep = OaiEndpoint(
        server,
        formats={
            "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
            "olac": "http://www.language-archives.org/OLAC/1.1/",
            "cmdi_lexRes": CMD,
            "metashare": MS,
        },
        records={"metashare": corpus_metashare_records(corpus)},
        per_page=3,
    )
    s = server.settings(tmp_path)
    with Fetcher(s) as fetcher:
        assert OaiPmhConnector(ep.url, s, fetcher).metadata_prefixes() == ["metashare"]
    pages = _pages(server, ep.url, tmp_path)
    records = {r.record_id: r for p in pages for r in p.records}
    assert len(records) == 7
    elra = records["oai:meta-share:elra260"]
    assert "ELRA_END_USER" in {
        t.object.value for t in elra.triples if t.predicate.value.endswith("#label")
    }
    assert _values(elra, DCT + "accessRights") == {ACCESS + "RESTRICTED"}
    chinese = records["oai:meta-share:corpus-audio-chin"]
    assert LANG + "ZHO" in _values(chinese, DCT + "language")
    ilsp = records["oai:meta-share:ILSP-resource-14"]
    assert ("47000000", "words") in _sizes(ilsp)
    assert ("2", "gb") in _sizes(elra)


def test_clarin_list_metadata_formats_corpus_picks_all_cmdi_profiles(
    server: Server, corpus: Path, tmp_path: Path
) -> None:
    body = (
        corpus / "language" / "clarin-oai-pmh" / "response-ListMetadataFormats.xml"
    ).read_bytes()
    server.static("/clarin", body, "text/xml")
    s = server.settings(tmp_path)
    with Fetcher(s) as fetcher:
        prefixes = OaiPmhConnector(f"{server.base}/clarin", s, fetcher).metadata_prefixes()
    assert prefixes == ["cmdi_lexRes", "cmdi_teiHdr", "cmdi_textCorpus", "cmdi_collection"]


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_hostile_xml_is_refused_fast(
    server: Server, corpus: Path, tmp_path: Path, body: bytes
) -> None:
    ep = _endpoint(server, corpus)
    ep.override[1] = body
    started = time.monotonic()
    with pytest.raises(HarvestError, match="DOCTYPE"):
        _pages(server, ep.url, tmp_path)
    assert time.monotonic() - started < 3


def test_repeated_resumption_token_stops_the_loop(
    server: Server, corpus: Path, tmp_path: Path
) -> None:
    ep = _endpoint(server, corpus)
    ep.token_of[1] = "cmdi:1"
    with pytest.raises(HarvestError, match="the paging loops"):
        _pages(server, ep.url, tmp_path)


def test_record_without_title_and_deleted_record(
    server: Server, corpus: Path, tmp_path: Path
) -> None:
    ep = _endpoint(server, corpus)
    ep.records["cmdi"][0].metadata = b'<CMD xmlns="http://www.clarin.eu/cmd/"><Components/></CMD>'
    ep.records["cmdi"][1].deleted = True
    pages = _pages(server, ep.url, tmp_path)
    failures = [f for p in pages for f in p.failures]
    assert [f.record_id for f in failures] == [ep.records["cmdi"][0].identifier]
    assert "no resource name" in failures[0].message
    assert [r.record_id for p in pages for r in p.records] == [ep.records["cmdi"][2].identifier]


def test_hostile_page_fails_the_job_and_keeps_the_catalogue(
    server: Server, corpus: Path, tmp_path: Path
) -> None:
    ep = _endpoint(server, corpus)
    settings = server.settings(tmp_path)
    HarvestSources(settings).add("clarin", "oai-pmh", ep.url)
    with Catalogue.open(settings) as cat:
        job = Harvester(cat, validate=False).run("clarin")
        assert job.status == SUCCEEDED, job.message
        assert job.counts["new"] == 3
        ep.override[2] = XXE
        job2 = Harvester(cat, validate=False).run("clarin")
        assert job2.status == FAILED
        assert "DOCTYPE" in job2.message
        rows = cat.store.select(
            "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { GRAPH ?g { ?d "
            "<https://w3id.org/datalab/ns#dataSpace> "
            "<https://w3id.org/datalab/dataspace/language> } }"
        )
        assert int(rows[0]["n"].value) == 3


def test_oai_error_and_no_records() -> None:
    assert language_iri("ger/deu") == LANG + "DEU"
    assert language_iri("el") == LANG + "ELL"
    assert language_iri("chi/zho") == LANG + "ZHO"
    assert language_iri("not a code") is None


def test_no_records_match_is_an_empty_listing(server: Server, corpus: Path, tmp_path: Path) -> None:
    ep = _endpoint(server, corpus)
    ep.records["cmdi"] = []
    assert _pages(server, ep.url, tmp_path) == []
    server.static(
        "/bad", f'{HEAD}<error code="badArgument">nope</error></OAI-PMH>'.encode(), "text/xml"
    )
    with pytest.raises(HarvestError):
        _pages(server, f"{server.base}/bad", tmp_path, metadata_prefix="cmdi")


def test_a_record_under_two_cmdi_profiles_is_listed_once(
    server: Server, corpus: Path, tmp_path: Path
) -> None:
    records = corpus_cmdi_records(corpus)
    ep = OaiEndpoint(
        server,
        formats={"cmdi": CMD, "cmdi_lrt": CMD},
        records={"cmdi": records, "cmdi_lrt": records},
        per_page=1,
    )
    pages = _pages(server, ep.url, tmp_path)
    listed = [r.record_id for p in pages for r in p.records]
    assert sorted(listed) == sorted(r.identifier for r in records)
    assert not [f for p in pages for f in p.failures]
