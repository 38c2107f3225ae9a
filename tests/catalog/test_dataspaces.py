"""The common European data spaces as data: the built-in scheme, themes, admin additions, CLI."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from rdflib import Graph, URIRef
from typer.testing import CliRunner

from catalog.dataspaces import (
    ADDED,
    BUILTIN_FILE,
    THEME_CODES,
    DataSpace,
    add_data_space,
    added_data_spaces,
    builtin_data_spaces,
    data_spaces,
    data_spaces_path,
    make_data_space,
    remove_data_space,
)
from catalog.db import Database
from catalog.db.documents import OperatorDocuments
from catalog.errors import Conflict, InvalidInput
from catalog.namespaces import DATASPACE, EU_DATA_THEME, RDF, SKOS
from catalog.settings import Settings, get_settings

#: The fourteen of the Commission's second staff working document (SWD(2024) 21), by our id.
COMMISSION = {
    "agriculture",
    "cultural-heritage",
    "energy",
    "finance",
    "green-deal",
    "health",
    "manufacturing",
    "language",
    "media",
    "mobility",
    "public-administration",
    "research",
    "skills",
    "tourism",
}
LANGS = {"en", "de", "fr", "pl", "el"}


def test_builtin_scheme_lists_the_commission_spaces_and_earth_observation() -> None:
    spaces = builtin_data_spaces()
    assert set(spaces.ids()) == COMMISSION | {"earth-observation"}
    # the ids existing data and labs use are kept
    assert {"health", "language", "earth-observation", "research"} <= set(spaces.ids())
    for space in spaces:
        assert space.iri == str(DATASPACE[space.id])
        assert set(space.labels) == LANGS, space.id
        assert spaces.is_builtin(space.id)
    assert spaces.get("research").label("fr").endswith("(EOSC)")


def test_builtin_file_is_a_skos_scheme_whose_themes_exist(corpus: Path) -> None:
    g = Graph().parse(BUILTIN_FILE, format="turtle")
    scheme = URIRef("https://w3id.org/datalab/dataspace")
    assert (scheme, RDF.type, SKOS.ConceptScheme) in g
    themes = Graph().parse(corpus / "dcat-ap" / "vocabularies" / "data-theme-skos.rdf")
    known = {str(c) for c in themes.subjects(SKOS.inScheme, None)}
    assert {str(EU_DATA_THEME) + code for code in THEME_CODES} == known
    for space in builtin_data_spaces():
        concept = URIRef(space.iri)
        assert (concept, SKOS.inScheme, scheme) in g
        assert (scheme, SKOS.hasTopConcept, concept) in g
        assert str(g.value(concept, SKOS.notation)) == space.id
        related = {str(o) for o in g.objects(concept, SKOS.related)}
        assert related == set(space.theme_iris)
        assert related <= known, space.id


def test_themes_place_a_dataset_in_one_or_several_spaces() -> None:
    spaces = builtin_data_spaces()

    def ids(theme: str) -> set[str]:
        return {s.id for s in spaces.for_theme(theme)}

    assert ids("HEAL") == {"health"}
    assert ids(str(EU_DATA_THEME) + "AGRI") == {"agriculture"}
    assert ids("heal") == {"health"}
    assert ids("ENER") == {"energy"}
    assert ids("TRAN") == {"mobility"}
    assert ids("ECON") == {"finance"}
    assert ids("GOVE") == ids("JUST") == ids("REGI") == {"public-administration"}
    assert ids("EDUC") == {"skills", "cultural-heritage", "media"}
    assert ids("ENVI") == {"green-deal", "earth-observation"}
    assert ids("TECH") == {"research", "manufacturing"}
    assert ids("INTR") == ids("SOCI") == ids("OP_DATPRO") == set()
    assert ids("NOPE") == set()
    assert ids("https://example.org/theme/HEAL") == set()


def test_lookup_by_id_or_iri_and_collection_protocol() -> None:
    spaces = builtin_data_spaces()
    health = spaces.get("health")
    assert health is not None
    assert spaces.get(str(DATASPACE["health"])) is health
    assert spaces.get("mars") is None
    assert "health" in spaces
    assert str(DATASPACE["health"]) in spaces
    assert "mars" not in spaces
    assert len(spaces) == len(list(spaces)) == 15
    assert [s.id for s in spaces] == sorted(spaces.ids())


def test_a_data_space_is_immutable_and_hashable() -> None:
    health = builtin_data_spaces().get("health")
    assert health is not None
    with pytest.raises(TypeError):
        health.labels["en"] = "x"  # type: ignore[index]
    same = make_data_space("health", dict(health.labels), ["HEAL"])
    assert same == health
    assert {same, health} == {health}
    assert health.label("xx") == health.labels["en"]
    assert DataSpace("x1", str(DATASPACE["x1"]), {}).label() == "x1"


@pytest.mark.parametrize(
    ("space_id", "labels", "themes", "where"),
    [
        ("Bad_Id", {"en": "x"}, [], "id"),
        ("a", {"en": "x"}, [], "id"),
        ("agri-food", {"de": "Agrar"}, [], "labels.en"),
        ("agri-food", {"en": "  "}, [], "labels.en"),
        ("agri-food", {"EN!": "x", "en": "x"}, [], "labels"),
        ("agri-food", {"en": "x"}, ["FOOD"], "themes"),
    ],
)
def test_make_data_space_checks_every_value(space_id, labels, themes, where) -> None:
    with pytest.raises(InvalidInput) as err:
        make_data_space(space_id, labels, themes)
    assert err.value.where == where


def test_admin_additions_are_kept_in_home_and_seen_at_once(
    settings: Settings, documents: OperatorDocuments
) -> None:
    before = data_spaces(documents)
    assert before.ids() == builtin_data_spaces().ids()
    security = make_data_space(
        "security",
        {"en": "Security and law enforcement data space", "de": "Sicherheitsdatenraum"},
        ["JUST", str(EU_DATA_THEME) + "JUST"],
    )
    assert security.themes == ("JUST",)
    add_data_space(documents, security)
    after = data_spaces(documents)
    assert after.ids()[-1] == "security"
    assert after.get("security") == security
    assert not after.is_builtin("security")
    assert {s.id for s in after.for_theme("JUST")} == {"public-administration", "security"}
    assert before.get("security") is None  # an earlier snapshot never changes
    # kept as the operator document "data-spaces" of the embedded database in home
    stored = documents.read(ADDED).body
    assert stored == [
        {"id": "security", "labels": dict(security.labels), "themes": ["JUST"]},
    ]
    # adding the same id again replaces it
    add_data_space(documents, make_data_space("security", {"en": "Security data space"}))
    assert data_spaces(documents).get("security").label() == "Security data space"
    assert len(added_data_spaces(documents)) == 1
    # no file is written beside the database
    assert not data_spaces_path(settings).exists()
    assert {p.name for p in settings.home.iterdir()} <= {
        "datalab.sqlite3",
        "datalab.sqlite3-wal",
        "datalab.sqlite3-shm",
    }
    assert remove_data_space(documents, "security") is True
    assert remove_data_space(documents, "security") is False
    assert "security" not in data_spaces(documents)


def test_builtin_spaces_cannot_be_replaced_or_removed(
    settings: Settings, documents: OperatorDocuments
) -> None:
    with pytest.raises(Conflict):
        add_data_space(documents, make_data_space("health", {"en": "Mine"}))
    with pytest.raises(InvalidInput):
        remove_data_space(documents, "health")
    with pytest.raises(InvalidInput):
        add_data_space(documents, DataSpace("agri-food", "https://example.org/x", {"en": "x"}))
    assert not data_spaces_path(settings).exists()


def test_a_broken_additions_file_is_an_error(
    settings: Settings, documents: OperatorDocuments
) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    data_spaces_path(settings).write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput):
        data_spaces(documents)
    data_spaces_path(settings).write_text('[{"id": "x-y"}]', encoding="utf-8")
    with pytest.raises(InvalidInput):
        data_spaces(documents)


_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1).filter(
    str.strip
)


@hsettings(max_examples=40, deadline=None)
@given(
    space_id=_ids,
    labels=st.dictionaries(st.sampled_from(sorted(LANGS)), _text).map(
        lambda d: {"en": "English", **d}
    ),
    themes=st.lists(st.sampled_from(THEME_CODES), unique=True),
)
def test_an_added_space_reads_back_equal(space_id, labels, themes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = get_settings(home=Path(tmp))
        space = make_data_space(space_id, labels, themes)
        with Database.open(settings) as database:
            documents = OperatorDocuments(database)
            if space_id in builtin_data_spaces():
                with pytest.raises(Conflict):
                    add_data_space(documents, space)
                return
            add_data_space(documents, space)
            assert data_spaces(documents).get(space_id) == space


def test_registry_model_keeps_data_spaces_as_the_builtin_ids() -> None:
    from catalog.labs.model import DATA_SPACES

    assert builtin_data_spaces().ids() == DATA_SPACES


def test_cli_list_add_remove(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.app import app

    monkeypatch.setenv("DATALAB_HOME", str(settings.home))
    runner = CliRunner()
    listed = runner.invoke(app, ["dataspace", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert {s["id"] for s in json.loads(listed.output)} == set(builtin_data_spaces().ids())
    added = runner.invoke(
        app,
        [
            "dataspace",
            "add",
            "security",
            "--label",
            "Security and law enforcement data space",
            "--label-fr",
            "Espace des données de sécurité",
            "--theme",
            "JUST,GOVE",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["themes"] == ["JUST", "GOVE"]
    text = runner.invoke(app, ["dataspace", "list"]).output
    assert "+ security" in text
    assert "  health" in text
    refused = runner.invoke(app, ["dataspace", "remove", "health", "--json"])
    assert refused.exit_code == 2
    assert json.loads(refused.output)["error"]["code"] == "invalid_input"
    bad = runner.invoke(app, ["dataspace", "add", "x-y", "--label", "X", "--theme", "FOOD"])
    assert bad.exit_code == 2
    assert "unknown data theme" in bad.output
    removed = runner.invoke(app, ["dataspace", "remove", "security"])
    assert removed.exit_code == 0, removed.output
    missing = runner.invoke(app, ["dataspace", "remove", "security", "--json"])
    assert missing.exit_code == 2
    assert json.loads(missing.output)["error"]["code"] == "data_space_not_found"
