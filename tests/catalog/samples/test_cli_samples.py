"""The CLI: ``datalab sample add``, ``datalab user add/token``, ``datalab grant add/revoke``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.accounts import Accounts, accounts_path
from catalog.samples import SampleStore
from catalog.settings import Settings
from cli.app import app
from tests.catalog.samples.builders import IDS, write_parquet
from tests.conftest import CORPUS


@pytest.fixture
def run(loaded: Settings):
    runner = CliRunner()
    env = {"DATALAB_HOME": str(loaded.home)}

    def _run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args), env=env)
        return result.exit_code, result.output

    return _run


def test_sample_add_file_and_csv(run, loaded: Settings, tmp_path: Path) -> None:
    code, out = run("sample", "add", IDS["public"], str(write_parquet(tmp_path / "s.parquet")))
    assert code == 0, out
    assert "250 rows, 5 columns" in out
    csv = CORPUS / "croissant" / "v1.0-titanic" / "titanic.csv"
    code, out = run("sample", "add", IDS["restricted"], str(csv))
    assert code == 0, out
    assert SampleStore(loaded).meta(IDS["restricted"])["rows"] == 1309
    log = Accounts(accounts_path(loaded.home)).audit_log(IDS["restricted"])
    assert log[-1]["action"] == "sample.upload"


def test_sample_add_refuses_bad_files_and_unknown_datasets(run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not parquet at all PAR1")
    code, out = run("sample", "add", IDS["public"], str(bad))
    assert code == 2
    assert "error:" in out
    code, out = run("sample", "add", "no-such-dataset", str(bad))
    assert code == 2
    assert "no dataset" in out


def test_sample_add_from_an_internal_url_is_refused(run) -> None:
    code, out = run("sample", "add", IDS["public"], "http://127.0.0.1:9/sample.parquet")
    assert code == 2
    assert "error:" in out


def test_users_tokens_and_grants(run, loaded: Settings) -> None:
    assert run("user", "add", "dana", "--role", "developer", "--org", "Org C")[0] == 0
    code, out = run("user", "add", "dana", "--role", "developer")
    assert code == 2
    assert "exists" in out
    assert run("user", "add", "zed", "--role", "emperor")[0] == 2
    code, token = run("user", "token", "dana", "--days", "3")
    assert code == 0
    accounts = Accounts(accounts_path(loaded.home))
    assert accounts.authenticate(token.strip()).name == "dana"
    assert run("grant", "add", "dana", IDS["restricted"])[0] == 0
    assert accounts.has_grant("dana", IDS["restricted"])
    assert run("grant", "revoke", "dana", IDS["restricted"])[0] == 0
    assert not accounts.has_grant("dana", IDS["restricted"])
    assert run("grant", "add", "dana", "no-such-dataset")[0] == 2
