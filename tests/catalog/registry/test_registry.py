"""The registry as RDF in the catalogue's named graphs: load, read, lab create and edit, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from catalog.accounts import Accounts, accounts_path
from catalog.cli.app import app
from catalog.errors import Conflict, Forbidden, InvalidInput
from catalog.registry import (
    DataLab,
    create_lab,
    edit_lab,
    get_factory,
    get_lab,
    list_factories,
    list_labs,
    load_registry,
)
from catalog.registry.store import LABS_SOURCE, REGISTRY_SOURCE


def test_load_registry_is_idempotent(catalogue):
    first = load_registry(catalogue)
    assert len(first.labs_added) == 19
    second = load_registry(catalogue)
    assert second.labs_added == []
    assert len(list_labs(catalogue)) == 19
    factories = list_factories(catalogue, "factory")
    assert len(factories) == 19
    assert len(list_factories(catalogue, "antenna")) == 7
    # every factory has its demo lab
    assert {lab.factory for lab in list_labs(catalogue)} == {f.id for f in factories}
    # the registry lives in its own named graphs, and holds no dataset
    names = {s.name for s in catalogue.sources()}
    assert {REGISTRY_SOURCE, LABS_SOURCE} <= names
    assert catalogue.count() == 0


def test_factory_facts(catalogue):
    load_registry(catalogue)
    laif = get_factory(catalogue, "laif")
    assert laif.countries == ("CZ", "DK", "EE", "FI", "NO", "PL")
    assert "health" in laif.sectors
    assert get_factory(catalogue, "antenna-mt").countries == ("MT",)


def test_lab_round_trip_through_rdf():
    lab = DataLab.from_dict(
        {
            "id": "t-lab",
            "factory": "bsc",
            "data_spaces": ["health", "research"],
            "access_modes": ["SecureProcessingEnvironment", "Download"],
            "eligible_countries": ["es", "EU"],
            "prohibited_purposes": ["commercial"],
            "procedure": [
                {"label": "Sign"},
                {"label": "SPE", "applies_to": "SecureProcessingEnvironment"},
            ],
            "lead_time_days": 12,
            "fees": "free",
        }
    )
    from rdflib import URIRef

    again = DataLab.from_graph(lab.to_graph(), URIRef(lab.iri))
    assert again == lab
    assert again.access_modes == ("Download", "SecureProcessingEnvironment")


def test_create_and_edit_are_checked_and_atomic(catalogue):
    load_registry(catalogue)
    lab = create_lab(
        catalogue,
        {
            "id": "bsc-eo",
            "factory": "bsc",
            "data_spaces": ["earth-observation"],
            "access_modes": ["Download"],
        },
        staff_factory="bsc",
    )
    assert get_lab(catalogue, "bsc-eo") == lab
    with pytest.raises(Conflict):
        create_lab(catalogue, {"id": "bsc-eo", "factory": "bsc"}, staff_factory="bsc")
    with pytest.raises(Forbidden):
        create_lab(catalogue, {"id": "x-eo", "factory": "jaif"}, staff_factory="bsc")
    with pytest.raises(Forbidden):
        edit_lab(catalogue, "jaif-datalab", {"fees": "1 EUR"}, staff_factory="bsc")
    with pytest.raises(InvalidInput):
        edit_lab(catalogue, "bsc-eo", {"data_spaces": ["mars"]}, staff_factory="bsc")
    # the failed edit left the lab as it was
    assert get_lab(catalogue, "bsc-eo").data_spaces == ("earth-observation",)
    edited = edit_lab(catalogue, "bsc-eo", {"data_spaces": ["research"]}, staff_factory="bsc")
    assert edited.data_spaces == ("research",)
    assert len(list_labs(catalogue)) == 20
    # a reload of the demo registry keeps staff edits
    load_registry(catalogue)
    assert get_lab(catalogue, "bsc-eo").data_spaces == ("research",)


def test_cli_factories_lab_and_offers(settings, tmp_path, monkeypatch):
    home = settings.home
    monkeypatch.setenv("DATALAB_HOME", str(home))
    runner = CliRunner()
    out = runner.invoke(app, ["factories", "--json"])
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.output)) == 26
    shown = runner.invoke(app, ["lab", "show", "pharos-datalab"])
    assert "data spaces:  health, language, research" in shown.output
    accounts = Accounts(accounts_path(home))
    accounts.add_user("eleni", "staff", factory="pharos")
    token = accounts.issue_token("eleni")
    spec = tmp_path / "lab.json"
    spec.write_text(
        json.dumps(
            {"id": "pharos-culture", "data_spaces": ["language"], "access_modes": ["Download"]}
        )
    )
    added = runner.invoke(app, ["lab", "add", str(spec), "--token", token])
    assert added.exit_code == 0, added.output
    change = tmp_path / "change.json"
    change.write_text(json.dumps({"fees": "free for culture heritage institutions"}))
    edited = runner.invoke(
        app, ["lab", "edit", "pharos-culture", str(change), "--token", token, "--json"]
    )
    assert json.loads(edited.output)["fees"] == "free for culture heritage institutions"
    refused = runner.invoke(app, ["lab", "edit", "jaif-datalab", str(change), "--token", token])
    assert refused.exit_code == 2
    assert "cannot manage labs" in refused.output
    missing = runner.invoke(app, ["offers", "no-such-dataset", "--json"])
    assert missing.exit_code == 2
