"""Building the index in worker processes gives exactly the index built in-process."""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from catalog import lifeline
from catalog.search import SearchService
from catalog.service import Catalogue
from catalog.settings import get_settings

_WORDS = {
    "en": ["hospital", "admissions", "speech", "corpus", "forest", "soil", "traffic"],
    "de": ["Krankenhäuser", "Aufnahmen", "Sprachkorpus", "Wald", "Verkehr"],
    "pl": ["szpitale", "przyjęcia", "korpus", "lasy", "ruch"],
}
_THEMES = ["HEAL", "ENVI", "TECH", "TRAN"]


def _catalogue_ttl(n: int) -> bytes:
    """``n`` datasets, enough to pass the build's 2,000-dataset threshold for workers."""
    out = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
        "@prefix dct: <http://purl.org/dc/terms/> .\n"
        "@prefix th: <http://publications.europa.eu/resource/authority/data-theme/> .\n"
        "@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .\n"
    ]
    for i in range(n):
        lang = list(_WORDS)[i % 3]
        words = _WORDS[lang]
        title = " ".join(words[(i + k) % len(words)] for k in range(3))
        desc = " ".join(words[(i * k) % len(words)] for k in range(1, 9))
        rights = "PUBLIC" if i % 3 else "RESTRICTED"
        out.append(
            f'<https://build.example/ds/{i}> a dcat:Dataset ; dct:title "{title} {i}"@{lang} ; '
            f'dct:description "{desc}"@{lang} ; dcat:keyword "{words[i % len(words)]}"@{lang} ; '
            f"dcat:theme th:{_THEMES[i % 4]} ; dct:accessRights ar:{rights} .\n"
        )
    return "".join(out).encode()


def _index_rows(path: Path) -> tuple[list[tuple], list[tuple], list[tuple]]:
    db = sqlite3.connect(path)
    try:
        docs = db.execute(
            "SELECT id, source, access, modified, sort_title, display FROM docs ORDER BY id"
        ).fetchall()
        texts = db.execute(
            "SELECT d.id, f.title, f.kw, f.body, f.stems FROM fts f "
            "JOIN docs d ON d.rowid = f.rowid ORDER BY d.id"
        ).fetchall()
        facets = db.execute(
            "SELECT d.id, f.field, f.value FROM facets f JOIN docs d ON d.rowid = f.doc "
            "ORDER BY 1, 2, 3"
        ).fetchall()
    finally:
        db.close()
    return docs, texts, facets


def _build(home: Path, data: bytes, workers: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Rebuild, then re-index the source in the live file (the other parallel path)."""
    settings = get_settings(home=home, search_build_workers=workers)
    index = home / "search" / "index.sqlite"
    with Catalogue.open(settings) as cat:
        cat.load(data, fmt="turtle", source="big", replace=True)
        service = SearchService(cat)
        try:
            assert service.rebuild() == 2500
            assert service.search("Krankenhausdaten", fresh=False).total > 0
            rebuilt = _index_rows(index)
            service.refresh_all()
            assert _index_rows(index) == rebuilt
        finally:
            service.close()
    return rebuilt


def test_workers_build_the_same_index(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = _catalogue_ttl(2500)
    in_process = _build(tmp_path / "a", data, workers=0)
    with caplog.at_level(logging.INFO):
        with_workers = _build(tmp_path / "b", data, workers=1)
    assert "a writer process takes over after 2000 datasets" in caplog.text
    # the writer process built the Tantivy mirror as it wrote; it was adopted, not rebuilt
    assert "rebuilding it from the SQLite index" not in caplog.text
    assert "failed" not in caplog.text  # the writer process did the work, no fallback
    assert len(in_process[0]) == 2500
    assert with_workers == in_process
    # restricted descriptions stay out of the index on both paths
    restricted = [d for d in in_process[0] if d[2] != "public"]
    assert restricted and all('"descriptions": []' in d[5] for d in restricted)


def _fail_start() -> None:
    raise RuntimeError("this worker cannot start")


def _broken_pool(workers: int, **kwargs: object) -> ProcessPoolExecutor:
    """A pool whose workers die on start, as when a process cannot be spawned."""
    kwargs["initializer"], kwargs["initargs"] = _fail_start, ()
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), **kwargs)  # type: ignore[arg-type]


def test_workers_that_cannot_start_leave_the_work_to_this_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _catalogue_ttl(2500)
    in_process = _build(tmp_path / "a", data, workers=0)
    monkeypatch.setattr(lifeline, "worker_pool", _broken_pool)
    with caplog.at_level(logging.WARNING):
        fallen_back = _build(tmp_path / "b", data, workers=1)
    assert fallen_back == in_process
    # both fallbacks ran: the rebuild's writer process, then the re-index's workers
    assert "the writer process failed; building in-process" in caplog.text
    assert "search build workers failed; preparing documents in-process" in caplog.text
