"""Licence mappings and added data spaces as operator documents, on SQLite and PostgreSQL:
compare-and-set writes, a per-version cache, several replicas, the old files imported once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from catalog.dataspaces import ADDED, AddedDataSpaces, make_data_space
from catalog.db import Database
from catalog.db.documents import OperatorDocuments
from catalog.errors import Conflict, InvalidInput
from catalog.offers.licence_store import (
    FILE_NAME,
    LICENCES,
    LicenceMappings,
    licence_table,
    make_entry,
)
from catalog.settings import Settings

OWN = "https://example.org/licences/own"


def _iri(n: int) -> str:
    return f"https://example.org/licences/l{n:03d}"


@pytest.fixture
def replica_b(database: Database, db_settings: Settings) -> Iterator[Database]:
    """A second Database object on the same database, as another API replica opens it."""
    with Database.open(db_settings) as other:
        yield other


def test_mappings_are_added_replaced_and_removed(database: Database) -> None:
    mappings = LicenceMappings(OperatorDocuments(database))
    assert mappings.extra() == [] and mappings.table().lookup(OWN) is None
    mappings.add(make_entry(OWN, permits=["tdm"]))
    mappings.add(make_entry(_iri(1), prohibits=["ai-training"]))
    mappings.add(make_entry(OWN, permits=["ai-training"]))  # replaces, moves last
    assert [e.key for e in mappings.extra()] == [_iri(1), OWN]
    assert mappings.table().lookup(OWN).permits == frozenset({"ai-training"})
    assert mappings.remove(OWN) is True and mappings.remove(OWN) is False
    assert [e.key for e in mappings.extra()] == [_iri(1)]
    assert mappings.documents.read(LICENCES).version == 4  # the refused removal wrote nothing


def test_readers_rebuild_only_when_the_version_changes(database: Database) -> None:
    documents = OperatorDocuments(database)
    builds: list[list[Any]] = []

    def build(body: list[Any]) -> tuple[Any, ...]:
        builds.append(body)
        return tuple(json.dumps(x) for x in body)

    first = documents.cached(LICENCES, build)
    assert documents.cached(LICENCES, build) is first and len(builds) == 1
    LicenceMappings(documents).add(make_entry(OWN, permits=["tdm"]))
    second = documents.cached(LICENCES, build)
    assert second is not first and len(builds) == 2
    assert documents.cached(LICENCES, build) is second and len(builds) == 2


def test_a_mapping_added_on_one_replica_is_used_on_another(
    database: Database, replica_b: Database
) -> None:
    a = LicenceMappings(OperatorDocuments(database))
    b = LicenceMappings(OperatorDocuments(replica_b))
    before = b.table()
    assert before.lookup(OWN) is None
    a.add(make_entry(OWN, prohibits=["ai-training"]))
    after = b.table()  # B's cache sees A's new version
    assert after is not before and after.lookup(OWN).prohibits == frozenset({"ai-training"})
    assert b.remove(OWN) is True
    assert a.table().lookup(OWN) is None


def test_data_spaces_added_on_one_replica_are_seen_on_another(
    database: Database, replica_b: Database
) -> None:
    a = AddedDataSpaces(OperatorDocuments(database))
    b = AddedDataSpaces(OperatorDocuments(replica_b))
    security = make_data_space("security", {"en": "Security data space"}, ["JUST"])
    a.add(security)
    assert b.snapshot().get("security") == security
    with pytest.raises(Conflict):
        b.add(make_data_space("health", {"en": "Mine"}))
    assert b.remove("security") is True
    assert "security" not in a.snapshot() and a.added() == []


def test_concurrent_writers_on_separate_databases_lose_no_mapping(
    database: Database, db_settings: Settings
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def add(n: int) -> None:
        try:
            with Database.open(db_settings) as own:
                mappings = LicenceMappings(OperatorDocuments(own))
                start.wait()
                for i in range(n * 10, n * 10 + 10):
                    mappings.add(make_entry(_iri(i), permits=["tdm"]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    mappings = LicenceMappings(OperatorDocuments(database))
    assert sorted(e.key for e in mappings.extra()) == [_iri(i) for i in range(40)]
    assert mappings.documents.read(LICENCES).version == 40


def test_a_write_that_lost_a_race_is_applied_again_on_postgresql(pg_url: str) -> None:
    """A writes on the version it read while B wrote meanwhile: A's change is redone on B's
    result, or refused when out of attempts; B's write always stands."""
    from catalog.db import upgrade

    with Database.postgresql(pg_url) as a_db, Database.postgresql(pg_url) as b_db:
        upgrade(a_db)
        a, b = OperatorDocuments(a_db), OperatorDocuments(b_db)
        seen: list[int] = []

        def change(body: list[Any]) -> list[Any]:
            seen.append(len(body))
            if len(seen) == 1:  # B writes the first version between A's read and A's write
                LicenceMappings(b).add(make_entry(_iri(1), permits=["tdm"]))
            return [*body, make_entry(_iri(2), permits=["tdm"]).to_dict()]

        a.update(LICENCES, change)
        assert seen == [0, 1]  # computed again on B's version
        assert [e.key for e in LicenceMappings(a).extra()] == [_iri(1), _iri(2)]
        assert a.read(LICENCES).version == 2

        security = make_data_space("security", {"en": "Security"})

        def overtaken(body: list[Any]) -> list[Any]:
            AddedDataSpaces(b).add(security)
            return [*body, {"id": "energy-x", "labels": {"en": "X"}}]

        with pytest.raises(Conflict, match="kept changing"):
            a.update(ADDED, overtaken, attempts=1)
        assert AddedDataSpaces(a).added() == [security]  # B's write stands, A's is not half-done


