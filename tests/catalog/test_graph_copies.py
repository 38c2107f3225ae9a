"""A harvested version's kept N-Triples give a full build exactly what the store gives,
and are never read once the version is no longer what they hold."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from catalog import graph_copies
from catalog.demo import load_demo
from catalog.errors import InvalidInput
from catalog.search import SearchService, project
from catalog.search.project import _project_all
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from catalog.store.base import DumpsGraphs
from catalog.store.oxigraph import OxigraphStore
from tests.catalog.test_roundtrip import PARSABLE
from tests.conftest import CORPUS

_HEAD = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return get_settings(home=tmp_path / "home")


def _projected(cat: Catalogue, source: str, graph: str) -> tuple[list[Any], dict[str, Any]]:
    docs, facts = [], {}
    for batch, batch_facts in _project_all(cat, source, graph):
        docs += batch
        facts.update(batch_facts)
    return docs, facts


def _three_ways(
    cat: Catalogue, source: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Any, Any]:
    """The source's documents and facts read from its kept N-Triples, from the store's
    dump of the version (the same catalogue, told to keep nothing), and from the store's
    scans, one per predicate (a store that cannot dump: a SPARQL server's)."""
    graph = cat.graphs.current(source)
    assert graph is not None
    assert cat.graphs.kept_copy(source, graph) is not None
    kept = _projected(cat, source, graph)
    folder, cat.graphs.copies = cat.graphs.copies, None
    try:
        assert cat.graphs.kept_copy(source, graph) is None
        assert isinstance(cat.store, DumpsGraphs)
        dumped = _projected(cat, source, graph)
        with monkeypatch.context() as patched:
            patched.setattr(project, "_dumped_graph", lambda *args: None)
            scanned = _projected(cat, source, graph)
    finally:
        cat.graphs.copies = folder
    return kept, dumped, scanned


def _copies(cat: Catalogue) -> list[Path]:
    assert cat.graphs.copies is not None
    if not cat.graphs.copies.exists():
        return []
    return sorted(cat.graphs.copies.iterdir())


@pytest.mark.parametrize("rel", PARSABLE)
def test_corpus_versions_read_from_their_copies_as_from_the_store(
    catalogue: Catalogue, rel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = catalogue.load_file(CORPUS / rel, source="corpus", replace=True)
    graph = catalogue.graphs.current("corpus")
    assert graph is not None
    if report.errors:  # records refused at ingest were deleted again: nothing is kept
        assert catalogue.graphs.kept_copy("corpus", graph) is None
        return
    kept, dumped, scanned = _three_ways(catalogue, "corpus", monkeypatch)
    assert kept == scanned
    assert dumped == scanned
    assert len(kept[0]) == report.datasets


def test_demo_and_generated_versions_read_from_their_copies_as_from_the_store(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.scale_bench import source_turtle

    load_demo(catalogue)
    catalogue.load(source_turtle(0, 400), fmt="turtle", source="gen", replace=True)
    seen = 0
    for src in catalogue.sources():
        kept, dumped, scanned = _three_ways(catalogue, src.name, monkeypatch)
        assert kept == scanned, src.name
        assert dumped == scanned, src.name
        seen += len(kept[0])
    assert seen >= 440
    # several titles, keywords and spatial values per dataset: an order to get right
    assert any(len(d.titles) > 1 for d in kept[0])


def test_a_full_build_reads_the_kept_copies(
    catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    load_demo(catalogue)
    with caplog.at_level(logging.INFO):
        service = SearchService.open(catalogue)
    try:
        assert service.origin == "build"
        read = {r.args[0] for r in caplog.records if "read from its kept" in r.getMessage()}
        assert read == {s.name for s in catalogue.sources()} and len(read) >= 4
        assert service.search("hospital").total > 0
    finally:
        service.close()


def test_a_change_in_place_voids_the_copy(catalogue: Catalogue) -> None:
    from bench.scale_bench import source_turtle

    catalogue.load(source_turtle(0, 50), fmt="turtle", source="gen", replace=True)
    graph = catalogue.graphs.current("gen")
    assert graph is not None and catalogue.graphs.kept_copy("gen", graph) is not None
    before, _ = _projected(catalogue, "gen", graph)
    # a steward registers one more dataset: upserted in place into the current version
    extra = f'{_HEAD}<https://gen.example/extra> a dcat:Dataset ; dct:title "Zebrafish atlas"@en .'
    catalogue.load(extra.encode(), fmt="turtle", source="gen")
    assert catalogue.graphs.current("gen") == graph
    assert catalogue.graphs.kept_copy("gen", graph) is None
    after, _ = _projected(catalogue, "gen", graph)
    assert len(after) == len(before) + 1
    assert any(d.titles == [("en", "Zebrafish atlas")] for d in after)
    # a deletion in place too
    catalogue.load(source_turtle(0, 50), fmt="turtle", source="gen", replace=True)
    graph = catalogue.graphs.current("gen")
    assert graph is not None and catalogue.graphs.kept_copy("gen", graph) is not None
    catalogue.delete(before[0].id)
    assert catalogue.graphs.kept_copy("gen", graph) is None
    assert before[0].id not in {d.id for d in _projected(catalogue, "gen", graph)[0]}


def test_a_version_changed_in_place_is_read_from_a_dump_of_the_store(
    catalogue: Catalogue, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.scale_bench import source_turtle

    catalogue.load(source_turtle(0, 120), fmt="turtle", source="gen", replace=True)
    extra = f'{_HEAD}<https://gen.example/extra> a dcat:Dataset ; dct:title "Zebrafish atlas"@en .'
    catalogue.load(extra.encode(), fmt="turtle", source="gen")  # in place: the copy is void
    graph = catalogue.graphs.current("gen")
    assert graph is not None and catalogue.graphs.kept_copy("gen", graph) is None
    with caplog.at_level(logging.INFO):
        dumped = _projected(catalogue, "gen", graph)
    assert "gen read from a dump of the store" in caplog.text
    with monkeypatch.context() as patched:
        patched.setattr(project, "_dumped_graph", lambda *args: None)
        scanned = _projected(catalogue, "gen", graph)
    assert dumped == scanned
    assert len(dumped[0]) == 121
    assert any(d.titles == [("en", "Zebrafish atlas")] for d in dumped[0])
    # a dump that does not parse (never written by the store itself): its scans are read
    caplog.clear()
    monkeypatch.setattr(OxigraphStore, "graph_ntriples", lambda self, g: b"<cut")
    with caplog.at_level(logging.INFO):
        again = _projected(catalogue, "gen", graph)
    assert "does not parse" in caplog.text and "read from a dump" not in caplog.text
    assert again == scanned


def test_refused_records_void_the_copy(catalogue: Catalogue) -> None:
    ttl = (
        f'{_HEAD}<https://r.example/ok> a dcat:Dataset ; dct:title "Kept"@en .\n'
        '[] a dcat:Dataset ; dct:title "A blank dataset without an identifier"@en .\n'
    )
    report = catalogue.load(ttl.encode(), fmt="turtle", source="refused", replace=True)
    assert report.errors and report.datasets == 1
    graph = catalogue.graphs.current("refused")
    assert graph is not None
    assert catalogue.graphs.kept_copy("refused", graph) is None
    assert _copies(catalogue) == []  # nothing staged is left behind
    docs, _ = _projected(catalogue, "refused", graph)
    assert [d.titles for d in docs] == [[("en", "Kept")]]


def test_copies_go_with_their_versions(catalogue: Catalogue) -> None:
    from bench.scale_bench import source_turtle

    graphs = []
    for k in range(4):
        catalogue.load(source_turtle(k, 20), fmt="turtle", source="gen", replace=True)
        graphs.append(catalogue.graphs.current("gen"))
    assert catalogue.graphs.copies is not None
    # the current and the previous version are kept, the older ones were dropped
    kept = {graph_copies.copy_path(catalogue.graphs.copies, g) for g in graphs[-2:]}
    assert set(_copies(catalogue)) == kept
    # a failed load leaves nothing, and the current version keeps its copy
    with pytest.raises(InvalidInput):
        catalogue.load(_HEAD.encode(), fmt="turtle", source="gen", replace=True)
    assert set(_copies(catalogue)) == kept
    assert catalogue.graphs.kept_copy("gen", graphs[-1]) is not None  # type: ignore[arg-type]
    catalogue.remove_source("gen")
    assert _copies(catalogue) == []


def test_what_killed_loads_staged_goes_once_abandoned(catalogue: Catalogue) -> None:
    from bench.scale_bench import source_turtle

    catalogue.load(source_turtle(0, 20), fmt="turtle", source="gen", replace=True)
    folder = catalogue.graphs.copies
    assert folder is not None
    kept = set(_copies(catalogue))
    # a load killed while its version and copy were half written ...
    killed = catalogue.graphs.new_version("gen")
    catalogue.store.update(f"INSERT DATA {{ GRAPH <{killed}> {{ <urn:x:a> <urn:x:b> 1 }} }}")
    half = graph_copies.CopyWriter(folder, killed)
    half.write(b"<urn:x:a> <urn:x:b> 1 .\n")
    # ... and one killed before the store held anything of its version
    early = graph_copies.CopyWriter(folder, catalogue.graphs.new_version("gen"))
    early.write(b"<urn:x:a> <urn:x:b> 2 .\n")
    for writer in (half, early):
        writer._close()  # the process ended: its file stays as far as it got
    staged = {graph_copies.staging_path(half.path), graph_copies.staging_path(early.path)}
    assert set(_copies(catalogue)) == kept | staged
    # the next publish within the grace leaves them: their loads may still be at work
    catalogue.load(source_turtle(1, 20), fmt="turtle", source="gen", replace=True)
    assert staged <= set(_copies(catalogue))
    assert killed in catalogue.store.named_graphs()
    # past it, the next publish collects them with the abandoned version
    catalogue.graphs.unpublished_grace_s = 0.001
    time.sleep(0.01)
    catalogue.load(source_turtle(2, 20), fmt="turtle", source="gen", replace=True)
    left = set(_copies(catalogue))
    assert not left & staged
    assert killed not in catalogue.store.named_graphs()
    assert left == {
        graph_copies.copy_path(folder, g) for g in catalogue.graphs.pointers("gen") if g
    }


def test_a_damaged_copy_is_read_from_the_store(
    catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    from bench.scale_bench import source_turtle

    catalogue.load(source_turtle(0, 200), fmt="turtle", source="gen", replace=True)
    graph = catalogue.graphs.current("gen")
    assert graph is not None
    path = catalogue.graphs.kept_copy("gen", graph)
    assert path is not None
    whole, _ = _projected(catalogue, "gen", graph)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # cut in half
    with caplog.at_level(logging.WARNING):
        again, _ = _projected(catalogue, "gen", graph)
    assert "unreadable" in caplog.text and "reading the store" in caplog.text
    assert again == whole and len(again) == 200


def test_nothing_is_kept_when_the_setting_is_off(tmp_path: Path) -> None:
    settings = get_settings(home=tmp_path / "home", keep_graph_ntriples=False)
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        assert cat.graphs.copies is None
        assert not (settings.home / graph_copies.FOLDER).exists()
        for src in cat.sources():
            assert cat.graphs.kept_copy(src.name, src.graph) is None
