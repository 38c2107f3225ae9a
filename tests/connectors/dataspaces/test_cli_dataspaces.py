"""``datalab source add --type healthdcat-ap|oai-pmh|stac|dsp`` then ``datalab harvest``: one
source of each data space, side by side in one catalogue."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from catalog.service import Catalogue
from catalog.settings import get_settings
from cli.app import app
from tests.connectors.dataspaces.oai_server import OaiEndpoint, corpus_cmdi_records
from tests.connectors.dataspaces.server import serve
from tests.connectors.dataspaces.stac_server import StacApi
from tests.connectors.dataspaces.test_dsp import _catalog_pages, _serve_pages


def test_four_data_spaces_through_the_cli(corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    with serve() as server:
        health = corpus / "healthdcat-ap" / "ckanext-dcat" / "dataset_health.ttl"
        server.static("/health", health.read_bytes(), "text/turtle")
        oai = OaiEndpoint(
            server,
            formats={"cmdi": "http://www.clarin.eu/cmd/"},
            records={"cmdi": corpus_cmdi_records(corpus)},
        )
        stac = StacApi(server, corpus)
        _serve_pages(server, _catalog_pages(corpus / "dataspace-protocol", 2, 5))
        env = {
            "DATALAB_HOME": str(tmp_path),
            "DATALAB_FETCH_ALLOW_HOSTS": f"127.0.0.1:{server.port}",
            "DATALAB_FETCH_HOST_DELAY_S": "0",
        }
        sources = {
            "ehds": ("healthdcat-ap", f"{server.base}/health"),
            "clarin": ("oai-pmh", oai.url),
            "cdse": ("stac", stac.url),
            "edc": ("dsp", server.base),
        }
        for name, (kind, url) in sources.items():
            added = runner.invoke(
                app, ["source", "add", name, "--type", kind, "--url", url], env=env
            )
            assert added.exit_code == 0, added.output
            run = runner.invoke(app, ["harvest", name, "--json"], env=env)
            assert run.exit_code == 0, run.output
            [job] = json.loads(run.stdout)
            assert job["status"] == "succeeded", job
    with Catalogue.open(get_settings(home=tmp_path)) as cat:
        rows = cat.store.select(
            "SELECT ?space (COUNT(DISTINCT ?d) AS ?n) WHERE { GRAPH ?g { "
            "?d <https://w3id.org/datalab/ns#dataSpace> ?space } } GROUP BY ?space"
        )
    counts = {r["space"].value.rsplit("/", 1)[1]: int(r["n"].value) for r in rows}
    assert counts == {"health": 1, "language": 3, "earth-observation": 3, "research": 2}
