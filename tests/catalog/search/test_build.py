"""Building the index in worker processes gives exactly the index built in-process, and a
build's batched inserts exactly what one insert per row writes."""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import tantivy

from catalog import lifeline
from catalog.demo import load_demo
from catalog.search import SearchService, build, facet_rows
from catalog.search import text as search_text
from catalog.search.build import open_staged
from catalog.search.index import (
    TEXT_TABLES,
    IndexFile,
    expected_schema_objects,
    prepare_docs,
    schema_objects,
)
from catalog.search.mirror_build import rows_since
from catalog.search.mirror_layout import document, part_tokens, tokens
from catalog.search.project import SearchDoc, project_graph
from catalog.service import Catalogue
from catalog.settings import get_settings
from tests.catalog.search.test_text import TRICKY

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
        ids = dict(db.execute("SELECT rowid, id FROM docs"))
        facets = sorted(
            (ids[doc], name, value)
            for doc, pairs in facet_rows.pairs_since(db, 0)
            for name, value in pairs
        )
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
            # the indexes a build creates last are there, as the schema has them
            expected = expected_schema_objects(settings.search_text_engine)
            assert schema_objects(service.index.db()) == expected
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


def test_batches_prepared_here_while_the_writer_is_behind_build_the_same_index(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the writer process falls behind, this process prepares the next batch itself
    and hands over the rows: the same index (here it always does)."""
    data = _catalogue_ttl(2500)
    in_process = _build(tmp_path / "a", data, workers=0)
    monkeypatch.setattr(build, "PREPARE_HERE_FROM", 0)
    with caplog.at_level(logging.INFO):
        prepared_here = _build(tmp_path / "b", data, workers=1)
    assert "a writer process takes over after 2000 datasets" in caplog.text
    assert "1 batches prepared in this process while the writer was behind" in caplog.text
    assert prepared_here == in_process


def test_a_build_leaves_no_words_in_the_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The words a build stemmed in the serving process (it prepared batches) are not
    kept for as long as the process runs; queries still find their stems."""
    monkeypatch.setattr(build, "PREPARE_HERE_FROM", 0)
    settings = get_settings(home=tmp_path / "home", search_build_workers=1)
    with Catalogue.open(settings) as cat:
        cat.load(_catalogue_ttl(2500), fmt="turtle", source="big", replace=True)
        service = SearchService(cat)
        try:
            search_text.stem("de", "Krankenhäuser")
            assert service.rebuild() == 2500
            assert search_text._stem_of.cache_info().currsize == 0 and not search_text._TOKENS
            assert service.search("Krankenhaus", fresh=False).total > 0
        finally:
            service.close()


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


def _tables(db: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every row of the index file's tables, rowids included."""
    return {
        "docs": db.execute("SELECT rowid, * FROM docs ORDER BY rowid").fetchall(),
        "fts": db.execute("SELECT rowid, * FROM fts ORDER BY rowid").fetchall(),
        "facets": db.execute("SELECT * FROM facets ORDER BY doc, field, value").fetchall(),
        "lab_sets": db.execute("SELECT * FROM lab_sets ORDER BY id").fetchall(),
        "doc_labs": db.execute("SELECT * FROM doc_labs ORDER BY doc").fetchall(),
        "labels": db.execute("SELECT * FROM labels ORDER BY 1, 2, 3").fetchall(),
        "sequence": db.execute("SELECT * FROM sqlite_sequence").fetchall(),
    }


def _terms(doc: tantivy.Document) -> dict[str, list[object]]:
    """A mirror document's values, each field's sorted (facet pairs come in any order)."""
    return {name: sorted(values) for name, values in doc.to_dict().items()}  # type: ignore[type-var]


@pytest.mark.parametrize("text", sorted(TEXT_TABLES))
def test_a_fresh_build_writes_what_row_by_row_inserts_write(tmp_path: Path, text: str) -> None:
    """A build's batches (one ``executemany`` per table, rowids given) against the plain
    path (one insert per row, rowids from ``AUTOINCREMENT``): the same rows, and the
    writer's mirror documents the same as those read back from the file."""
    with Catalogue.open(get_settings(home=tmp_path / "home")) as cat:
        load_demo(cat)
        docs = [d for s in cat.sources() for d in project_graph(cat, s.name, s.graph)]
    docs += [
        SearchDoc(
            id=f"tricky-{i}",
            iri=f"https://build.example/tricky/{i}",
            source="tricky",
            titles=[(lang, text), ("en", f"Hospital {i}")],
            keywords=[(lang, text.split(" ")[0])],
            descriptions=[(lang, text)],
            facets={"theme": {"HEAL", "ENVI"}, "format": {"CSV", "JSON"}},
            labels={"format": {"CSV": {"en": "CSV", "de": "CSV-Datei"}}},
            access="public" if i % 2 else "restricted",
            modified="2024-02-29" if i % 3 else None,
            bbox=(-1.5, 40.0, 3.0, 45.5) if i % 2 else None,
        )
        for i, (lang, text) in enumerate(
            (lang, text) for text in TRICKY for lang in ("de", "el", "fr", "ja", "nl", "", "en")
        )
    ]
    assert len(docs) > 90
    half = len(docs) // 2
    plain = open_staged(IndexFile(tmp_path / "plain" / "index.sqlite", text).create_empty())
    fresh = open_staged(IndexFile(tmp_path / "fresh" / "index.sqlite", text).create_empty())
    mirrored: dict[int, dict[str, list[object]]] = {}

    def inserted(rowid: int, fts_row: tuple[str, str, str, str], facets: Any, keys: Any) -> None:
        mirrored[rowid] = _terms(document(rowid, *fts_row, facets, keys))

    for batch in (docs[:half], docs[half:]):
        assert IndexFile.write_prepared(plain, prepare_docs(batch)) == len(batch)
        assert IndexFile.write_prepared(fresh, prepare_docs(batch), True, inserted) == len(batch)
    assert IndexFile.write_prepared(fresh, [], True, inserted) == 0
    assert _tables(fresh) == _tables(plain)
    assert len(_tables(fresh)["docs"]) == len(docs)
    assert mirrored == {row[0]: _terms(document(*row)) for row in rows_since(plain, 0)}
    plain.close()
    fresh.close()


def _by_id(db: sqlite3.Connection) -> dict[str, tuple[tuple, tuple, list[tuple]]]:
    """Each document's ``docs`` row, ``fts`` row and facet pairs, by id (rowids left out)."""
    out = {}
    for rowid, ident, *rest in db.execute("SELECT * FROM docs"):  # rowid first
        text = "SELECT title, kw, body, stems FROM fts WHERE rowid=?"  # FTS5's columns
        fts = db.execute(text, (rowid,)).fetchone()
        pairs = facet_rows.pairs_of(db, [rowid]).get(rowid, [])
        out[ident] = (tuple(rest), fts, pairs)
    return out


@pytest.mark.parametrize("text", sorted(TEXT_TABLES))
def test_a_fresh_build_keeps_the_first_document_of_an_id_held_twice(
    tmp_path: Path, text: str
) -> None:
    """Two records under one id (only those written before ownership was enforced): the
    build does not fail on the index's unique id, and keeps the first document, whether
    the second comes in a later batch or in the same one."""
    with Catalogue.open(get_settings(home=tmp_path / "home")) as cat:
        load_demo(cat)
        docs = [d for s in cat.sources() for d in project_graph(cat, s.name, s.graph)]
    half = len(docs) // 2

    def again(doc: SearchDoc) -> SearchDoc:
        return SearchDoc(
            id=doc.id, iri=f"https://legacy.example/{doc.id}", source="legacy",
            titles=[("en", "A second record")], facets={"theme": {"AGRI"}}, access="public",
        )  # fmt: skip

    batches = (docs[:half], [again(docs[0]), *docs[half:], again(docs[half])])
    plain = open_staged(IndexFile(tmp_path / "plain" / "index.sqlite", text).create_empty())
    fresh = open_staged(IndexFile(tmp_path / "fresh" / "index.sqlite", text).create_empty())
    mirrored: list[int] = []
    assert IndexFile.write_prepared(plain, prepare_docs(docs)) == len(docs)
    written = [
        IndexFile.write_prepared(
            fresh, prepare_docs(batch), True, lambda rowid, *_: mirrored.append(rowid)
        )
        for batch in batches
    ]
    assert written == [half, len(docs) - half]
    assert _by_id(fresh) == _by_id(plain)  # each id once, the first document's
    rowids = [r[0] for r in fresh.execute("SELECT rowid FROM docs ORDER BY rowid")]
    assert sorted(mirrored) == rowids  # the mirror was told of the rows kept only
    orphans = "SELECT count(*) FROM {} WHERE {} NOT IN (SELECT rowid FROM docs)"
    assert fresh.execute(orphans.format("fts", "rowid")).fetchone() == (0,)
    assert fresh.execute(orphans.format("facets", "doc")).fetchone() == (0,)
    # a row refused for anything but its id is an error, as before (not left out)
    new = again(docs[1])
    new.id = "a-new-id"
    broken = prepare_docs([new])
    broken[0] = ((*broken[0][0][:4], None, *broken[0][0][5:]), *broken[0][1:])  # no title key
    with pytest.raises(sqlite3.IntegrityError):
        IndexFile.write_prepared(fresh, broken, True)
    plain.close()
    fresh.close()


def test_mirror_tokens_part_by_part_are_the_tokens_of_the_whole(tmp_path: Path) -> None:
    """The ``kw`` column's tokens, taken part by part (each distinct part once), against
    the whole column tokenised at once: on joins of the tricky texts (final sigma either
    side of a join, empty parts) and on every ``kw`` of the demo catalogue's index."""
    parts = [*TRICKY, "ΟΔΟΣ", "Σ", "ς", "_", " ", "", "a\n", "\nb", "ΑΣ Σ"]
    texts = [" \n ".join(pair) for pair in itertools.product(parts, repeat=2)]
    texts += [" \n ".join(parts), " \n  \n ", " \n ", "x \n \n y", "ΑΣ \n Σ \n ΣΑ"]
    with Catalogue.open(get_settings(home=tmp_path / "home")) as cat:
        load_demo(cat)
        service = SearchService.open(cat)
        try:
            texts += [r[0] for r in service.index.db().execute("SELECT kw FROM fts")]
        finally:
            service.close()
    assert len(texts) > 200
    for text in texts:
        assert part_tokens(text) == tokens(text), text
