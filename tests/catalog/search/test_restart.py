"""A restart after a clean close trusts the index's integrity stamp and maps the facet
columns saved beside it (issue 18), and answers exactly as a fresh open; a damaged or
unstamped file still gets the whole-file check and, when it fails, a rebuild."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from catalog.demo import load_demo
from catalog.search import SearchService, columns, engine
from catalog.search.index import stamp_path, text_engine_of
from catalog.service import Catalogue

QUERIES: list[dict[str, Any]] = [
    {"q": "health"},
    {"q": "data", "sort": "modified"},
    {"q": "", "sort": "title"},
    {"q": "", "filters": {"data_space": ["health"]}},
    {"q": "data", "modified_from": "2020-01-01"},
    {"q": "", "bbox": (-10.0, 35.0, 30.0, 70.0)},
]


EXTRA = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix dlab: <https://w3id.org/datalab/ns#> .
<https://restart.example/ds/1> a dcat:Dataset ; dct:title "Zebrafish health data"@en ;
  dct:description "Restart test."@en ; dct:modified "2031-01-01" ;
  dlab:dataSpace <https://w3id.org/datalab/dataspace/health> .
"""


def answers(service: SearchService) -> list[tuple[list[str], int, dict[str, Any]]]:
    out = []
    for q in QUERIES:
        result = service.search(**q, limit=50)
        out.append(([h.id for h in result.items], result.total, result.facets))
    return out


def _many(n: int) -> bytes:
    return (
        EXTRA
        + "".join(
            f"<https://restart.example/ds/m{i}> a <http://www.w3.org/ns/dcat#Dataset> ; "
            f'<http://purl.org/dc/terms/title> "Zebrafish tank {i}"@en ; '
            "<https://w3id.org/datalab/ns#dataSpace> "
            "<https://w3id.org/datalab/dataspace/research> .\n"
            for i in range(n)
        ).encode()
    )


