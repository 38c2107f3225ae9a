"""Each harvested record's N-Triples lines are written once, for its hash and for the
store's chunks (issue 18), and the CKAN and DCAT connectors hand the runner lines instead of
``ox.Triple`` objects. What a harvest stores must not depend on it: the same real corpus
harvested through the chunk path with lines and through the plain path (the connectors'
``ox.Triple`` records, stored one statement at a time, as a store without N-Triples chunks
reads them) stores the same quads, and the record hashes are the ones the per-triple digest
always gave (stored hashes of earlier runs stay valid: a run on the other path finds every
record unchanged)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import to_isomorphic

from catalog.harvest import Harvester, HarvestSources, rdf_listing
from catalog.harvest import overrides as steward
from catalog.harvest.contract import Page, SourceRecord
from catalog.harvest.rdf_listing import split_records
from catalog.harvest.runner import AsNTriples, hashed_lines, record_hash
from catalog.namespaces import DLAB
from catalog.service import Catalogue
from connectors.ckan import CkanConnector
from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.dcat_server import DcatEndpoint, corpus_triples
from tests.connectors.loopback import Loopback, serve
from tests.connectors.test_ckan_lines import hostile_packages

DCT_TITLE = "http://purl.org/dc/terms/title"
#: Different in every run by design: when and by which job.
PER_RUN = {str(DLAB.harvestedAt), str(DLAB.harvestJob)}


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


def _packages(corpus: Path) -> list[dict[str, Any]]:
    """The corpus's packages, its multilingual example (language tags) and hostile ones
    (every escape; values refused as IRIs or tags)."""
    multilingual = corpus / "ckan" / "ckanext-dcat" / "ckan_dataset_multilingual.json"
    package = {**json.loads(multilingual.read_text()), "id": "multilingual"}  # it has none
    return [*corpus_packages(corpus), package, *hostile_packages()]


def _old_connectors(mp: pytest.MonkeyPatch) -> None:
    """The connectors as they were: records of ``ox.Triple`` objects, no lines."""

    def map_one(self: CkanConnector, pkg: Any, page: Page) -> None:
        if pkg.get("private") or pkg.get("state", "active") != "active":
            return
        iri, triples = self.mapper.map(pkg)
        page.records.append(SourceRecord(pkg["id"], iri, triples, pkg.get("metadata_modified")))

    def split(triples: list[ox.Triple]) -> tuple[list[SourceRecord], Any, Any]:
        records, failures, extra = split_records(triples)
        assert all(r.lines is not None for r in records)
        plain = [SourceRecord(r.record_id, r.iri, r.triples, r.modified) for r in records]
        return plain, failures, extra

    mp.setattr(CkanConnector, "_map_one", map_one)
    mp.setattr(rdf_listing, "split_records", split)


def _harvest(server: Loopback, home: Path, corpus: Path, *, plain: bool) -> list[str]:
    """Harvest the corpus's CKAN packages and DCAT-AP examples into a fresh catalogue (a
    steward's edit on one record in between) and return what the sources' graphs hold;
    ``plain``: the connectors' ox.Triple records, stored one statement at a time."""
    portal = CkanPortal(server, _packages(corpus))
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=3)
    settings = server.settings(home)
    HarvestSources(settings).add("ckan", "ckan", portal.url, options={"rows": 2})
    HarvestSources(settings).add("dcat", "dcat", endpoint.url)
    mp = pytest.MonkeyPatch()
    if plain:  # the store then reads the statements one by one (its quad path)
        mp.setattr(AsNTriples, "ntriples_chunks", lambda self, n: None)
        _old_connectors(mp)
    try:
        with Catalogue.open(settings) as cat:
            harvester = Harvester(cat, validate=False)
            for name in ("ckan", "dcat"):
                assert harvester.run(name).status == "succeeded"
            iri = f"{portal.url}/dataset/{portal.packages[0]['id']}"
            edit = [ox.Literal("Steward's title", language="en")]
            steward.set_field(cat, "ckan", iri, DCT_TITLE, edit)
            assert harvester.run("ckan").status == "succeeded"
            out = []
            for name in ("ckan", "dcat"):
                graph = cat.graphs.current(name)
                assert graph is not None
                out.extend(
                    f"{ox.Triple(q.subject, q.predicate, q.object)} ."
                    for q in cat.store.quads(graph)
                    if q.predicate.value not in PER_RUN
                )
            return sorted(out)
    finally:
        mp.undo()


