"""The built-in demo sources: one per data-space connector, harvested from loopback."""

from __future__ import annotations

from pathlib import Path

from catalog.demo.sources import demo_connectors, harvest_demo_sources
from catalog.service import Catalogue
from catalog.settings import get_settings


def test_one_demo_source_per_connector_kind() -> None:
    kinds = {c.type: c.data_space for c in demo_connectors()}
    assert kinds == {
        "healthdcat-ap": "health",
        "oai-pmh": "language",
        "stac": "earth-observation",
        "dsp": "research",
    }


def test_demo_sources_harvest_into_four_data_spaces(tmp_path: Path) -> None:
    with Catalogue.open(get_settings(home=tmp_path)) as cat:
        jobs = harvest_demo_sources(cat)
        assert [j.status for j in jobs] == ["succeeded"] * 4, [j.message for j in jobs]
        again = harvest_demo_sources(cat)  # a second run (new port) changes nothing
        assert [j.status for j in again] == ["succeeded"] * 4
        counts = {}
        for demo in demo_connectors():
            graph = cat.graphs.current(demo.name)
            rows = cat.store.select(
                f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ GRAPH <{graph}> {{ "
                f"?d <https://w3id.org/datalab/ns#dataSpace> <{demo.data_space_iri}> }} }}"
            )
            counts[demo.data_space] = int(rows[0]["n"].value)
        assert counts == {"health": 1, "language": 2, "earth-observation": 1, "research": 1}
        assert [j.counts["deleted"] for j in again] == [0, 0, 0, 0]
        # the STAC collection crosses the antimeridian; its s3:/file: asset hrefs are not kept
        wkt = cat.store.select(
            "SELECT ?w WHERE { GRAPH ?g { ?l <http://www.w3.org/ns/dcat#bbox> ?w } }"
        )
        assert wkt
        assert wkt[0]["w"].value.startswith("MULTIPOLYGON")
        leaked = cat.store.select(
            'SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?o), "never")) } }'
        )
        assert leaked == []
