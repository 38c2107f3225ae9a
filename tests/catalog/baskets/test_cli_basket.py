"""``datalab basket``: create from ids and from a file, show, summary, attributions,
croissant, request, on a real catalogue folder."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from catalog.accounts import Accounts
from catalog.baskets.store import new_id
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import get_settings
from cli.app import app


def test_the_basket_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Catalogue.open(get_settings(home=home)) as cat:
        load_demo(cat)
        load_registry(cat)
        ids = {i.id.rsplit("-", 1)[0]: i.id for i in cat.datasets(limit=100).items}
        Accounts(cat.database).add_user("dev", "developer")
    runner = CliRunner()
    h = ["--home", str(home)]

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, *h])
        assert result.exit_code == 0, result.output
        return result.output

    made = json.loads(
        run(
            "basket", "create", "--as", "dev", "--name", "CLI basket",
            "--dataset", ids["white-stork-migration"], "--dataset", ids["synthetic-ehr-fhir"],
            "--org-type", "research", "--country", "DE", "--purpose", "non-commercial-ai-training",
            "--model-name", "Demo-LM", "--modality", "text",
        )
    )  # fmt: skip
    basket = made["id"]
    body = tmp_path / "basket.json"
    body.write_text(json.dumps({"name": "From a file", "datasets": [ids["ice-core-isotopes"]]}))
    from_file = json.loads(run("basket", "create", "--file", str(body)))
    assert from_file["owner"] is None and from_file["datasets"] == [ids["ice-core-isotopes"]]

    shown = json.loads(run("basket", "show", basket, "--as", "dev"))
    assert shown["where_to_get_it"]["cover"]["labs"]
    md = run("basket", "summary", basket, "--as", "dev", "--format", "md")
    assert "## 2. List of data sources" in md and "To be completed by the provider" in md
    pdf = tmp_path / "s.pdf"
    run("basket", "summary", basket, "--as", "dev", "--format", "pdf", "-o", str(pdf))
    assert "Data processing aspects" in "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "CC0 1.0" in run("basket", "attributions", basket, "--as", "dev")
    assert len(json.loads(run("basket", "croissant", basket, "--as", "dev"))["isBasedOn"]) == 2
    filed = json.loads(run("basket", "request", basket, "--as", "dev"))
    assert filed["filed"] == 1
    refused = runner.invoke(app, ["basket", "show", basket, *h])  # anonymous: not theirs
    assert refused.exit_code == 2 and "forbidden" in refused.output


def test_a_basket_id_is_never_read_as_an_option() -> None:
    """CI once drew ``-azGW…``: ``datalab basket show -azGW…`` then failed on ``-a``.
    One url-safe id in 64 starts with ``-``; 5,000 draws would all but surely show one."""
    ids = [new_id() for _ in range(5000)]
    assert not [i for i in ids if i.startswith("-")]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)  # 128 bits, hexadecimal
    assert len(set(ids)) == len(ids)