def test_chunk_path_stores_what_the_plain_path_stores(
    server: Loopback, tmp_path: Path, corpus: Path
) -> None:
    fast = _harvest(server, tmp_path / "fast", corpus, plain=False)
    plain = _harvest(server, tmp_path / "plain", corpus, plain=True)
    assert len(fast) == len(plain)
    # blank nodes are new ones in every run (so are their skolem IRIs): compare the graphs
    # up to their renaming
    assert _canonical(fast) == _canonical(plain)
    assert any("Steward's title" in line for line in fast)
    assert any('\\"' in line and "\\n" in line for line in fast)  # escapes, hostile text
    assert any('"@de' in line for line in fast)  # language tags
    assert any("urn:datalab:genid:" in line for line in fast)  # blank nodes, skolemised
    assert sum(str(DLAB.recordHash) in line for line in fast) > 10


def test_a_harvest_on_the_other_path_finds_every_record_unchanged(
    server: Loopback, tmp_path: Path, corpus: Path
) -> None:
    """Hashes stored by the ox.Triple path are those the lines path computes, both ways."""
    portal = CkanPortal(server, _packages(corpus))
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=3)
    settings = server.settings(tmp_path)
    HarvestSources(settings).add("ckan", "ckan", portal.url, options={"rows": 2})
    HarvestSources(settings).add("dcat", "dcat", endpoint.url)
    with Catalogue.open(settings) as cat:
        harvester = Harvester(cat, validate=False)
        for old_first in (True, False):
            mp = pytest.MonkeyPatch()
            if old_first:
                _old_connectors(mp)
            try:
                first = {name: harvester.run(name) for name in ("ckan", "dcat")}
            finally:
                mp.undo()
            if not old_first:
                _old_connectors(mp)
            try:
                again = {name: harvester.run(name) for name in ("ckan", "dcat")}
            finally:
                mp.undo()
            for name in ("ckan", "dcat"):
                listed = sum(first[name].counts[k] for k in ("new", "updated", "unchanged"))
                assert listed > 2
                assert again[name].status == "succeeded"
                assert again[name].counts["unchanged"] == listed, (name, again[name].counts)
                assert again[name].counts["updated"] == again[name].counts["new"] == 0


def _canonical(lines: list[str]) -> Graph:
    text = "\n".join(lines).replace("<urn:datalab:genid:", "_:g")
    text = re.sub(r"(_:g[0-9a-f]+)>", r"\1", text)
    return to_isomorphic(Graph().parse(data=text, format="nt"))


def _per_triple_hash(triples: list[ox.Triple]) -> str:
    """The record hash as first written: one line per triple, blank labels as ``_:b``."""
    lines = []
    for t in triples:
        if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode):
            parts = ["_:b" if isinstance(x, ox.BlankNode) else str(x) for x in t]
            lines.append(" ".join(parts))
        else:
            lines.append(str(t))
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()[:32]


def test_record_hash_is_the_per_triple_digest(corpus: Path) -> None:
    records, _, _ = split_records(corpus_triples(corpus))
    assert any(isinstance(t.object, ox.BlankNode) for r in records for t in r.triples)
    for rec in records:
        assert record_hash(rec.triples) == _per_triple_hash(rec.triples), rec.record_id
        assert rec.lines == [str(t) for t in rec.triples]
        assert hashed_lines(rec.lines) == record_hash(rec.triples)


def test_the_hash_read_from_lines_is_the_hash_of_the_terms() -> None:
    """Blank nodes as subject or object, not inside a triple term, a literal or an IRI."""
    s, p, b = ox.NamedNode("http://a/s"), ox.NamedNode("http://a/p"), ox.BlankNode("x1")
    cases = [
        [ox.Triple(b, p, s), ox.Triple(s, p, b), ox.Triple(b, p, ox.BlankNode("y"))],
        [ox.Triple(s, p, ox.Triple(s, p, b))],  # a triple term holding a blank node
        [ox.Triple(s, p, ox.Literal("_:x1 looks blank")), ox.Triple(s, p, ox.NamedNode("urn:_:x"))],
        [ox.Triple(b, p, ox.Literal("_:b", language="en"))],
    ]
    for triples in cases:
        assert hashed_lines([str(t) for t in triples]) == _per_triple_hash(triples)
    relabelled = [ox.Triple(ox.BlankNode("other"), p, s), ox.Triple(s, p, ox.BlankNode("z"))]
    assert record_hash(relabelled[:2]) == record_hash(cases[0][:2])
