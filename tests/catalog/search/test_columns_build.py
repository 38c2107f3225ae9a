"""The facet columns a build gathers as it writes equal those read back from the file it
wrote, in the building process, in the writer process, and when they cannot be saved."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from catalog.demo import load_demo
from catalog.search import SearchService
from catalog.search.columns import FacetColumns
from catalog.service import Catalogue
from catalog.settings import get_settings
from tests.catalog.search.test_build import _catalogue_ttl


def _pairs(cols: FacetColumns) -> dict[int, set[tuple[str, str]]]:
    """Each document's facet pairs, by rowid (codes differ between builds of the keys)."""
    out: dict[int, set[tuple[str, str]]] = {}
    for doc, code in zip(cols.pair_doc.tolist(), cols.pair_code.tolist(), strict=True):
        if code:
            out.setdefault(doc, set()).add(cols.keys[code])
    return out


def _postings(cols: FacetColumns) -> dict[tuple[str, str], list[int]]:
    return {key: cols._postings(code).tolist() for key, code in cols.codes.items()}


def assert_same_columns(built: FacetColumns, read: FacetColumns) -> None:
    """``built`` holds what ``read`` (from the file's tables) holds, for every query."""
    top = read.top  # rowids above it are spare room (its size depends on the growth)
    assert built.top == top and built.cap >= top and not built.alive[top:].any()
    assert np.array_equal(built.alive[:top], read.alive[:top])
    assert np.array_equal(built.has_modified[:top], read.has_modified[:top])
    assert built.modified[:top].tolist() == read.modified[:top].tolist()
    assert np.array_equal(built.box[:, :top], read.box[:, :top], equal_nan=True)
    assert sorted(built.keys) == sorted(read.keys)
    assert _pairs(built) == _pairs(read)
    assert list(built.pair_doc) == sorted(built.pair_doc)  # sorted by document
    assert _postings(built) == _postings(read)
    assert _sorted_counts(built) == _sorted_counts(read)


def _sorted_counts(cols: FacetColumns) -> dict[str, list[tuple[str, int]]]:
    return {name: sorted(values) for name, values in cols.counts(None).items()}


def _built_and_read(
    home: Path, workers: int, engine: str = "fts5"
) -> tuple[SearchService, FacetColumns]:
    settings = get_settings(home=home, search_build_workers=workers, search_text_engine=engine)
    cat = Catalogue.open(settings)
    load_demo(cat)
    cat.load(_catalogue_ttl(2500), fmt="turtle", source="big", replace=True)
    service = SearchService(cat)
    service.rebuild()
    read = FacetColumns()
    read.load(service.index.db())
    return service, read


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "writer-process"])
def test_the_columns_built_while_writing_are_those_read_from_the_file(
    tmp_path: Path, workers: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        service, read = _built_and_read(tmp_path / "home", workers)
    try:
        if workers:
            assert "a writer process takes over after 2000 datasets" in caplog.text
        cols = service._columns(service.index.db())
        assert cols.loads == 0  # mapped from the build's folder, never read from the tables
        assert isinstance(cols.alive, np.memmap)
        assert int(read.alive.sum()) > 2500 and read.box[0][read.alive].size
        assert np.isfinite(read.box[0]).any() and read.has_modified.any()  # the demo's
        assert_same_columns(cols, read)
        assert not (service.folder / "columns.built").exists()
        # the adopted columns follow a publish as read ones do
        service.catalogue.load(_catalogue_ttl(2600), fmt="turtle", source="big", replace=True)
        service.sync()
        # 650 of the generated 2,600 are on health (625 of 2,500 before), and the demo's
        healthy = service.search("", filters={"theme": ["HEAL"]}, fresh=False).total
        assert healthy == _count(read, ("theme", "HEAL")) + 25
        again = FacetColumns()
        again.load(service.index.db())
        assert_same_columns(service._columns(service.index.db()), again)
    finally:
        service.close()
        service.catalogue.close()


def _count(cols: FacetColumns, key: tuple[str, str]) -> int:
    return len(cols._postings(cols.codes[key]))


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "writer-process"])
def test_columns_that_cannot_be_saved_are_read_from_the_file(
    tmp_path: Path, workers: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A build whose columns folder cannot be written still swaps in its file; the
    columns are then read from the file's tables, as before."""
    home = tmp_path / "home"
    (home / "search").mkdir(parents=True)
    (home / "search" / "columns.built").write_text("in the way")  # not a folder
    with caplog.at_level(logging.WARNING):
        service, read = _built_and_read(home, workers)
    try:
        if not workers:  # (a writer process logs to its own stderr)
            assert "columns not written" in caplog.text
        cols = service._columns(service.index.db())
        assert cols.loads == 1 and not isinstance(cols.alive, np.memmap)
        assert_same_columns(cols, read)
        assert service.search("hospital", fresh=False).total > 0
    finally:
        service.close()
        service.catalogue.close()
