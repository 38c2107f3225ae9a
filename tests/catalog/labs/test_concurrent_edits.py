"""Two processes (two API replicas, say) editing labs at once over one graph server and one
PostgreSQL database lose nothing: each edit reads, merges and writes under the labs' write
lock in the shared database."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.db import Database, upgrade
from catalog.labs import edit_lab, get_lab, list_labs, load_registry
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.catalog.store.conftest import OxigraphServer, sparql_settings
from tests.pg_server import PostgresServer

ROUNDS = 20


@pytest.fixture
def shared(
    postgres: PostgresServer, oxigraph_server: OxigraphServer, tmp_path: Path
) -> Iterator[Settings]:
    url = postgres.new_database()
    with Database.postgresql(url) as fresh:
        upgrade(fresh)
    settings = sparql_settings(oxigraph_server, tmp_path / "a", database_url=url)
    with Catalogue.open(settings) as catalogue:
        for source in catalogue.sources():  # the server is shared by the session's tests
            catalogue.remove_source(source.name)
        load_registry(catalogue)
    yield settings
    postgres.drop_database(url)


def _edit(settings: Settings, home: str, field: str, lab_id: str, factory: str, start: Any) -> None:
    with Catalogue.open(settings.model_copy(update={"home": Path(home)})) as catalogue:
        get_lab(catalogue, lab_id)  # warm: both start editing at the same moment
        start.wait(60)
        for i in range(ROUNDS):
            value = f"{field} {i}" if field != "lead_time_days" else i + 1
            edit_lab(catalogue, lab_id, {field: value}, staff_factory=factory)


def _run_both(settings: Settings, tmp_path: Path, jobs: list[tuple[str, str, str]]) -> None:
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(len(jobs))
    processes = [
        spawn.Process(
            target=_edit,
            args=(settings, str(tmp_path / f"p{n}"), field, lab_id, factory, start),
        )
        for n, (field, lab_id, factory) in enumerate(jobs)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(180)
        assert process.exitcode == 0, f"an editing process failed ({process.exitcode})"


def test_two_processes_editing_two_fields_of_one_lab_both_land(
    shared: Settings, tmp_path: Path
) -> None:
    with Catalogue.open(shared) as catalogue:
        lab = list_labs(catalogue)[0]
    _run_both(shared, tmp_path, [("name", lab.id, lab.factory), ("fees", lab.id, lab.factory)])
    with Catalogue.open(shared) as catalogue:
        after = get_lab(catalogue, lab.id)
        assert after.name == f"name {ROUNDS - 1}"
        assert after.fees == f"fees {ROUNDS - 1}"
        assert len(list_labs(catalogue)) == 19


def test_two_processes_editing_two_labs_keep_every_lab(shared: Settings, tmp_path: Path) -> None:
    with Catalogue.open(shared) as catalogue:
        first, second = list_labs(catalogue)[:2]
    _run_both(
        shared,
        tmp_path,
        [("name", first.id, first.factory), ("lead_time_days", second.id, second.factory)],
    )
    with Catalogue.open(shared) as catalogue:
        labs = {lab.id: lab for lab in list_labs(catalogue)}
        assert len(labs) == 19
        assert labs[first.id].name == f"name {ROUNDS - 1}"
        assert labs[second.id].lead_time_days == ROUNDS
        assert labs[second.id].name == second.name  # untouched fields stay
