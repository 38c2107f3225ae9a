"""A bounded sample taken from a distribution's download URL through the shared fetcher:
real loopback servers, size caps, SSRF refusal, the API route and the CLI."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.ids import dataset_id
from catalog.samples.fetched import cut_csv
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from cli.app import app as cli_app
from tests.catalog.samples.builders import sales_table
from tests.catalog.samples.range_server import FileServer, serve_files

CAP = 4000
DS_IRI = "https://data.example.org/dataset/fetched"
DS = dataset_id(DS_IRI)
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"


def _csv(rows: int) -> bytes:
    lines = ["id,name,note"] + [f'{i},item {i % 7},"note, {i}"' for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _parquet(rows: int) -> bytes:
    buf = io.BytesIO()
    pq.write_table(sales_table(rows), buf)
    return buf.getvalue()


def _ttl(dists: dict[str, tuple[str, str | None]]) -> bytes:
    """A public dataset with distributions ``name → (download URL, media type)``."""
    parts = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .",
        f'<{DS_IRI}> a dcat:Dataset ; dct:title "Fetched"@en ; dct:accessRights <{PUBLIC}> .',
    ]
    for name, (url, media) in dists.items():
        iri = f"{DS_IRI}/dist/{name}"
        media_part = f" ; dcat:mediaType <https://www.iana.org/assignments/media-types/{media}>"
        parts.append(f"<{DS_IRI}> dcat:distribution <{iri}> .")
        parts.append(
            f"<{iri}> a dcat:Distribution ; dcat:downloadURL <{url}>"
            + (media_part if media else "")
            + " ."
        )
    return "\n".join(parts).encode()


def _settings(home: Path, server: FileServer) -> Settings:
    return get_settings(
        home=home,
        fetch_allow_hosts=[server.host],
        fetch_host_delay_s=0,
        fetch_max_retries=0,
        fetch_total_timeout_s=5.0,
        sample_fetch_max_bytes=CAP,
    )


@pytest.fixture
def files() -> Iterator[FileServer]:
    with serve_files() as server:
        yield server


def _client(settings: Settings, ttl: bytes) -> tuple[TestClient, dict[str, dict[str, str]]]:
    with Catalogue.open(settings) as cat:
        cat.load(ttl, fmt="turtle")
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("root", "admin", None, None)
    accounts.add_user("other", "steward", "Org B", None)
    auth = {n: {"Authorization": f"Bearer {accounts.issue_token(n)}"} for n in ("root", "other")}
    return TestClient(create_app(settings)), auth


def test_large_csv_gives_its_first_complete_rows(files, tmp_path) -> None:
    big = _csv(2000)
    assert len(big) > 10 * CAP
    files.files["/page.html"] = (b"<html></html>", "text/html")
    files.files["/data.csv"] = (big, "text/csv")
    ttl = _ttl({"a-page": (f"{files.base}/page.html", "text/html"),
                "b-csv": (f"{files.base}/data.csv", "text/csv")})  # fmt: skip
    client, auth = _client(_settings(tmp_path / "home", files), ttl)
    with client:
        r = client.post(f"/datasets/{DS}/sample/from-distribution", headers=auth["root"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["origin"]["distribution"] == f"{DS_IRI}/dist/b-csv"
        assert body["origin"]["truncated"] is True
        assert body["origin"]["total_bytes"] == len(big)
        assert body["origin"]["bytes_fetched"] == CAP
        assert files.requests[-1]["Range"] == f"bytes=0-{CAP - 1}"
        assert body["distribution"]["in_graph"] is True
        rows = body["rows"]
        assert 0 < rows < 2000
        expected = big[:CAP].rsplit(b"\n", 1)[0].count(b"\n")  # lines after the header
        assert rows == expected
        page = client.get(f"/datasets/{DS}/sample/rows", params={"offset": rows - 1}).json()
        last = rows - 1
        assert page["rows"] == [{"id": last, "name": f"item {last % 7}", "note": f"note, {last}"}]


def test_parquet_is_taken_whole_or_refused(files, tmp_path) -> None:
    small, large = _parquet(20), _parquet(3000)
    assert len(small) < CAP < len(large)
    files.files["/small.parquet"] = (small, "application/octet-stream")
    files.files["/large.parquet"] = (large, "application/vnd.apache.parquet")
    ttl = _ttl({"large": (f"{files.base}/large.parquet", None),
                "small": (f"{files.base}/small.parquet", None)})  # fmt: skip
    client, auth = _client(_settings(tmp_path / "home", files), ttl)
    with client:
        url = f"/datasets/{DS}/sample/from-distribution"
        r = client.post(url, headers=auth["root"])  # picks "large" (first by IRI)
        assert r.status_code == 413
        message = r.json()["error"]["message"]
        assert "Parquet file is sampled only when it fits whole" in message
        assert client.get(f"/datasets/{DS}/sample").status_code == 404
        assert "Range" not in files.requests[-1]
        r = client.post(url, params={"distribution": f"{DS_IRI}/dist/small"}, headers=auth["root"])
        assert r.status_code == 201, r.text
        assert r.json()["rows"] == 20
        assert r.json()["origin"]["truncated"] is False


def test_server_ignoring_range_must_fit_the_cap(tmp_path) -> None:
    with serve_files(ranges=False) as files:
        files.files["/data.csv"] = (_csv(2000), "text/csv")
        ttl = _ttl({"csv": (f"{files.base}/data.csv", "text/csv")})
        client, auth = _client(_settings(tmp_path / "home", files), ttl)
        with client:
            r = client.post(f"/datasets/{DS}/sample/from-distribution", headers=auth["root"])
            assert r.status_code == 413
            assert "ignores Range" in r.json()["error"]["message"]
            assert client.get(f"/datasets/{DS}/sample").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/data.csv", "http://10.0.0.1/data.csv", "http://[::1]:9/x.csv"],
)
def test_internal_download_url_is_refused_before_any_request(files, tmp_path, url) -> None:
    ttl = _ttl({"csv": (url, "text/csv")})
    client, auth = _client(_settings(tmp_path / "home", files), ttl)
    with client:
        r = client.post(f"/datasets/{DS}/sample/from-distribution", headers=auth["root"])
        assert r.status_code == 400
        assert r.json()["error"]["code"].startswith("fetch")
        assert client.get(f"/datasets/{DS}/sample").status_code == 404
        assert "adms#sample" not in client.get(f"/datasets/{DS}", params={"format": "nt"}).text


def test_only_stewards_and_admins_may_sample_and_nothing_is_fetched_otherwise(
    files, tmp_path
) -> None:
    files.files["/data.csv"] = (_csv(10), "text/csv")
    client, auth = _client(
        _settings(tmp_path / "home", files),
        _ttl({"csv": (f"{files.base}/data.csv", "text/csv")}),
    )
    with client:
        url = f"/datasets/{DS}/sample/from-distribution"
        assert client.post(url).status_code == 401
        assert client.post(url, headers=auth["other"]).status_code == 403
        assert files.requests == []


def test_dataset_without_a_csv_or_parquet_distribution_says_so(files, tmp_path) -> None:
    ttl = _ttl({"html": (f"{files.base}/page.html", "text/html")})
    client, auth = _client(_settings(tmp_path / "home", files), ttl)
    with client:
        r = client.post(f"/datasets/{DS}/sample/from-distribution", headers=auth["root"])
        assert r.status_code == 400
        assert "announces CSV or Parquet" in r.json()["error"]["message"]


def test_cli_samples_a_named_distribution(files, tmp_path) -> None:
    files.files["/data.csv"] = (_csv(2000), "text/csv")
    settings = _settings(tmp_path / "home", files)
    with Catalogue.open(settings) as cat:
        cat.load(_ttl({"csv": (f"{files.base}/data.csv", "text/csv")}), fmt="turtle")
    env = {
        "DATALAB_HOME": str(settings.home),
        "DATALAB_FETCH_ALLOW_HOSTS": files.host,
        "DATALAB_FETCH_HOST_DELAY_S": "0",
        "DATALAB_SAMPLE_FETCH_MAX_BYTES": str(CAP),
    }
    runner = CliRunner()
    dist = f"{DS_IRI}/dist/csv"
    result = runner.invoke(cli_app, ["sample", "add", DS, "--from-distribution", dist], env=env)
    assert result.exit_code == 0, result.output
    assert "first rows only" in result.output
    result = runner.invoke(cli_app, ["sample", "add", DS, "--from-distribution", dist, "--json"],
                           env=env)  # fmt: skip
    meta = json.loads(result.output)
    assert meta["origin"]["url"] == f"{files.base}/data.csv"
    with Catalogue.open(settings) as cat:
        assert "adms#sample" in cat.export("ntriples").decode()
    assert runner.invoke(cli_app, ["sample", "delete", DS], env=env).exit_code == 0
    with Catalogue.open(settings) as cat:
        assert "adms#sample" not in cat.export("ntriples").decode()


def test_cut_csv_keeps_quoted_newlines_whole() -> None:
    data = b'id,text\n1,"a\nb"\n2,"c\nd'
    assert cut_csv(data) == b'id,text\n1,"a\nb"\n'
    with pytest.raises(Exception, match="no complete line"):
        cut_csv(b'id,"te')