def test_the_old_files_are_imported_once_and_kept_aside(
    database: Database, db_settings: Settings
) -> None:
    home = db_settings.home
    home.mkdir(parents=True, exist_ok=True)
    (home / FILE_NAME).write_text(
        json.dumps([make_entry(OWN, permits=["tdm"]).to_dict()]), encoding="utf-8"
    )
    spaces = [{"id": "security", "labels": {"en": "Security"}, "themes": ["JUST"]}]
    (home / "data-spaces.json").write_text(json.dumps(spaces), encoding="utf-8")

    documents = OperatorDocuments(database)
    assert LicenceMappings(documents).table().lookup(OWN).permits == frozenset({"tdm"})
    assert AddedDataSpaces(documents).snapshot().get("security").themes == ("JUST",)
    assert not (home / FILE_NAME).exists()
    assert (home / "licences.json.migrated").is_file()
    assert (home / "data-spaces.json.migrated").is_file()
    # a second OperatorDocuments over the same database reads the same documents
    assert licence_table(OperatorDocuments(database)).lookup(OWN) is not None
    assert documents.read(ADDED).version == documents.read(LICENCES).version == 1


def test_a_broken_old_file_is_refused_and_left_in_place(
    database: Database, db_settings: Settings
) -> None:
    legacy = db_settings.home / FILE_NAME
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(json.dumps([{"licence": OWN, "permits": ["flying"]}]), encoding="utf-8")
    documents = OperatorDocuments(database)
    with pytest.raises(InvalidInput, match="flying") as refused:
        documents.read(LICENCES)
    assert refused.value.where == str(legacy) and str(legacy) in str(refused.value)
    assert legacy.is_file()
    legacy.write_text(json.dumps([{"licence": OWN, "permits": ["tdm"]}]), encoding="utf-8")
    assert [e.key for e in LicenceMappings(documents).extra()] == [OWN]  # fixed: imported


def test_an_old_file_is_not_imported_over_a_stored_document(
    database: Database, db_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    LicenceMappings(OperatorDocuments(database)).add(make_entry(OWN, permits=["tdm"]))
    legacy = db_settings.home / FILE_NAME
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(json.dumps([make_entry(_iri(1)).to_dict()]), encoding="utf-8")
    assert [e.key for e in LicenceMappings(OperatorDocuments(database)).extra()] == [OWN]
    assert legacy.is_file() and "was not imported" in caplog.text


def test_a_stored_body_that_would_not_read_back_is_never_written(database: Database) -> None:
    documents = OperatorDocuments(database)
    with pytest.raises(InvalidInput):
        documents.update(LICENCES, lambda body: [*body, {"licence": "not an IRI"}])
    assert documents.read(LICENCES).stamp is None
