"""The vocabulary checks of query expansion (is a term, or a term starting so, in the
index?) read one instance of the term; they must answer as the counting vocabulary does,
also once documents holding a term are gone, and on a read-only connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from catalog.search import SearchService
from catalog.search import query as qparse
from catalog.service import Catalogue
from tests.catalog.search.conftest import service_over

TTL = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix ex: <https://vocab.example.org/> .
ex:a a dcat:Dataset ; dct:identifier "v-1" ;
    dct:title "Krankenhausaufenthalte in Nordstadt"@de , "Hospital stays"@en .
ex:b a dcat:Dataset ; dct:identifier "v-2" ;
    dct:title "Luftqualitätsmessungen am Stadtrand"@de ; dcat:keyword "Feinstaub"@de .
ex:c a dcat:Dataset ; dct:identifier "v-3" ;
    dct:title "Zeldzame ziekteregisters"@nl ; dcat:keyword "Unikatwort"@de .
"""


@pytest.fixture
def service(catalogue: Catalogue) -> Iterator[SearchService]:
    yield from service_over(catalogue, TTL, "vocab")


def _counted(db: sqlite3.Connection, where: str, args: tuple[str, ...]) -> bool:
    row = db.execute(f"SELECT 1 FROM vocab WHERE {where} LIMIT 1", args).fetchone()
    return row is not None


def _agree(db: sqlite3.Connection, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Every term of the counting vocabulary and ``extra``, their prefixes and some
    strangers: the checks must give the same answers; returns the terms."""
    terms = [t for (t,) in db.execute("SELECT term FROM vocab")]
    assert terms
    probes = {*terms, *extra, "zzz", "krankenhaus", "de_kranken", "", "\uffff"}
    probes |= {t[:n] for t in probes for n in (3, 5, 8)}
    for probe in sorted(probes):
        assert qparse._in_vocab(db, probe) == _counted(db, "term = ?", (probe,)), probe
        prefix = (probe, probe + "\uffff")
        assert qparse._prefix_in_vocab(db, probe) == _counted(
            db, "term >= ? AND term < ?", prefix
        ), probe
    return terms


def test_vocabulary_checks_answer_as_the_counting_vocabulary(
    catalogue: Catalogue, service: SearchService
) -> None:
    with service.index.lock:
        before = _agree(service.index.db())
    assert any("unikatwort" in t for t in before)
    # the document holding a term is replaced: the term is gone for both
    changed = TTL.replace('dcat:keyword "Unikatwort"@de', 'dcat:keyword "Anderes"@de')
    catalogue.load(changed.encode(), fmt="turtle", source="vocab", replace=True)
    service.sync()
    with service.index.lock:
        after = _agree(service.index.db(), before)  # the terms gone too
    assert not any("unikatwort" in t for t in after)
    assert service.search("Unikatwort").total == 0
    assert service.search("Luftqualitätsmessungen").total == 1


def test_a_read_only_connection_answers_from_the_counting_vocabulary(
    service: SearchService,
) -> None:
    db = sqlite3.connect(f"{service.index.path.as_uri()}?mode=ro", uri=True)
    try:
        db.execute("PRAGMA query_only=ON")  # no temporary table either
        _agree(db)
    finally:
        db.close()
