"""The embedded store's bulk-load ingest path stores exactly what the quad path stores.

Each document is loaded twice into the same real Oxigraph store: once through the fast
path (guarded N-Triples chunks, skolemised by regular expressions, bulk-loaded on a loader
thread) and once through the quad path every other backend uses. The two named graphs must
hold the same quads, up to the names of skolemised blank nodes.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from catalog.errors import LimitExceeded, ParseError, StoreError
from catalog.loading import _named_subjects
from catalog.rdf_input import ParseLimits, guess_format, iter_triples
from catalog.records import DATASET_TYPES, datasets_in_graph
from catalog.service import Catalogue
from catalog.settings import get_settings
from catalog.skolem import DATATYPE_WRAPPER, GENID, is_skolem, skolemise, skolemise_ntriples
from catalog.store.fast_load import load_pipelined, load_sequential
from catalog.store.oxigraph import SMALL_CHUNK_TRIPLES, OxigraphStore
from tests.catalog.test_roundtrip import PARSABLE
from tests.conftest import CORPUS

XSD = "http://www.w3.org/2001/XMLSchema#"
FAST = "urn:datalab:graph:test:fast"
SLOW = "urn:datalab:graph:test:slow"

# Literals written to fool a line-oriented rewrite: blank-node and datatype look-alikes at
# the end of a literal, raw newlines followed by "_:" (a new "line" inside a literal), quotes.
ADVERSARIAL = b"""
@prefix ex: <https://data.example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:p "ends like a blank object _:x ." , "ends like a blank object _:x" ;
  ex:q "looks typed\\"^^<http://www.w3.org/2001/XMLSchema#long> ." ;
  ex:r \"\"\"line one
_:b <https://data.example.org/p> _:c .
"^^<http://www.w3.org/2001/XMLSchema#long> .
last "line\"\"\" ;
  ex:s "tab\\tand \\"quotes\\" and \\\\ backslash _:y"@en ;
  ex:t "_:z"^^<http://www.w3.org/2001/XMLSchema#long> ;
  ex:u "12"^^xsd:nonNegativeInteger , "-3"^^xsd:int , "7"^^xsd:integer , "1"^^xsd:long ;
  ex:v [ ex:w [ ex:x "deep" ; ex:n "5"^^xsd:unsignedByte ] ] ;
  ex:link _:shared .
