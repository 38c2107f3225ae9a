"""Every export is clean against the official DCAT-AP 3.0.1 shapes.

The corpus sources are harvested through the real connectors from loopback servers that
replay corpus files (the connector contract's sources, tests/connectors/contract_sources.py),
next to the demo catalogue with samples (a public one, with its checksum, and a restricted
one, without). The whole ``/catalog`` export is then validated with pyshacl and the official
shapes (read in ``../shared/corpus``): no violation. A dataset the export leaves out must
be one the official shapes reject too (its record, with the classes its ranges entail). The
non-public health records also meet the HealthDCAT-AP shapes.

The CKAN, DCAT, OAI-PMH, STAC and DSP sources share one catalogue; the SPARQL and
HealthDCAT-AP sources replay the same corpus files as the DCAT one (a dataset IRI belongs
to one source), so each gets a catalogue of its own.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from api.app import create_app
from catalog.demo import load_demo
from catalog.harvest import Harvester, HarvestSources
from catalog.namespaces import DATASPACE, DCAT, DCT, DLAB, EU_ACCESS_RIGHT, SPDX
from catalog.ranges import with_ranges
from catalog.rdf_bridge import to_rdflib_graph
from catalog.records import describe
from catalog.samples import SampleStore, Upload
from catalog.samples import graph as sample_graph
from catalog.service import Catalogue
from catalog.skolem import unskolemise
from catalog.validation import load_shapes, validate_graph
from tests.conftest import CORPUS
from tests.connectors.contract_sources import BUILDERS
from tests.connectors.loopback import serve

GROUPS = {
    "shared": ("ckan", "dcat", "oai-pmh", "stac", "dsp"),
    "sparql": ("sparql",),
    "healthdcat-ap": ("healthdcat-ap",),
}
PUBLIC_ID = "land-cover-europe-2021-p7333jz2"
RESTRICTED_ID = "synthetic-ehr-fhir-u2otqddy"


@pytest.fixture(scope="module")
def official() -> Graph:
    return load_shapes(CORPUS / "dcat-ap" / "3.0.1" / "dcat-ap-SHACL.ttl")


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_the_catalog_export_has_no_violation_of_the_official_shapes(
    group: str, tmp_path: Path, corpus: Path, official: Graph
) -> None:
    kinds = GROUPS[group]
    with serve() as server, ExitStack() as stack:
        sources = {}
        for kind in kinds:
            (tmp_path / kind).mkdir()
            sources[kind] = BUILDERS[kind](server, corpus, stack, tmp_path / kind)
        hosts = [f"127.0.0.1:{server.port}"] + [h for s in sources.values() for h in s.hosts]
        settings = server.settings(
            tmp_path / "home", fetch_allow_hosts=hosts, fetch_max_retries=0, max_page_size=1000
        )
        for kind, source in sources.items():
            HarvestSources(settings).add(kind, kind, source.url, options=source.options)
        with Catalogue.open(settings) as cat:
            if group == "shared":
                load_demo(cat)
            for kind in kinds:
                job = Harvester(cat, validate=False).run(kind)
                assert job.status == "succeeded", (kind, job.message)
                assert job.counts["new"] == sources[kind].datasets
            if group == "shared":  # samples, as an upload publishes them
                data = tmp_path / "sample.parquet"
                pq.write_table(pa.table({"tile": ["a", "b"], "value": [1, 2]}), data)
                store = SampleStore(settings)
                for dataset_id in (PUBLIC_ID, RESTRICTED_ID):
                    store.add(dataset_id, Upload(data=data.read_bytes()), uploaded_by="t")
                    sample_graph.publish(cat, dataset_id, store.meta(dataset_id))

    with TestClient(create_app(settings)) as client:
        r = client.get("/catalog?page_size=1000", headers={"Accept": "text/turtle"})
        assert r.status_code == 200, r.text
        export = Graph().parse(data=r.text, format="turtle")
        total, left_out = int(r.headers["x-total-count"]), int(r.headers["x-datalab-left-out"])
        cat = client.app.state.services.catalogue
        listed = set(export.subjects(RDF.type, DCAT.Dataset))
        assert len(listed & {URIRef(cat.find(i).iri) for i in _ids(cat)}) == total - left_out

        report = validate_graph(export, official, timeout_s=600, background=False)
        assert not report.violations(), report.to_text()[:6000]

        # a left-out dataset is one the official shapes reject as well
        kept = {str(d) for d in listed}
        for dataset_id in _ids(cat):
            ref = cat.find(dataset_id)
            if ref.iri in kept:
                continue
            public = cat.settings.public_url
            record = list(unskolemise(with_ranges(describe(cat.store, ref)), public_url=public))
            rejected = validate_graph(
                to_rdflib_graph(record), official, timeout_s=120, background=False
            )
            assert rejected.violations(), f"{dataset_id} was left out but conforms"

    if group == "shared":
        _health_records_meet_healthdcat_ap(export)
        assert total - left_out >= 41 + 10  # the demo and most harvested datasets
        samples = [s for s in export.subjects(RDF.type, DCAT.Distribution) if "/sample" in s]
        assert len(samples) == 2
        checksums = list(export.subjects(RDF.type, SPDX.Checksum))
        assert len(checksums) == 1  # the public sample's only
        for media in export.objects(None, DCAT.mediaType):
            assert str(media).startswith("http://www.iana.org/assignments/media-types/")


def _health_records_meet_healthdcat_ap(export: Graph) -> None:
    """The HealthDCAT-AP shapes (its NON_PUBLIC specification) on the export's non-public
    datasets of the health data space, their distributions and agents (the catalogues, which
    are not health catalogues, and the other datasets left aside)."""
    space = URIRef(str(DATASPACE) + "health")
    health = {
        d
        for d in export.subjects(DLAB.dataSpace, space)
        if (d, DCT.accessRights, EU_ACCESS_RIGHT.NON_PUBLIC) in export
    }
    assert len(health) >= 5
    stop = {s for c in (DCAT.Dataset, DCAT.Catalog) for s in export.subjects(RDF.type, c)}
    records, seen, pending = Graph(), set(health), list(health)
    while pending:  # each dataset and the nodes it reaches, other records aside
        node = pending.pop()
        for triple in export.triples((node, None, None)):
            records.add(triple)
            value = triple[2]
            if not isinstance(value, Literal) and value not in seen and value not in stop:
                seen.add(value)
                pending.append(value)
    shapes = load_shapes(CORPUS / "healthdcat-ap" / "healthdcatap-shacl.ttl")
    report = validate_graph(records, shapes, timeout_s=300, background=False)
    assert not report.violations(), report.to_text()[:4000]


def _ids(cat: Catalogue) -> list[str]:
    return [item.id for item in cat.datasets(limit=1000).items]
