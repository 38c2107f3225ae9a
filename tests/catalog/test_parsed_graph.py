"""A kept version's N-Triples parsed straight into a triple index hold what a store holding
them gives back: canonical literals, each triple once, objects in order."""

from __future__ import annotations

from types import SimpleNamespace

import pyoxigraph as ox
import pytest

from catalog.facts.read import read_predicates
from catalog.parsed_graph import ParsedGraph
from catalog.rdf_input import guess_format
from catalog.skolem import skolemise_ntriples
from catalog.store.oxigraph import OxigraphStore
from tests.catalog.test_roundtrip import PARSABLE
from tests.conftest import CORPUS

_G = "urn:test:graph"
_XSD = "http://www.w3.org/2001/XMLSchema#"

# literals a store keeps as values (written in other forms than the canonical one), and
# triples stated twice, once in another written form
_ODD = f"""<urn:s:1> <urn:p:n> "01"^^<{_XSD}integer> .
<urn:s:1> <urn:p:n> "1"^^<{_XSD}integer> .
<urn:s:1> <urn:p:n> "+7"^^<{_XSD}integer> .
<urn:s:1> <urn:p:d> "1.50"^^<{_XSD}decimal> .
<urn:s:1> <urn:p:d> "1.0E0"^^<{_XSD}double> .
<urn:s:1> <urn:p:t> "2020-01-01T00:00:00.000+00:00"^^<{_XSD}dateTime> .
<urn:s:1> <urn:p:t> "2020-1-1"^^<{_XSD}date> .
<urn:s:1> <urn:p:t> "2021-03-04Z"^^<{_XSD}date> .
<urn:s:1> <urn:p:b> "1"^^<{_XSD}boolean> .
<urn:s:1> <urn:p:b> "PT60M"^^<{_XSD}duration> .
<urn:s:1> <urn:p:b> "0042"^^<urn:datalab:datatype:{_XSD}nonNegativeInteger> .
<urn:s:2> <urn:p:title> "Zebra"@en .
<urn:s:2> <urn:p:title> "Aardvark"@EN .
<urn:s:2> <urn:p:title> "Zebra"@en .
<urn:s:2> <urn:p:title> "Zebra" .
<urn:s:2> <urn:p:title> "Zebra"^^<{_XSD}string> .
<urn:s:2> <urn:p:link> <urn:s:1> .
<urn:s:2> <urn:p:link> <urn:s:1> .
<urn:s:3> <urn:p:z> "x" .
<urn:s:3> <urn:p:a> "y" .
"""


def _stored(data: bytes) -> OxigraphStore:
    store = OxigraphStore(None)
    store.load_ntriples_chunk(_G, data)
    return store


def _same_as_the_store(data: bytes) -> ParsedGraph:
    """Parse ``data`` and compare it with a store holding it: by predicate (as a build
    reads it), and whole descriptions (as the policy closure reads them)."""
    parsed = ParsedGraph(data)
    store = _stored(data)
    predicates = {p for props in parsed.index.values() for p in props}
    assert predicates, "nothing parsed"
    read = read_predicates(SimpleNamespace(store=store), _G, predicates)  # type: ignore[arg-type]
    mine = parsed.predicates(predicates)
    assert mine.keys() == read.keys()
    for subject, props in read.items():
        assert list(mine[subject]) == list(props), subject  # predicates in the same order
        for predicate, objects in props.items():
            assert [str(o) for o in mine[subject][predicate]] == [str(o) for o in objects]
    subjects = sorted(parsed.index)
    assert sorted(map(str, parsed.subject_triples(_G, subjects))) == sorted(
        map(str, store.subject_triples(_G, subjects))
    )
    return parsed


def test_literals_come_back_canonical_and_each_triple_once() -> None:
    parsed = _same_as_the_store(_ODD.encode())
    numbers = [str(o) for o in parsed.index["urn:s:1"]["urn:p:n"]]
    assert numbers == [f'"1"^^<{_XSD}integer>', f'"7"^^<{_XSD}integer>']
    times = {o.value for o in parsed.index["urn:s:1"]["urn:p:t"]}
    assert times == {"2020-01-01T00:00:00Z", "2020-1-1", "2021-03-04Z"}  # invalid: as written
    titles = [str(o) for o in parsed.index["urn:s:2"]["urn:p:title"]]
    assert titles == ['"Aardvark"@en', '"Zebra"', '"Zebra"@en']
    assert len(parsed.index["urn:s:2"]["urn:p:link"]) == 1


def test_only_the_wanted_predicates_are_read() -> None:
    parsed = ParsedGraph(_ODD.encode())
    assert parsed.predicates({"urn:p:a", "urn:p:link"}) == {
        "urn:s:2": {"urn:p:link": [ox.NamedNode("urn:s:1")]},
        "urn:s:3": {"urn:p:a": [ox.Literal("y")]},
    }


def test_a_broken_copy_does_not_parse() -> None:
    with pytest.raises(SyntaxError):
        ParsedGraph(_ODD.encode()[:-30])


@pytest.mark.parametrize("rel", PARSABLE)
def test_corpus_files_parse_as_a_store_holds_them(rel: str) -> None:
    path = CORPUS / rel
    triples = ox.parse(path=str(path), format=guess_format(path.name), lenient=True)
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    _same_as_the_store(skolemise_ntriples(data))  # as a kept copy holds them