_:shared ex:label "shared node _:shared ." ; ex:back ex:a .
[] a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/identifier> "bn-1" .
"""


def stored(store: OxigraphStore, graph: str) -> Graph:
    """The graph as rdflib terms, skolem IRIs turned back into blank nodes, nothing else."""
    g = Graph()
    for q in store.quads(graph):
        terms = []
        for term in (q.subject, q.predicate, q.object):
            if isinstance(term, ox.NamedNode):
                value = term.value
                terms.append(
                    BNode(value[len(GENID) :]) if value.startswith(GENID) else URIRef(value)
                )
            elif isinstance(term, ox.Literal):
                terms.append(
                    Literal(term.value, lang=term.language)
                    if term.language
                    else Literal(term.value, datatype=URIRef(term.datatype.value))
                )
            else:
                raise AssertionError(f"unexpected stored term {term!r}")
        g.add(tuple(terms))  # type: ignore[arg-type]
    return g


def load_both(store: OxigraphStore, data: bytes, fmt: ox.RdfFormat) -> tuple[int, int]:
    """Load ``data`` into FAST through the bulk-load path and into SLOW through the quad
    path; check both saw the dataset nodes the store holds. Returns both triple counts."""
    limits = ParseLimits(max_triples=10**7, max_bytes=2**31)
    fast_doc = skolemise(iter_triples(data, fmt, limits), FAST, collect_types=DATASET_TYPES)
    fast = store.add(FAST, fast_doc)
    slow_doc = skolemise(iter_triples(data, fmt, limits), SLOW, collect_types=DATASET_TYPES)
    # iter() hands over the plain quad generator: no N-Triples, so the quad path.
    slow = store.add(SLOW, iter(slow_doc))
    assert fast_doc.typed is not None and slow_doc.typed is not None
    in_store = {iri for iri, _ in datasets_in_graph(store, FAST)}
    assert set(fast_doc.typed) == in_store
    # the IRI subjects the loader saw are the graph's (what _drop_foreign would scan for)
    assert fast_doc.subjects == _named_subjects(store, FAST)
    assert len(slow_doc.typed) == len(fast_doc.typed)
    # in the same (document) order: the first of two case variants keeps the id
    assert _named(fast_doc.typed) == _named(slow_doc.typed)
    return fast, slow


def _named(typed: list[str]) -> list[str]:
    """``typed`` without skolemised blank nodes (each parse names those anew)."""
    return [iri for iri in typed if not iri.startswith(GENID)]


@pytest.fixture
def ox_store(tmp_path: Path) -> Iterator[OxigraphStore]:
    store = OxigraphStore(tmp_path / "store")
    store.ntriples_chunk_triples = 3  # many chunks: blank nodes must span them
    yield store
    store.close()


def test_adversarial_literals_are_stored_as_the_quad_path_stores_them(
    ox_store: OxigraphStore,
) -> None:
    fast, slow = load_both(ox_store, ADVERSARIAL, ox.RdfFormat.TURTLE)
    assert fast == slow == 19
    fast_graph, slow_graph = stored(ox_store, FAST), stored(ox_store, SLOW)
    assert len(fast_graph) == len(slow_graph) == 19
    assert isomorphic(fast_graph, slow_graph)
    literals = {str(o) for o in fast_graph.objects() if isinstance(o, Literal)}
    assert "ends like a blank object _:x ." in literals
    assert 'looks typed"^^<http://www.w3.org/2001/XMLSchema#long> .' in literals
    assert any(v.startswith("line one\n_:b <https") and v.endswith('last "line') for v in literals)
    # Derived integer types are wrapped (xsd:integer is not), blank nodes are skolemised.
    datatypes = {str(o.datatype) for o in fast_graph.objects() if isinstance(o, Literal)}
    assert {DATATYPE_WRAPPER + XSD + t for t in ("nonNegativeInteger", "int", "long")} <= datatypes
    assert DATATYPE_WRAPPER + XSD + "unsignedByte" in datatypes
    assert XSD + "integer" in datatypes and XSD + "long" not in datatypes
    assert len({s for s in fast_graph.subjects() if isinstance(s, BNode)}) == 4
    [(dataset, identifier)] = datasets_in_graph(ox_store, FAST)  # the blank-node one
    assert dataset.startswith(GENID) and identifier == "bn-1"


MIXED_TYPES = b"""
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix ex: <https://data.example.org/> .
ex:s1 a dcat:DatasetSeries .
ex:d1 a dcat:Dataset ; ex:note "ex:d9 a dcat:Dataset .> <x> ." .
ex:s2 a dcat:DatasetSeries ; a dcat:Dataset .
ex:d2 a dcat:Catalog ; ex:p dcat:Dataset .
ex:d3 ex:q [ a dcat:Dataset ; <http://purl.org/dc/terms/identifier> "bn-2" ] .
ex:D1 a dcat:Dataset .
"""


def test_typed_subjects_of_one_chunk_come_in_document_order_across_types(
    ox_store: OxigraphStore,
) -> None:
    ox_store.ntriples_chunk_triples = 1000  # one chunk: the order within it is the finder's
    limits = ParseLimits()
    doc = skolemise(iter_triples(MIXED_TYPES, ox.RdfFormat.TURTLE, limits), FAST, DATASET_TYPES)
    ox_store.add(FAST, doc)
    assert doc.typed is not None
    ex = "https://data.example.org/"
    assert _named(doc.typed) == [ex + "s1", ex + "d1", ex + "s2", ex + "s2", ex + "D1"]
    assert len(doc.typed) == 6 and doc.typed[4].startswith(GENID)


def test_skolemise_ntriples_rewrites_only_terms_never_literal_text() -> None:
    chunk = ox.serialize(
        list(iter_triples(ADVERSARIAL, ox.RdfFormat.TURTLE, ParseLimits())),
        format=ox.RdfFormat.N_TRIPLES,
    )
    out = skolemise_ntriples(chunk)
    before = list(ox.parse(chunk, ox.RdfFormat.N_TRIPLES))
    after = list(ox.parse(out, ox.RdfFormat.N_TRIPLES))
    assert len(after) == len(before) == chunk.count(b"\n")
    assert not any(isinstance(t, ox.BlankNode) for q in after for t in (q.subject, q.object))
    # Literal text is untouched, in order; only datatypes of derived integer types change.
    assert [q.object.value for q in after if isinstance(q.object, ox.Literal)] == [
        q.object.value for q in before if isinstance(q.object, ox.Literal)
    ]
    assert [str(q.subject) for q in after if not is_skolem(q.subject)] == [
        str(q.subject) for q in before if isinstance(q.subject, ox.NamedNode)
    ]


VOCABULARIES = sorted(
    p.relative_to(CORPUS).as_posix() for p in (CORPUS / "dcat-ap" / "vocabularies").glob("*.rdf")
)


@pytest.mark.parametrize("name", PARSABLE + VOCABULARIES)
def test_corpus_files_store_the_same_quads_on_both_paths(
    ox_store: OxigraphStore, corpus: Path, name: str
) -> None:
    path = corpus / name
    ox_store.ntriples_chunk_triples = 40
    fast, slow = load_both(ox_store, path.read_bytes(), guess_format(path.name))
    assert fast == slow > 0
    assert isomorphic(stored(ox_store, FAST), stored(ox_store, SLOW))


def test_syntaxes_with_named_graphs_take_the_quad_path(ox_store: OxigraphStore) -> None:
    trig = (
        b'<https://e.org/g> { <https://e.org/s> <https://e.org/p> "v" , [ <https://e.org/q> 1 ] . }'
    )
    triples = iter_triples(trig, ox.RdfFormat.TRIG, ParseLimits())
    assert triples.ntriples_chunks(10) is None
    assert ox_store.add(FAST, skolemise(triples, FAST)) == 3
    assert len(stored(ox_store, FAST)) == 3


def big_literal_doc(length: int) -> bytes:
    return (
        b"<https://e.org/a> <https://e.org/p> <https://e.org/b> .\n"
        b'<https://e.org/a> <https://e.org/q> "' + b"\xc3\xa9" * length + b'" .\n'
    )


def test_literal_cap_counts_characters_and_names_the_triple(ox_store: OxigraphStore) -> None:
    limits = ParseLimits(max_literal_bytes=100)
    ok = skolemise(iter_triples(big_literal_doc(100), ox.RdfFormat.N_TRIPLES, limits), FAST)
    assert ox_store.add(FAST, ok) == 2  # 100 characters (200 bytes): at the cap, accepted
    too_long = skolemise(iter_triples(big_literal_doc(101), ox.RdfFormat.N_TRIPLES, limits), SLOW)
    with pytest.raises(LimitExceeded) as info:
        ox_store.add(SLOW, too_long)
    assert "101 characters" in str(info.value)
    assert info.value.where == "triple 2, subject <https://e.org/a>"


def test_a_long_iri_line_is_not_mistaken_for_a_long_literal(ox_store: OxigraphStore) -> None:
    iri = "https://e.org/" + "x" * 500
    doc = f'<{iri}> <https://e.org/p> "short" .\n'.encode()
    limits = ParseLimits(max_literal_bytes=50)
    assert ox_store.add(FAST, skolemise(iter_triples(doc, ox.RdfFormat.TURTLE, limits), FAST)) == 1


def test_triple_cap_on_the_fast_path(ox_store: OxigraphStore) -> None:
    doc = "".join(f"<https://e.org/{i}> <https://e.org/p> {i} .\n" for i in range(10)).encode()
    exact = skolemise(iter_triples(doc, ox.RdfFormat.TURTLE, ParseLimits(max_triples=10)), FAST)
    assert ox_store.add(FAST, exact) == 10
    over = skolemise(iter_triples(doc, ox.RdfFormat.TURTLE, ParseLimits(max_triples=9)), SLOW)
    with pytest.raises(LimitExceeded, match="more than 9 triples"):
        ox_store.add(SLOW, over)


def test_a_syntax_error_in_a_later_chunk_names_its_line_and_keeps_the_old_version(
    tmp_path: Path,
) -> None:
    good = "".join(
        f"<https://e.org/d{i}> a <http://www.w3.org/ns/dcat#Dataset> .\n" for i in range(20)
    )
    with Catalogue.open(get_settings(home=tmp_path / "home")) as cat:
        assert isinstance(cat.store, OxigraphStore)
        cat.store.ntriples_chunk_triples = 4
        cat.load(good.encode(), fmt="turtle", source="portal", replace=True)
        before = cat.export("ntriples")
        with pytest.raises(ParseError) as info:
            cat.load(
                (good + '<https://e.org/x> <https://e.org/p> "open .\n').encode(),
                fmt="turtle",
                source="portal",
                replace=True,
            )
        assert info.value.where == "line 21"
        assert cat.export("ntriples") == before
        versions = [g for g in cat.store.named_graphs() if g.startswith("urn:datalab:graph:")]
        assert len(versions) == 1
        assert cat.count() == 20


def chunks_then_failure(good: int) -> Iterator[bytes]:
    for i in range(good):
        yield f"<https://e.org/s{i}> <https://e.org/p> <https://e.org/o> .\n".encode()
    raise ParseError("broken RDF: boom", where="line 3")


def test_a_producer_failure_stops_the_loader_thread(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "s")
    threads = threading.active_count()
    with pytest.raises(ParseError, match="boom"):
        load_pipelined(partial(store.load_ntriples_chunk, FAST), chunks_then_failure(2))
    assert threading.active_count() == threads
    assert len(list(store.quads(FAST))) <= 2  # loaded so far: the caller drops the graph
    store.close()


def test_a_loader_failure_is_raised_in_the_caller(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "s")
    produced: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(50):
            produced.append(i)
            yield b"<https://e.org/s> <https://e.org/p> this is not n-triples .\n"

    load = partial(store.load_ntriples_chunk, FAST)
    with pytest.raises(StoreError, match="bulk load failed"):
        load_pipelined(load, chunks())
    assert len(produced) < 50  # the producer stopped early
    with pytest.raises(StoreError):
        load_sequential(load, chunks())
    store.close()


def test_pipelined_and_sequential_loads_store_the_same(tmp_path: Path) -> None:
    chunks = [
        "".join(f'<https://e.org/s{i}> <https://e.org/p> "{j}" .\n' for j in range(7)).encode()
        for i in range(30)
    ]
    one, two = OxigraphStore(tmp_path / "a"), OxigraphStore(tmp_path / "b")
    assert load_pipelined(partial(one.load_ntriples_chunk, FAST), iter(chunks)) == 210
    assert load_sequential(partial(two.load_ntriples_chunk, FAST), chunks) == 210
    assert set(one.quads(FAST)) == set(two.quads(FAST)) and len(set(one.quads(FAST))) == 210
    one.close()
    two.close()


def test_a_failed_load_does_not_keep_the_store_locked(tmp_path: Path) -> None:
    """The error's traceback outlives the load; closing the catalogue must still free the
    store so the next process (or CLI command) can open it."""
    settings = get_settings(home=tmp_path / "home")
    with Catalogue.open(settings) as cat, pytest.raises(ParseError) as info:
        cat.load(b'<https://e.org/a> <https://e.org/p> "open .\n', fmt="turtle")
    assert info.value.__traceback__ is not None
    with Catalogue.open(settings) as again:
        assert again.count() == 0


@pytest.mark.parametrize("lines", [SMALL_CHUNK_TRIPLES, SMALL_CHUNK_TRIPLES + 1, 3000])
def test_small_and_large_chunks_store_every_line(tmp_path: Path, lines: int) -> None:
    """A small chunk goes through a transaction, a large one through the bulk loader:
    either way the graph holds exactly the chunk's triples."""
    store = OxigraphStore(tmp_path / "s")
    chunk = "".join(
        f'<https://e.org/s{i}> <https://e.org/p> "v{i}"@en .\n' for i in range(lines)
    ).encode()
    store.load_ntriples_chunk(FAST, chunk)
    stored = set(store.quads(FAST))
    assert len(stored) == lines
    assert (
        ox.Quad(
            ox.NamedNode(f"https://e.org/s{lines - 1}"),
            ox.NamedNode("https://e.org/p"),
            ox.Literal(f"v{lines - 1}", language="en"),
            ox.NamedNode(FAST),
        )
        in stored
    )
    store.close()


def test_a_bad_small_chunk_stores_none_of_its_lines(tmp_path: Path) -> None:
    """The transaction of a small chunk is all or nothing: a bad last line leaves the
    graph as it was."""
    store = OxigraphStore(tmp_path / "s")
    good = "".join(f'<https://e.org/s{i}> <https://e.org/p> "{i}" .\n' for i in range(20))
    with pytest.raises(StoreError, match="bulk load failed"):
        store.load_ntriples_chunk(FAST, (good + "<https://e.org/s> not n-triples .\n").encode())
    assert list(store.quads(FAST)) == []
    store.close()


def test_the_checked_chunks_wait_in_memory_not_in_a_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checking pass keeps its chunks compressed in memory: a temporary file's writes
    were throttled behind the store's own (up to 2 s per 240 MB). With no usable
    temporary folder, the chunks still come back whole, in order, once the whole
    document has been checked."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    doc = "".join(f'<https://e.org/d{i}> <https://e.org/p> "v{i}" .\n' for i in range(50))
    triples = iter_triples(doc.encode(), ox.RdfFormat.TURTLE, ParseLimits())
    chunks = triples.ntriples_chunks(7)
    assert chunks is not None and triples.checked == 50  # checked before the first chunk
    got = list(chunks)
    assert [c.count(b"\n") for c in got] == [7] * 7 + [1]
    assert b"".join(got).decode() == doc
