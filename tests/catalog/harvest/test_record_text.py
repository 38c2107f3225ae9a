"""Each harvested record's N-Triples lines are written once, for its hash and for the
store's chunks (issue 18). What a harvest stores must not depend on it: the same real corpus
harvested through the chunk path and through the plain path (one statement at a time, as
a store without N-Triples chunks reads it) stores the same quads, and the record hashes are
the ones the per-triple digest always gave (stored hashes of earlier runs stay valid)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import to_isomorphic

from catalog.harvest import Harvester, HarvestSources
from catalog.harvest import overrides as steward
from catalog.harvest.rdf_listing import split_records
from catalog.harvest.runner import AsNTriples, record_hash
from catalog.namespaces import DLAB
from catalog.service import Catalogue
from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.dcat_server import DcatEndpoint, corpus_triples
from tests.connectors.loopback import Loopback, serve

DCT_TITLE = "http://purl.org/dc/terms/title"
#: Different in every run by design: when and by which job.
PER_RUN = {str(DLAB.harvestedAt), str(DLAB.harvestJob)}


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


def _harvest(server: Loopback, home: Path, corpus: Path, *, plain: bool) -> list[str]:
    """Harvest the corpus's CKAN packages and DCAT-AP examples into a fresh catalogue (a
    steward's edit on one record in between) and return what the sources' graphs hold."""
    portal = CkanPortal(server, corpus_packages(corpus))
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=3)
    settings = server.settings(home)
    HarvestSources(settings).add("ckan", "ckan", portal.url, options={"rows": 2})
    HarvestSources(settings).add("dcat", "dcat", endpoint.url)
    mp = pytest.MonkeyPatch()
    if plain:  # the store then reads the statements one by one (its quad path)
        mp.setattr(AsNTriples, "ntriples_chunks", lambda self, n: None)
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
    assert any("urn:datalab:genid:" in line for line in fast)  # blank nodes, skolemised
    assert sum(str(DLAB.recordHash) in line for line in fast) > 10


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
