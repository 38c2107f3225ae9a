"""The registry as RDF in the catalogue's named graphs: load, read, lab create and edit, CLI."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from rdflib import Graph, URIRef
from typer.testing import CliRunner

from catalog.accounts import Accounts, accounts_path
from catalog.dataspaces import add_data_space, builtin_data_spaces, data_spaces, make_data_space
from catalog.errors import Conflict, Forbidden, InvalidInput
from catalog.field_limits import FieldLimits
from catalog.labs import (
    DataLab,
    create_lab,
    edit_lab,
    get_factory,
    get_lab,
    list_factories,
    list_labs,
    load_registry,
)
from catalog.labs.model import (
    ACCESS_MODES,
    LAB_PROHIBITABLE,
    ORG_TYPES,
    SERVICES,
)
from catalog.labs.store import LABS_SOURCE, REGISTRY_SOURCE, data_file
from catalog.namespaces import DLAB, RDF
from cli.app import app

#: Where each factory's data lab processes data: the country of the factory's host site.
HOST_COUNTRY = {
    "laif": "FI",
    "it4lia": "IT",
    "bsc": "ES",
    "luxprovide": "LU",
    "mimer": "SE",
    "hammerhai": "DE",
    "pharos": "GR",
    "jaif": "DE",
    "aiff": "FR",
    "slaif": "SI",
    "piast": "PL",
    "aiat": "AT",
    "brain": "BG",
    "czai": "CZ",
    "litai": "LT",
    "nlaif": "NL",
    "gaia": "PL",
    "roaif": "RO",
    "1healthai": "ES",
}


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


def test_lab_round_trip_through_rdf_with_every_field(documents):
    add_data_space(documents, make_data_space("agri-food", {"en": "Agri-food data space"}))
    known = data_spaces(documents).ids()
    lab = DataLab.from_dict(
        {
            "id": "t-lab",
            "factory": "bsc",
            "name": "Test lab",
            "data_spaces": ["research", "agri-food", "health", "agriculture"],
            "access_modes": list(reversed(ACCESS_MODES)),
            "eligible_org_types": list(reversed(ORG_TYPES)),
            "eligible_countries": ["es", "EU", "PT"],
            "services": list(reversed(SERVICES)),
            "sectors": ["health", "agri-food", "health"],
            "prohibited_purposes": list(reversed(LAB_PROHIBITABLE)),
            "duties": ["attribute", "compensate"],
            "procedure": [
                {"label": "Sign", "form": "https://example.org/form"},
                {"label": "SPE", "applies_to": "SecureProcessingEnvironment"},
            ],
            "lead_time_days": 12,
            "fees": "free",
            "processing_country": "es",
        },
        known_spaces=known,
    )
    assert all(getattr(lab, f) for f in DataLab.__dataclass_fields__), lab
    again = DataLab.from_graph(lab.to_graph(), URIRef(lab.iri))
    assert again == lab
    assert again.data_spaces == ("agri-food", "agriculture", "health", "research")
    assert again.access_modes == ACCESS_MODES
    assert again.processing_country == "ES"
    assert DataLab.from_dict({**lab.to_dict()}, known_spaces=known) == lab
    # without the administrator's spaces, the added one is unknown
    with pytest.raises(InvalidInput) as err:
        DataLab.from_dict(lab.to_dict())
    assert err.value.where == "data_spaces"


def test_from_dict_defaults_and_checks():
    lab = DataLab.from_dict({"id": "t-lab", "factory": "bsc", "data_spaces": ["manufacturing"]})
    assert lab.duties == ()
    assert lab.processing_country is None
    assert lab.eligible_org_types == ORG_TYPES
    assert ORG_TYPES[-2:] == ("HealthcareProvider", "NonProfit")
    assert lab.to_dict()["processing_country"] is None
    for bad in ("E1", "EU", "XX", "Spain"):
        with pytest.raises(InvalidInput) as err:
            DataLab.from_dict({"id": "t-lab", "factory": "bsc", "processing_country": bad})
        assert err.value.where == "processing_country"
        assert repr(bad) in err.value.message and "such as DE or FR" in err.value.message
    # an alpha-3 code (any case) is read as the alpha-2 code it stands for
    spain = DataLab.from_dict({"id": "t-lab", "factory": "bsc", "processing_country": "esp"})
    assert spain.processing_country == "ES"
    with pytest.raises(InvalidInput):
        DataLab.from_dict({"id": "t-lab", "factory": "bsc", "data_spaces": ["agri-food"]})
    ok = DataLab.from_dict(
        {"id": "t-lab", "factory": "bsc", "data_spaces": ["agri-food"]}, known_spaces={"agri-food"}
    )
    assert ok.data_spaces == ("agri-food",)


def test_demo_labs_process_data_at_their_host_site_and_add_no_duty():
    g = Graph().parse(data=data_file("labs.ttl"), format="turtle")
    labs = [DataLab.from_graph(g, s) for s in g.subjects(RDF.type, DLAB.DataLab)]
    assert {lab.factory: lab.processing_country for lab in labs} == HOST_COUNTRY
    assert all(lab.duties == () for lab in labs)
    known = set(builtin_data_spaces().ids())
    assert all(set(lab.data_spaces) <= known for lab in labs)
    gaia = next(lab for lab in labs if lab.factory == "gaia")
    assert gaia.prohibited_purposes == ("commercial",)  # the lab's own policy is kept


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
    # a space the administrator added may be linked, in this catalogue only
    add_data_space(catalogue.documents, make_data_space("mars", {"en": "Mars data space"}))
    change = {"data_spaces": ["mars"], "processing_country": "es"}
    assert edit_lab(catalogue, "bsc-eo", change, staff_factory="bsc").processing_country == "ES"
    edit_lab(catalogue, "bsc-eo", {"data_spaces": ["earth-observation"]}, staff_factory="bsc")
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


# valid labs only (the limits' refusals are tested on their own): names within the limit
_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=FieldLimits().name_chars,
)
_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True)
_lab_input = st.fixed_dictionaries(
    {
        "id": _ids,
        "factory": _ids,
        "name": _text,
        "data_spaces": st.lists(st.sampled_from([*builtin_data_spaces().ids(), "agri-food"])),
        "access_modes": st.lists(st.sampled_from(ACCESS_MODES)),
        "eligible_org_types": st.lists(st.sampled_from(ORG_TYPES)),
        "eligible_countries": st.lists(st.sampled_from(["EU", "DE", "es", "PL"])),
        "services": st.lists(st.sampled_from(SERVICES)),
        "sectors": st.lists(_text, max_size=FieldLimits().list_items),
        "prohibited_purposes": st.lists(st.sampled_from(list(LAB_PROHIBITABLE))),
        "duties": st.lists(st.sampled_from(["attribute", "compensate", "inform"])),
        "procedure": st.lists(
            st.fixed_dictionaries(
                {
                    "label": _text,
                    "applies_to": st.none() | st.sampled_from(ACCESS_MODES),
                    "form": st.none() | st.just("https://example.org/form"),
                }
            ),
            max_size=4,
        ),
        "lead_time_days": st.none() | st.integers(min_value=0, max_value=10_000),
        "fees": st.none() | _text,
        "processing_country": st.none() | st.sampled_from(["FI", "es", "GR"]),
    }
)


@hsettings(max_examples=60, deadline=None)
@given(data=_lab_input)
def test_any_lab_round_trips_through_ntriples(data):
    known = {*builtin_data_spaces().ids(), "agri-food"}
    lab = DataLab.from_dict(data, known_spaces=known)
    nt = lab.to_graph().serialize(format="nt", encoding="utf-8")
    again = DataLab.from_graph(Graph().parse(data=nt, format="nt"), URIRef(lab.iri))
    assert again == lab
    assert DataLab.from_dict(lab.to_dict(), known_spaces=known) == lab
