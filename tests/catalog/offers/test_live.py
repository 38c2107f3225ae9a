"""Live materialised offers: answers while building, queued publishes, facets, licence table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.errors import InvalidInput
from catalog.ids import dataset_id
from catalog.labs import load_registry
from catalog.offers import RequesterProfile, offers_for
from catalog.offers.facets import offer_facets
from catalog.offers.licence_store import (
    add_licence,
    extra_licences,
    licence_table,
    make_entry,
    remove_licence,
)
from catalog.offers.live import LiveOffers
from catalog.service import Catalogue
from cli.app import app as cli

DATA = Path(__file__).parent / "data" / "datasets.ttl"
EO = dataset_id("https://example.org/ds/eo-open")
LANG_NC = dataset_id("https://example.org/ds/lang-nc")
UNKNOWN = dataset_id("https://example.org/ds/unknown-lic")
OWN = "https://example.org/our-own-licence"


@pytest.fixture
def loaded(catalogue: Catalogue) -> Catalogue:
    catalogue.load_file(DATA, source="fixtures", replace=True)
    load_registry(catalogue)
    return catalogue


def test_answers_while_building_are_direct_and_publishes_are_replayed(loaded: Catalogue) -> None:
    live = LiveOffers(loaded)  # attached, not built yet: as during a background build
    loaded.on_publish.insert(0, live.on_publish)
    assert not live.ready
    assert live.dataset_offers(EO).to_dict() == offers_for(loaded, EO).to_dict()
    loaded.delete(EO)
    assert live.index.terms == {}  # nothing applied while building: queued
    live._build()
    assert live.ready
    assert EO not in live.index.terms
    assert LANG_NC in live.index.terms
    live.close()
    assert live.on_publish not in loaded.on_publish


def test_start_attaches_first_and_close_detaches(loaded: Catalogue) -> None:
    def earlier(source: str, changed: set[str] | None) -> None:
        return None

    loaded.on_publish.append(earlier)
    live = LiveOffers.start(loaded, background=False)
    assert live.ready
    assert loaded.on_publish[0] == live.on_publish  # before the search index's listener
    live.close()
    assert live.on_publish not in loaded.on_publish
    assert not live.ready


def test_facets_default_profile_and_stated_profile(loaded: Catalogue) -> None:
    ids = [EO, LANG_NC, UNKNOWN]
    direct = offer_facets(loaded, ids)
    live = LiveOffers.start(loaded, background=False)
    try:
        assert offer_facets(loaded, ids, live=live) == direct  # the index answers the same
        assert live.facets(loaded, ids) == direct  # the search index's provider
        assert direct[LANG_NC]["ai_training"] is True  # NC permits non-commercial training
        assert direct[UNKNOWN] == {"lab": [], "ai_training": False}  # needs review
        company = RequesterProfile.parse("sme", "DE", "commercial-ai-training")
        narrowed = offer_facets(loaded, ids, company, with_factory=True, live=live)
        assert narrowed[LANG_NC] == {"lab": [], "ai_training": False, "factory": []}
        assert narrowed[EO]["ai_training"] is True
        assert set(narrowed[EO]["factory"]) == {lab.split("-")[0] for lab in narrowed[EO]["lab"]}
        assert offer_facets(loaded, ["no-such-dataset"], live=live) == {}
    finally:
        live.close()
    assert offer_facets(loaded, ids, company, with_factory=True) == narrowed  # direct path


def test_licence_mapping_file_round_trip(loaded: Catalogue) -> None:
    documents = loaded.documents
    assert licence_table(documents).lookup(OWN) is None
    add_licence(documents, make_entry(OWN, permits=["tdm"], prohibits=["ai-training"]))
    table = licence_table(documents)
    assert table.lookup(OWN).prohibits == frozenset({"ai-training"})
    assert licence_table(documents) is table  # cached while the file is unchanged
    verdicts = {o.verdict for o in offers_for(loaded, UNKNOWN).offers}
    assert "needs_review" not in verdicts  # direct resolution uses the added mapping
    assert remove_licence(documents, OWN)
    assert not remove_licence(documents, OWN)
    assert licence_table(documents).lookup(OWN) is None


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"permits": ["teleport"]}, "permits"),
        ({"permits": ["tdm"], "prohibits": ["tdm"]}, "prohibits"),
        ({"requires": ["ai-training"]}, "requires"),
        ({"iri": "ftp://example.org/l"}, "iri"),
    ],
)
def test_bad_licence_mappings_are_refused(kwargs: dict, where: str) -> None:
    iri = kwargs.pop("iri", OWN)
    with pytest.raises(InvalidInput) as err:
        make_entry(iri, **kwargs)
    assert err.value.where == where


def test_licence_cli_add_list_remove(settings, documents) -> None:
    env = {"DATALAB_HOME": str(settings.home)}
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["licence", "add", OWN, "--permits", "tdm", "--permits", "commercial", "--json"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["permits"] == ["commercial", "tdm"]
    listed = runner.invoke(cli, ["licence", "list", "--json"], env=env)
    assert [e["licence"] for e in json.loads(listed.output)] == [OWN]
    assert [e.key for e in extra_licences(documents)] == [OWN]
    bad = runner.invoke(cli, ["licence", "add", OWN, "--prohibits", "dancing"], env=env)
    assert bad.exit_code == 2
    assert "dancing" in bad.output
    assert runner.invoke(cli, ["licence", "remove", OWN], env=env).exit_code == 0
    missing = runner.invoke(cli, ["licence", "remove", OWN], env=env)
    assert missing.exit_code == 2
