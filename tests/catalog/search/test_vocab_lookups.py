"""The vocabulary checks of query expansion (is a term, or a term starting so, in the
index?): FTS5's read one instance of the term, Tantivy's its term dictionaries and one
live document; both must answer as FTS5's counting vocabulary of the same text does, also
once documents holding a term are gone, and FTS5's on a read-only connection."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator

import pytest

from catalog.search import SearchService
from catalog.search import query as qparse
from catalog.search.mirror_layout import deleted_docs
from catalog.search.mirror_vocab import MirrorVocabulary
from catalog.service import Catalogue
from tests.catalog.search.conftest import service_over
from tests.catalog.search.fts5_oracle import fts5_of

TTL = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix ex: <https://vocab.example.org/> .
ex:a a dcat:Dataset ; dct:identifier "v-1" ;
    dct:title "Krankenhausaufenthalte in Nordstadt"@de , "Hospital stays"@en .
ex:b a dcat:Dataset ; dct:identifier "v-2" ;
    dct:title "Luftqualitätsmessungen am Stadtrand"@de ; dcat:keyword "Feinstaub"@de .
ex:c a dcat:Dataset ; dct:identifier "v-3" ;
    dct:title "Zeldzame ziekteregisters"@nl ; dcat:keyword "Unikatwort"@de .
"""


#: Datasets of another source, built into the same Tantivy segments as those of ``TTL``:
#: when those are replaced, the segments keep them as deleted documents.
OTHER = "".join(
    f"<https://vocab.example.org/o{i}> a <http://www.w3.org/ns/dcat#Dataset> ; "
    f'<http://purl.org/dc/terms/title> "Other dataset {i}"@en .\n'
    for i in range(12)
)


@pytest.fixture
def service(catalogue: Catalogue) -> Iterator[SearchService]:
    catalogue.load(OTHER.encode(), fmt="turtle", source="other", replace=True)
    yield from service_over(catalogue, TTL, "vocab")


def _counted(db: sqlite3.Connection, where: str, args: tuple[str, ...]) -> bool:
    row = db.execute(f"SELECT 1 FROM vocab WHERE {where} LIMIT 1", args).fetchone()
    return row is not None


def _agree(service: SearchService, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Every term of FTS5's counting vocabulary of the file's text and ``extra``, their
    prefixes and some strangers: the service's vocabulary (FTS5's read one instance at a
    time, or the Tantivy mirror's term dictionaries) must give the same answers; returns
    the terms."""
    with service.index.lock, fts5_of(service.index.db()) as db:
        vocabs = [service.vocabulary(service.index.db())]
        if service.text is not None:  # the deleted documents not counted: each term searched
            searcher = service.text._idx().searcher()
            vocabs.append(MirrorVocabulary(searcher, service.text.schema, lambda: None))
        terms = [t for (t,) in db.execute("SELECT term FROM vocab")]
        assert terms
        probes = {*terms, *extra, "zzz", "krankenhaus", "de_kranken", "", "\uffff"}
        probes |= {t[:n] for t in probes for n in (3, 5, 8)}
        for probe, vocab in itertools.product(sorted(probes), vocabs):
            assert vocab.has(probe) == _counted(db, "term = ?", (probe,)), probe
            prefix = (probe, probe + "\uffff")
            assert vocab.has_prefix(probe) == _counted(db, "term >= ? AND term < ?", prefix), probe
    return terms


def test_vocabulary_checks_answer_as_the_counting_vocabulary(
    catalogue: Catalogue, service: SearchService
) -> None:
    before = _agree(service)
    assert any("unikatwort" in t for t in before)
    # the document holding a term is replaced: the term is gone for both
    changed = TTL.replace('dcat:keyword "Unikatwort"@de', 'dcat:keyword "Anderes"@de')
    catalogue.load(changed.encode(), fmt="turtle", source="vocab", replace=True)
    service.sync()
    if service.text is not None:  # the mirror's dictionary still lists the deleted terms
        searcher = service.text._idx().searcher()
        assert searcher.doc_freq("kw", "unikatwort") == 1
        assert searcher.terms_with_prefix("kw", "unika") == [("unikatwort", 1)]
        assert deleted_docs(service.text.path) == 3
    after = _agree(service, before)  # the terms gone too
    assert not any("unikatwort" in t for t in after)
    assert service.search("Unikatwort").total == 0
    assert service.search("Luftqualitätsmessungen").total == 1


@pytest.mark.parametrize("settings", ["fts5"], indirect=True)
def test_a_read_only_connection_answers_from_the_counting_vocabulary(
    service: SearchService,
) -> None:
    db = sqlite3.connect(f"{service.index.path.as_uri()}?mode=ro", uri=True)
    try:
        db.execute("PRAGMA query_only=ON")  # no temporary table either
        vocab = qparse.FtsVocabulary(db)
        for (term,) in db.execute("SELECT term FROM vocab").fetchall():
            assert vocab.has(term) and vocab.has_prefix(term[:3]), term
        assert not vocab.has("zzz") and not vocab.has_prefix("zzz")
    finally:
        db.close()
