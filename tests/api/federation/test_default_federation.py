"""Two instances with default settings federate: each served as ``datalab serve`` serves
(host and port as the command line passes them), nothing set but the home and, on the
harvesting side, the loopback exemption of its address guard. Their catalogue IRIs differ
(derived from their public URLs), so the loop rule keeps what the peer sends; and every
link A hands out names the port A really listens on."""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx
import pyarrow.parquet as pq
from typer.testing import CliRunner

from catalog.demo import load_demo
from catalog.federation.dcat_export import catalogue_iri
from cli.app import app as cli
from cli.app import settings_from_cli
from tests.api.federation.conftest import free_port
from tests.app_server import serving_as_cli
from tests.catalog.samples.builders import sales_table

PUBLIC_ID = "land-cover-europe-2021-p7333jz2"  # a PUBLIC demo dataset: its file is for all
PARQUET = {"Content-Type": "application/vnd.apache.parquet"}
DSP_REQUEST = {
    "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
    "@type": "CatalogRequestMessage",
    "filter": [],
}


def admin_token(home: Path) -> dict[str, str]:
    """An administrator added with the command line, as an operator would."""
    runner, env = CliRunner(), {"DATALAB_HOME": str(home)}
    added = runner.invoke(cli, ["user", "add", "root", "--role", "admin"], env=env)
    assert added.exit_code == 0, added.output
    token = runner.invoke(cli, ["user", "token", "root"], env=env)
    assert token.exit_code == 0, token.output
    return {"Authorization": f"Bearer {token.output.strip()}"}


def parquet() -> bytes:
    buf = io.BytesIO()
    pq.write_table(sales_table(30), buf)
    return buf.getvalue()


def harvest(url: str, auth: dict[str, str], name: str) -> dict:
    r = httpx.post(f"{url}/sources/{name}/harvest", headers=auth)
    assert r.status_code == 202, r.text
    job_url = f"{url}/jobs/{r.json()['id']}"
    deadline = time.monotonic() + 120
    while (job := httpx.get(job_url).json())["status"] in ("pending", "running", "queued"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    return job


def test_two_instances_with_default_settings_federate(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    auth_a, auth_b = admin_token(home_a), admin_token(home_b)
    # A on a port the system picks (--port 0), B on another free one
    with serving_as_cli(settings_from_cli(home=home_a, port=0), load_demo) as a:
        a_url = f"http://127.0.0.1:{a.port}"
        assert a.port != 0 and a.public_url == a_url
        peer = settings_from_cli(home=home_b, port=free_port(), fetch_allow_hosts=[a_url[7:]])
        with serving_as_cli(peer) as b:
            b_url = f"http://127.0.0.1:{b.port}"
            assert catalogue_iri(a.base_iri) != catalogue_iri(b.base_iri)

            put = httpx.put(
                f"{a_url}/datasets/{PUBLIC_ID}/sample", content=parquet(), headers=auth_a | PARQUET
            )
            assert put.status_code == 201, put.text
            published = int(httpx.get(f"{a_url}/catalog").headers["X-Total-Count"])
            assert published > 0

            source = {"name": "peer-a", "type": "dcat", "url": f"{a_url}/catalog"}
            added = httpx.post(f"{b_url}/sources", json=source, headers=auth_b)
            assert added.status_code == 201, added.text
            job = harvest(b_url, auth_b, "peer-a")
            assert job["status"] == "succeeded", job

            listed = httpx.get(f"{b_url}/datasets", params={"source": "peer-a", "limit": 500})
            items = listed.json()["items"]
            assert len(items) == published
            # the sample's URLs B received name A's real address
            mine = next(i for i in items if i["id"] == PUBLIC_ID)
            record = httpx.get(f"{b_url}/datasets/{mine['id']}", params={"format": "nt"}).text
            assert f"<{a_url}/datasets/{PUBLIC_ID}/sample/file>" in record

            # every link A hands out is on the port A listens on
            croissant = httpx.get(f"{a_url}/datasets/{PUBLIC_ID}/croissant").json()
            files = [f["contentUrl"] for f in croissant["distribution"]]
            assert files == [f"{a_url}/datasets/{PUBLIC_ID}/sample/file"]
            dsp = httpx.post(f"{a_url}/dsp/catalog/request", json=DSP_REQUEST).json()
            assert [s["endpointURL"] for s in dsp["service"]] == [f"{a_url}/dsp"]
            version = httpx.get(f"{a_url}/.well-known/dspace-version").json()
            assert version["protocolVersions"][0]["path"] == "/dsp"
            status = httpx.get(f"{a_url}/api/3/action/status_show").json()
            assert status["result"]["site_url"] == a_url
            assert httpx.get(f"{a.public_url}/health").status_code == 200
