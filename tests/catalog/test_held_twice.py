"""``held_twice``: the ids that more than one record holds in the current graphs, found for
many ids at once, as :func:`catalog.records.find` finds them one by one (it refuses them),
on the embedded store and on a SPARQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.errors import DatasetNotFound, DuplicateRecord
from catalog.ids import dataset_id
from catalog.records import _BATCH, find, held_twice, held_twice_taken_once
from catalog.service import Catalogue
from tests.catalog.legacy import held_twice_lookups, second_record
from tests.engines import ENGINES, engine_settings

DCAT = "http://www.w3.org/ns/dcat#"
DATASET_ID = "https://w3id.org/datalab/ns#datasetId"


@pytest.fixture(params=ENGINES)
def cat(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalogue]:
    with Catalogue.open(engine_settings(request, tmp_path / "home")) as catalogue:
        yield catalogue


def _datasets(host: str, numbers: range) -> bytes:
    return "".join(f"<https://{host}/ds/{i}> a <{DCAT}Dataset> .\n" for i in numbers).encode()


def _by_find(cat: Catalogue, ids: list[str]) -> set[str]:
    refused = set()
    for ident in ids:
        try:
            find(cat.store, ident)
        except DuplicateRecord:
            refused.add(ident)
        except DatasetNotFound:
            pass
    return refused


def _twice_over(cat: Catalogue) -> tuple[list[str], tuple[str, str, str]]:
    """Ids of two sources and unknown ids; the id held by records in two sources, the one
    held by two records in one source, and one held again only in a graph not current."""
    cat.load(_datasets("a.example", range(300)), fmt="turtle", source="a", replace=True)
    cat.load(_datasets("b.example", range(5)), fmt="turtle", source="b", replace=True)
    across = dataset_id("https://a.example/ds/250")
    second_record(cat, across)  # a second record in another source's graph
    # a case variant of one IRI in the same graph: the same id, held by two records
    inside = dataset_id("https://b.example/ds/3")
    graph_b = cat.graphs.current("b")
    cat.store.update(
        f"INSERT DATA {{ GRAPH <{graph_b}> {{ <https://B.EXAMPLE/ds/3> a <{DCAT}Dataset> ; "
        f'<{DATASET_ID}> "{inside}" }} }}'
    )
    # a record in a graph that is no source's current version does not count
    stale = dataset_id("https://a.example/ds/7")
    cat.store.update(
        "INSERT DATA { GRAPH <urn:datalab:test:not-current> { <https://a.example/ds/7> "
        f'<{DATASET_ID}> "{stale}" }} }}'
    )

    ids = [dataset_id(f"https://a.example/ds/{i}") for i in range(300)]
    ids += [dataset_id(f"https://b.example/ds/{i}") for i in range(5)]
    ids += [dataset_id(f"https://nowhere.example/ds/{i}") for i in range(150)]  # unknown ids
    assert len(ids) > 2 * _BATCH  # more than one batch of the query
    return ids, (across, inside, stale)


def test_held_twice_finds_what_find_refuses(cat: Catalogue) -> None:
    ids, (across, inside, stale) = _twice_over(cat)

    twice = held_twice(cat.store, ids)

    assert twice == {across, inside}
    assert twice == _by_find(cat, ids)
    assert held_twice(cat.store, [stale, inside]) == {inside}
    assert held_twice(cat.store, []) == set()


def test_taken_once_it_answers_alike_from_one_lookup_until_its_end(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, (across, inside, stale) = _twice_over(cat)
    plain = held_twice(cat.store, ids)
    lookups = held_twice_lookups(cat, monkeypatch)
    with held_twice_taken_once(cat.store):
        assert held_twice(cat.store, ids) == plain == {across, inside}
        assert held_twice(cat.store, ids[:100]) == plain & set(ids[:100])
        assert held_twice(cat.store, [stale, inside]) == {inside}
        assert held_twice(cat.store, []) == set()
        assert len(lookups) == 1  # every answer from the one lookup made on entry
        # a record written meanwhile is not seen inside (the build follows the feed after)
        later = dataset_id("https://b.example/ds/1")
        second_record(cat, later)
        assert later not in held_twice(cat.store, ids)
    assert held_twice(cat.store, ids) == {across, inside, later}  # asked again after
