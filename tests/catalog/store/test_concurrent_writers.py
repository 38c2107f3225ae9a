"""Two writers over one real SPARQL server (two API replicas) lose nothing.

Each "replica" is its own :class:`Catalogue` (own process-local locks) over the same
Oxigraph server: concurrent replace-loads of one source leave one whole version served,
never an empty source; concurrent edits of two labs both survive, and no lab is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalog.labs import list_labs, load_registry
from catalog.labs.store import edit_lab
from catalog.service import Catalogue
from tests.catalog.store.conftest import OxigraphServer, sparql_settings

ROUNDS = 10
DATASETS = 40


def document(writer: str, round_: int) -> bytes:
    lines = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> ."
    ]
    lines += [
        f'<https://ex.org/ds/{i}> a dcat:Dataset ; dct:title "{writer} {round_} {i}"@en .'
        for i in range(DATASETS)
    ]
    return "\n".join(lines).encode()


@pytest.fixture
def replicas(oxigraph_server: OxigraphServer, tmp_path: Path) -> Iterator[list[Catalogue]]:
    cats = [Catalogue.open(sparql_settings(oxigraph_server, tmp_path / f"r{i}")) for i in (1, 2)]
    try:
        yield cats
    finally:
        for cat in cats:
            cat.close()


def together(*work: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(work))

    def run(fn: Callable[[], None]) -> None:
        barrier.wait()
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_concurrent_replace_loads_never_empty_a_source(replicas: list[Catalogue]) -> None:
    a, b = replicas
    for round_ in range(ROUNDS):
        errors = together(
            lambda r=round_: a.load(document("a", r), fmt="turtle", source="shared", replace=True),
            lambda r=round_: b.load(document("b", r), fmt="turtle", source="shared", replace=True),
        )
        assert errors == []
        for cat in (a, b):
            assert cat.count("shared") == DATASETS, f"round {round_}"
        titles = {
            r["t"].value.split()[0]
            for r in a.store.select(
                "SELECT ?t WHERE { GRAPH <urn:datalab:meta> { "
                "<urn:datalab:source:shared> <https://w3id.org/datalab/ns#currentGraph> ?g } "
                "GRAPH ?g { ?d <http://purl.org/dc/terms/title> ?t } }"
            )
        }
        assert len(titles) == 1  # one whole version, never a mix
    graphs = [g for g in a.store.named_graphs() if g.startswith("urn:datalab:graph:shared:")]
    assert len(graphs) <= 3


def test_concurrent_edits_of_two_labs_through_two_replicas_both_survive(
    replicas: list[Catalogue],
) -> None:
    a, b = replicas
    load_registry(a)
    labs = {lab.id: lab for lab in list_labs(a)}
    assert len(labs) == 19
    first, second = labs["laif-datalab"], labs["bsc-datalab"]
    for round_ in range(ROUNDS):
        errors = together(
            lambda r=round_: edit_lab(
                a, first.id, {"fees": f"fees A {r}"}, staff_factory=first.factory
            ),
            lambda r=round_: edit_lab(
                b, second.id, {"fees": f"fees B {r}"}, staff_factory=second.factory
            ),
        )
        assert errors == []
        now = {lab.id: lab for lab in list_labs(b)}
        assert len(now) == 19, f"round {round_}"
        assert now[first.id].fees == f"fees A {round_}"
        assert now[second.id].fees == f"fees B {round_}"
        assert now[first.id].procedure == first.procedure  # the rest of the record is whole