@pytest.mark.parametrize("room", ["ample", "none"])
def test_a_clean_restart_maps_the_saved_columns_and_answers_the_same(
    catalogue: Catalogue, room: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if room == "none":  # the saved pairs have (almost) no room: a change copies them
        monkeypatch.setattr(columns, "SAVED_ROOM", 0)
    load_demo(catalogue)
    first = SearchService.open(catalogue)
    assert first.index.verified is None  # built, not opened
    expected = answers(first)
    assert any(total for _, total, _ in expected)
    first.close()
    assert stamp_path(first.index.path).exists()

    second = SearchService.open(catalogue)
    try:
        assert second.origin == "existing" and second.index.verified == "stamp"
        assert not stamp_path(second.index.path).exists()  # open: a kill leaves no stamp
        assert answers(second) == expected
        assert second.columns.loads == 0  # mapped, never read from the index's tables
        mapped = second.columns.pair_doc
        # the mapped columns follow a publish like read ones
        catalogue.load(_many(40), fmt="turtle", source="extra", replace=True)
        found = second.search("zebrafish", filters={"data_space": ["health"]})
        assert found.total == 1 and found.facets["data_space"][0]["count"] == 1
        assert second.search("zebrafish").total == 41
        # with room, the new pairs went into the mapped file's room (copy on write): the
        # mapped pairs were not copied whole
        assert np.shares_memory(second.columns.pair_doc, mapped) == (room == "ample")
        after = answers(second)
        assert after != expected
    finally:
        second.close()
    third = SearchService.open(catalogue)
    try:
        assert third.index.verified == "stamp"
        assert answers(third) == after
        third.columns.load(third.index.db())  # the plain path: read from the tables
        assert answers(third) == after
    finally:
        third.close()


def _flip(path: Path, at: int, keep_mtime: bool) -> None:
    st = path.stat()
    with path.open("r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0xFF]))
    if keep_mtime:  # silent damage: only the hashes tell
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("damage", ["truncated", "header", "last page", "no stamp"])
def test_a_damaged_index_is_still_found_and_rebuilt(catalogue: Catalogue, damage: str) -> None:
    load_demo(catalogue)
    service = SearchService.open(catalogue)
    expected = answers(service)
    service.close()
    path = service.index.path
    size = path.stat().st_size
    if damage == "truncated":
        with path.open("r+b") as f:
            f.truncate(size - 4096)
    elif damage == "header":
        for at in range(16, 24):  # page size, versions, reserved bytes
            _flip(path, at, keep_mtime=True)
    elif damage == "last page":
        for at in range(size - 4096, size - 4088):  # the b-tree page header
            _flip(path, at, keep_mtime=True)
    else:  # killed while open: no stamp; the file is fine
        stamp_path(path).unlink()
    again = SearchService.open(catalogue)
    try:
        if damage == "no stamp":
            assert (again.origin, again.index.verified) == ("existing", "check")
            assert again.columns.loads == 1  # read from the tables, not the saved ones
        else:
            assert again.origin == "build"
        assert answers(again) == expected
    finally:
        again.close()


def test_a_stamp_of_another_generation_is_a_mismatch(catalogue: Catalogue) -> None:
    """A file put in place of another (same size and ends, another build) is checked whole
    and its saved columns are not used."""
    load_demo(catalogue)
    service = SearchService.open(catalogue)
    expected = answers(service)
    service.close()
    stamp = stamp_path(service.index.path)
    saved = json.loads(stamp.read_text())
    stamp.write_text(json.dumps({**saved, "generation": "0" * 32}))
    again = SearchService.open(catalogue)
    try:
        assert (again.origin, again.index.verified) == ("existing", "check")
        assert again.columns.loads == 1
        assert answers(again) == expected
    finally:
        again.close()


def test_columns_read_from_the_index_are_written_beside_it_and_mapped(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Columns read from the index's tables (an open after a kill: 778 MB at two million
    datasets) are, from :data:`engine.SPILL_PAIRS` pairs on, written to the columns folder
    and mapped back, unbound until a clean close binds them."""
    monkeypatch.setattr(engine, "SPILL_PAIRS", 0)  # the demo's pairs, spilled as 2M's are
    load_demo(catalogue)
    service = SearchService.open(catalogue)
    folder = service.folder / "columns"
    try:
        assert service.origin == "build" and service.columns.loads == 0  # the build's own
        built = answers(service)
        assert any(total for _, total, _ in built)
        service._columns_conn = None  # read from the tables, as after a kill: spilled
        assert answers(service) == built and service.columns.loads == 1
        assert isinstance(service.columns.alive, np.memmap)
        assert isinstance(service.columns.pair_doc.base, np.memmap)
        assert (folder / "state.json").exists()
        assert not (folder / columns.BOUND).exists()  # no other process may trust them yet
        service.columns.load(service.index.db())  # the same columns, kept in memory
        assert not isinstance(service.columns.alive, np.memmap)
        assert answers(service) == built
        service._columns_conn = None  # read again: spilled again
        assert answers(service) == built
        assert isinstance(service.columns.alive, np.memmap) and service.columns.loads == 3
        # the mapped columns follow a publish
        catalogue.load(_many(40), fmt="turtle", source="extra", replace=True)
        assert service.search("zebrafish").total == 41
        assert service.search("zebrafish", filters={"data_space": ["research"]}).total == 40
        after = answers(service)
    finally:
        service.close()
    assert (folder / columns.BOUND).exists()
    again = SearchService.open(catalogue)
    try:
        assert again.index.verified == "stamp" and again.columns.loads == 0
        assert answers(again) == after
    finally:
        again.close()


def test_an_index_of_the_other_text_engine_is_rebuilt_for_this_one(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The file's text table is for one engine (FTS5's virtual table, or a plain table for
    Tantivy; a file written before Tantivy had a table of its own has FTS5's): opened under
    the other, it is rebuilt with that engine's table, and answers with the same matches."""
    load_demo(catalogue)
    service = SearchService.open(catalogue)
    first = service.settings.search_text_engine
    assert text_engine_of(service.index.db()) == first
    counted = [(total, facets) for _, total, facets in answers(service)]
    service.close()
    other = "fts5" if first == "tantivy" else "tantivy"
    switched = service.settings.model_copy(update={"search_text_engine": other})
    monkeypatch.setattr(catalogue, "settings", switched)
    with caplog.at_level(logging.WARNING, logger="catalog.search.index"):
        again = SearchService.open(catalogue)
    try:
        assert again.origin == "build"
        assert f"holds its text for the {first} engine, not {other}" in caplog.text
        assert text_engine_of(again.index.db()) == other
        assert [(total, facets) for _, total, facets in answers(again)] == counted
    finally:
        again.close()
