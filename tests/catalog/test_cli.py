"""The datalab command line, end to end on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from cli.app import app
from tests.conftest import CORPUS

HVD = CORPUS / "dcat-ap" / "hvd-3.0.0" / "examples"


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"DATALAB_HOME": str(tmp_path / "home")}

    def invoke(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output + str(result.exception or "")
        return result

    return invoke


def test_load_list_show_export_delete(run) -> None:  # type: ignore[no-untyped-def]
    out = run("load", str(HVD / "example-ms_catalogue.ttl"), "--source", "hvd").output
    assert "loaded 1 dataset(s)" in out
    listed = json.loads(run("datasets", "--json").output)["items"]
    assert [i["iri"] for i in listed] == ["https://data.exampleMS.gov/id/dataset/1T2p3o4B"]
    ident = listed[0]["id"]
    shown = json.loads(run("show", ident).output)
    assert shown["id"] == ident and shown["source"] == "hvd"
    turtle = run("show", ident, "--format", "turtle").output
    assert "The population of bees" in turtle
    exported = Graph().parse(data=run("export", "--format", "xml").output, format="xml")
    assert len(exported) > 10
    assert "deleted" in run("delete", ident).output
    assert json.loads(run("datasets", "--json").output)["items"] == []


def test_validate_exit_codes(run) -> None:  # type: ignore[no-untyped-def]
    # conforms to DCAT-AP 3.0.1 (example-ms_catalogue.ttl cites a distribution it does not
    # describe: the class range of dcat:distribution fails, as with the official shapes)
    good = CORPUS / "dcat-ap" / "hvd-3.0.0" / "examples" / "example-ms_catalogue_simple.ttl"
    bad = CORPUS / "healthdcat-ap" / "health-ri" / "invalid" / "dataset-nodescription.ttl"
    run("validate", str(good))
    report = run("validate", str(bad), "--json", code=1).output
    assert json.loads(report)["conforms"] is False


def test_errors_are_clear_and_exit_2(run) -> None:  # type: ignore[no-untyped-def]
    broken = CORPUS / "dcat-ap" / "hvd-3.0.0" / "examples" / "example-bees_wasps_dataset.ttl"
    result = run("load", str(broken), "--no-validate", code=2)
    assert "broken RDF" in result.output and "line" in result.output
    assert "no dataset with id" in run("show", "nope-aaaaaaaa", code=2).output
    assert "no such file" in run("load", "/nonexistent.ttl", code=2).output
    assert "unknown RDF syntax" in run("load", str(broken), "--format", "docx", code=2).output


def test_strict_load_stores_nothing_on_violations(run) -> None:  # type: ignore[no-untyped-def]
    bad = CORPUS / "healthdcat-ap" / "health-ri" / "invalid" / "dataset-nodescription.ttl"
    run("load", str(bad), "--strict", code=2)
    assert json.loads(run("datasets", "--json").output)["items"] == []


def test_load_from_a_url_goes_through_the_bounded_fetcher(tmp_path: Path) -> None:
    import http.server
    import threading

    body = (HVD / "example-ms_catalogue.ttl").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    runner = CliRunner()
    env = {"DATALAB_HOME": str(tmp_path / "home")}
    try:
        url = f"http://127.0.0.1:{port}/catalogue"
        refused = runner.invoke(app, ["load", url, "--no-validate"], env=env)
        assert refused.exit_code == 2 and "127.0.0.1" in refused.output
        env["DATALAB_FETCH_ALLOW_HOSTS"] = f"127.0.0.1:{port}"
        env["DATALAB_FETCH_HOST_DELAY_S"] = "0"
        loaded = runner.invoke(app, ["load", url, "--no-validate"], env=env)
        assert loaded.exit_code == 0, loaded.output
        assert "loaded 1 dataset(s)" in loaded.output
    finally:
        server.shutdown()
        server.server_close()
