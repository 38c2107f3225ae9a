"""``datalab sample synthetic DATASET --on|--off``: the operator's switch of a synthetic
preview, refused where the dataset's terms forbid derived data."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from catalog.accounts import Accounts, accounts_path
from catalog.ids import dataset_id
from catalog.service import Catalogue
from catalog.settings import Settings
from cli.app import app
from tests.catalog.samples.builders import IDS, write_parquet

ND = "https://data.example.org/dataset/no-derivatives"
ND_DOC = f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<{ND}> a dcat:Dataset ; dct:title "No derivatives"@en ; dct:description "ND."@en ;
  dct:license <https://creativecommons.org/licenses/by-nd/4.0/> ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/RESTRICTED> .
"""


def test_the_operator_switches_a_preview_on_and_off(loaded: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"DATALAB_HOME": str(loaded.home)}

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args), env=env)
        return result.exit_code, result.output

    ds = IDS["restricted"]
    assert run("sample", "add", ds, str(write_parquet(tmp_path / "s.parquet")))[0] == 0
    code, out = run("sample", "synthetic", ds)
    assert code == 0, out
    assert "off (k=10), not served" in out and "the terms allow derived data" in out
    code, out = run("sample", "synthetic", ds, "--on", "--min-count", "15")
    assert code == 0, out
    assert "on (k=15), served" in out
    code, out = run("sample", "synthetic", ds, "--json")
    assert json.loads(out)["served"] is True
    raised = runner.invoke(
        app, ["sample", "synthetic", ds], env=env | {"DATALAB_SYNTHETIC_MIN_COUNT": "25"}
    )
    assert "on (k=25), served" in raised.output  # a raised floor holds over the chosen k
    code, out = run("sample", "synthetic", ds, "--on", "--min-count", "3")
    assert code == 2 and "min_count must be between 10" in out
    assert run("sample", "synthetic", ds, "--off")[1].startswith(f"synthetic preview of {ds}: off")
    log = Accounts(accounts_path(loaded.home)).audit_log(ds)
    assert [e["outcome"] for e in log if e["action"] == "sample.synthetic.switch"] == ["ok", "ok"]

    with Catalogue.open(loaded) as cat:
        cat.load(ND_DOC.encode(), fmt="turtle", source="nd")
    nd = dataset_id(ND)
    assert run("sample", "add", nd, str(write_parquet(tmp_path / "n.parquet")))[0] == 0
    code, out = run("sample", "synthetic", nd, "--on")
    assert code == 2
    assert "forbid derived data" in out and "prohibits derivative works" in out
    code, out = run("sample", "synthetic", nd)
    assert "off (k=10), not served" in out and "the terms forbid derived data" in out
