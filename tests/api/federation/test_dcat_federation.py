"""Two live instances federate over /catalog with the project's own DCAT connector."""

from __future__ import annotations

import httpx
from rdflib import Graph, URIRef
from typer.testing import CliRunner

from catalog.federation.dcat_export import catalogue_iri
from catalog.harvest import Harvester
from catalog.namespaces import DCAT, DCT
from cli.app import app as cli
from tests.api.federation.conftest import free_port

DEMO_TOTAL = 41


def add_source(home, name: str, url: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["source", "add", name, "--type", "dcat", "--url", url],
        env={"DATALAB_HOME": str(home)},
    )
    assert result.exit_code == 0, result.output


def harvest(inst, name: str):
    job = Harvester(inst.catalogue, validate=False).run(name)
    assert job.status == "succeeded", job.message
    return job


def test_one_instance_harvests_another_and_reharvesting_changes_nothing(instance_factory) -> None:
    pa, pb = free_port(), free_port()
    a = instance_factory("a", port=pa, demo=True)
    b = instance_factory("b", port=pb, peers=(pa,))
    add_source(b.settings.home, "peer-a", f"{a.url}/catalog?page_size=7")

    first = harvest(b, "peer-a")
    assert first.pages == 6
    assert first.counts["new"] == DEMO_TOTAL
    assert b.catalogue.count("peer-a") == DEMO_TOTAL

    again = harvest(b, "peer-a")
    assert again.counts["new"] == 0
    assert again.counts["updated"] == 0
    assert again.counts["unchanged"] == DEMO_TOTAL
    assert b.catalogue.count("peer-a") == DEMO_TOTAL

    # B's own catalogue lists A's data-space catalogues as sub-catalogues of A's catalogue
    g = Graph().parse(data=httpx.get(f"{b.url}/catalog?page_size=500").text, format="turtle")
    root_b = catalogue_iri(b.settings.base_iri)
    root_a = catalogue_iri(a.settings.base_iri)
    assert (URIRef(root_b), DCT.hasPart, URIRef(root_a)) in g
    datasets = set(g.subjects(predicate=None, object=DCAT.Dataset))
    assert len(datasets) == DEMO_TOTAL
    assert not list(g.objects(URIRef(root_b), DCAT.dataset))  # none of them is B's own


def test_a_ring_of_instances_never_loops_or_duplicates(instance_factory) -> None:
    pa, pb = free_port(), free_port()
    a = instance_factory("a", port=pa, peers=(pb,), demo=True)
    b = instance_factory("b", port=pb, peers=(pa,))
    b.catalogue.load(
        b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        <https://b.datalab.example.eu/dataset/own> a dcat:Dataset ; dct:title "B's own"@en ;
          dct:description "Only in B."@en .""",
        fmt="turtle",
    )
    # each peer asks the other not to send back what came through its own catalogue
    root_a, root_b = catalogue_iri(a.settings.base_iri), catalogue_iri(b.settings.base_iri)
    add_source(b.settings.home, "peer-a", f"{a.url}/catalog?exclude_catalog={root_b}")
    harvest(b, "peer-a")
    add_source(a.settings.home, "peer-b", f"{b.url}/catalog?exclude_catalog={root_a}")
    first = harvest(a, "peer-b")
    assert first.counts["new"] == 1
    harvest(b, "peer-a")
    again = harvest(b, "peer-a")
    assert again.counts["unchanged"] == DEMO_TOTAL
    assert again.counts["new"] == 0

    # every dataset appears once in each export, whatever went round the ring
    for inst in (a, b):
        text = httpx.get(f"{inst.url}/catalog?page_size=500").text
        g = Graph().parse(data=text, format="turtle")
        assert len(set(g.subjects(None, DCAT.Dataset))) == DEMO_TOTAL + 1
    g = Graph().parse(data=httpx.get(f"{a.url}/catalog?page_size=500").text, format="turtle")
    own = URIRef("https://b.datalab.example.eu/dataset/own")
    assert (URIRef(catalogue_iri(b.settings.base_iri)), DCAT.dataset, own) in g
    # B's export never offers A's datasets again as its own: they sit in A's catalogue
    text = httpx.get(f"{b.url}/catalog?page_size=500").text
    g = Graph().parse(data=text, format="turtle")
    for d in g.subjects(None, DCAT.Dataset):
        if str(d) != str(own):
            assert (URIRef(catalogue_iri(b.settings.base_iri)), DCAT.dataset, d) not in g


def test_a_peer_that_ignores_the_exclusion_still_gets_no_duplicates(instance_factory) -> None:
    pa, pb = free_port(), free_port()
    a = instance_factory("a", port=pa, peers=(pb,), demo=True)
    b = instance_factory("b", port=pb, peers=(pa,))
    add_source(b.settings.home, "peer-a", f"{a.url}/catalog")
    harvest(b, "peer-a")
    add_source(a.settings.home, "peer-b", f"{b.url}/catalog")  # no exclude_catalog
    job = Harvester(a.catalogue, validate=False).run("peer-b")
    assert job.counts["new"] == 0  # A's own datasets are refused, never stored twice
    assert a.catalogue.count() == DEMO_TOTAL
    text = httpx.get(f"{a.url}/catalog?page_size=500").text
    assert len(set(Graph().parse(data=text, format="turtle").subjects(None, DCAT.Dataset))) == (
        DEMO_TOTAL
    )
