"""``split_records`` reads a page's triples as their N-Triples lines (issue 18): it must cut
every real corpus document into the same records as reading the terms does (the reading it
replaced, kept here as the oracle)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from catalog.harvest.rdf_listing import (
    DATASET_TYPES,
    HYDRA,
    IDENTIFIER,
    MODIFIED,
    NEXT_PREDICATES,
    RDF_TYPE,
    TOTAL_PREDICATES,
    _first_object,
    split_lines,
    split_records,
)
from catalog.ownership import OWNING_PROPERTIES, owned_closure, owns, owns_written
from catalog.skolem import GENID

FOLDERS = ("dcat-ap", "geodcat-ap", "healthdcat-ap", "dataspace-protocol", "stac", "odrl")
DCAT = "http://www.w3.org/ns/dcat#"


def _by_terms(triples: list[ox.Triple]) -> tuple[list[Any], list[Any], list[ox.Triple]]:
    """The term-reading split (records as (id, node, triples as a set, modified))."""
    hydra: set[Any] = set()
    typed: list[Any] = []
    rows = []
    for t in triples:
        s, p = t.subject, t.predicate.value
        if p == RDF_TYPE and not isinstance(t.object, ox.Triple):
            kind = t.object.value
            if kind.startswith(HYDRA):
                hydra.add(s)
            elif kind in DATASET_TYPES:
                typed.append(s)
        if not p.startswith(HYDRA):
            rows.append((s, p, t))
    rows = [r for r in rows if r[0] not in hydra]
    by_subject: dict[Any, list[tuple[str, ox.Triple]]] = {}
    for s, p, t in rows:
        by_subject.setdefault(s, []).append((p, t))

    def first(node: Any, predicate: str) -> str | None:
        for p, t in by_subject[node]:
            if p == predicate and not isinstance(t.object, ox.Triple):
                return str(t.object.value)
        return None

    def links(s: Any) -> Iterable[tuple[str, object, Any]]:
        for p, t in by_subject.get(s, ()):
            yield p, t.object, t.object

    used: set[Any] = set()
    records, failures = [], []
    for node in dict.fromkeys(typed):
        if node in hydra:
            continue
        owned = set(owned_closure(node, links, stop=lambda o: o not in by_subject))
        used |= owned
        ident, modified = first(node, IDENTIFIER), first(node, MODIFIED)
        record_id = node.value if isinstance(node, ox.NamedNode) else ident
        if not record_id:
            failures.append("(blank node)")
            continue
        own = {str(t) for s in owned for _, t in by_subject.get(s, ())}
        records.append((record_id, node, own, modified))
    return records, failures, [t for s, _, t in rows if s not in used]


def _by_lines(triples: list[ox.Triple]) -> tuple[list[Any], list[Any], list[ox.Triple]]:
    """``split_records`` of the triples, after checking that ``split_lines`` of the lines
    pyoxigraph's serialiser writes (what a harvest reads a page as) cuts them alike."""
    records, failures, extra = split_records(triples)
    got = [(r.record_id, r.iri, {str(t) for t in r.triples}, r.modified) for r in records]
    assert all(r.lines == [str(t) for t in r.triples] for r in records)
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
    lines = text[:-3].split(" .\n") if text else []
    assert lines == [str(t) for t in triples]
    by_text = split_lines(lines)
    assert [
        (r.record_id, r.iri, {str(t) for t in r.triples}, r.modified) for r in by_text[0]
    ] == got
    assert [r.lines for r in by_text[0]] == [r.lines for r in records]
    assert by_text[1] == failures and by_text[2] == extra
    return got, [f.record_id for f in failures], extra


def _documents(corpus: Path) -> list[Path]:
    return sorted(
        path
        for folder in FOLDERS
        for path in (corpus / folder).rglob("*")
        if path.suffix in {".ttl", ".rdf", ".nt", ".jsonld"}
    )


def test_corpus_documents_split_alike(corpus: Path) -> None:
    split = 0
    for path in _documents(corpus):
        try:
            triples = [q.triple for q in ox.parse(path=path, rename_blank_nodes=True)]
        except (SyntaxError, ValueError, OSError):
            continue  # JSON-LD with remote contexts, deliberately broken examples
        expected = _by_terms(triples)
        assert _by_lines(triples) == expected, path
        split += len(expected[0])
    assert split > 50  # the corpus holds many datasets; the comparison is not vacuous


def test_edge_cases_split_alike() -> None:
    ds, page = ox.NamedNode("https://x.example/ds/1"), ox.NamedNode("https://x.example/p?1")
    blank, typed_blank = ox.BlankNode("b1"), ox.BlankNode("b2")
    rdf_type = ox.NamedNode(RDF_TYPE)

    def t(s: Any, p: str, o: Any) -> ox.Triple:
        return ox.Triple(s, ox.NamedNode(p), o)

    triples = [
        t(ds, RDF_TYPE, ox.NamedNode(DCAT + "Dataset")),
        t(ds, RDF_TYPE, ox.NamedNode(DCAT + "Dataset")),  # a dataset typed twice
        t(ds, IDENTIFIER, ox.Literal('id "with" quotes and spaces')),
        t(ds, IDENTIFIER, ox.Literal("a second, later identifier")),
        t(ds, MODIFIED, ox.Literal("2024-01-01", datatype=ox.NamedNode(RDF_TYPE))),
        t(ds, DCAT + "distribution", ox.NamedNode("https://x.example/dist/1")),
        t(ox.NamedNode("https://x.example/dist/1"), DCAT + "accessURL", ds),
        t(ds, "http://purl.org/dc/terms/publisher", ox.NamedNode("https://x.example/org")),
        t(ox.NamedNode("https://x.example/org"), "http://xmlns.com/foaf/0.1/name", blank),
        t(ds, "http://purl.org/dc/terms/spatial", blank),
        t(blank, "http://www.w3.org/ns/locn#geometry", ox.Literal("POINT (1 2)")),
        t(ds, "urn:x:link", ox.NamedNode("urn:datalab:genid:abc")),
        t(ox.NamedNode("urn:datalab:genid:abc"), "urn:x:p", ox.Literal("skolem, owned")),
        t(ds, "urn:x:said", ox.Triple(ds, rdf_type, ox.NamedNode(DCAT + "Dataset"))),
        t(typed_blank, RDF_TYPE, ox.NamedNode(DCAT + "DatasetSeries")),
        t(typed_blank, IDENTIFIER, ox.Literal("series-1 é", language="fr")),
        t(typed_blank, MODIFIED, ox.Literal("back\\slash\nnewline")),
        t(ox.BlankNode("b3"), RDF_TYPE, ox.NamedNode(DCAT + "Dataset")),  # no identity
        t(ox.BlankNode("b4"), RDF_TYPE, ox.Literal(HYDRA + "Collection")),  # a literal type
        t(ox.BlankNode("b4"), "urn:x:p", ox.Literal("dropped with its hydra node")),
        t(page, RDF_TYPE, ox.NamedNode(HYDRA + "PartialCollectionView")),
        t(page, HYDRA + "next", ox.NamedNode("https://x.example/p?2")),
        t(ox.NamedNode("https://x.example/other"), "urn:x:p", ox.Literal("extra")),
    ]
    expected = _by_terms(triples)
    assert len(expected[0]) == 2 and expected[1] == ["(blank node)"] and expected[2]
    assert _by_lines(triples) == expected


@pytest.mark.parametrize("n", [1, 3])
def test_many_datasets_on_a_page_split_alike(n: int) -> None:
    triples = []
    for i in range(n):
        d, dist = ox.NamedNode(f"https://x.example/d/{i}"), ox.BlankNode(f"dist{i}")
        triples += [
            ox.Triple(d, ox.NamedNode(RDF_TYPE), ox.NamedNode(DCAT + "Dataset")),
            ox.Triple(d, ox.NamedNode(DCAT + "distribution"), dist),
            ox.Triple(dist, ox.NamedNode(DCAT + "accessURL"), ox.NamedNode(f"https://f/{i}")),
        ]
    assert _by_lines(triples) == _by_terms(triples)


def test_the_written_rule_is_the_rule_on_terms() -> None:
    """:func:`owns_written` decides as :func:`owns` does, for every kind of object."""
    objects: list[Any] = [
        ox.NamedNode("https://ex.org/dist"),
        ox.NamedNode(GENID + "b0"),
        ox.BlankNode("b1"),
        ox.Literal("text", language="en"),
        ox.Literal("<https://ex.org/not-an-iri>"),
        ox.Literal("_:not-a-blank-node"),
        ox.Triple(
            ox.NamedNode("https://ex.org/s"),
            ox.NamedNode("https://ex.org/p"),
            ox.NamedNode("https://ex.org/o"),
        ),
    ]
    for predicate in (*sorted(OWNING_PROPERTIES), "http://purl.org/dc/terms/publisher"):
        for obj in objects:
            # as a page's statement reads: its N-Triples line cut at its first two spaces
            line = str(ox.Triple(ox.NamedNode("https://ex.org/x"), ox.NamedNode(predicate), obj))
            written = line.split(" ", 2)[2]
            assert owns_written(f"<{predicate}>", written) == owns(predicate, obj), (
                predicate,
                written,
            )


def _first_object_plainly(lines: list[str], predicates: set[str]) -> str | None:
    """The first statement with one of ``predicates``, every line split."""
    written = {f"<{p}>" for p in predicates}
    for line in lines:
        _s, p, o = line.split(" ", 2)
        if p in written:
            return o
    return None


def test_paging_links_are_read_as_splitting_every_line_reads_them() -> None:
    hydra = "http://www.w3.org/ns/hydra/core#"
    view = "<https://p.example/catalog?page=2>"
    lines = [
        # a literal that holds the text of a paging statement comes first
        f'<https://p.example/ds/1> <http://purl.org/dc/terms/description> "see '
        f'{view} <{hydra}next> <https://evil.example/> ."',
        f'<https://p.example/ds/1> <http://purl.org/dc/terms/title> "<{hydra}totalItems> 7"',
        f"{view} <{hydra}nextPage> <https://p.example/catalog?page=4>",
        f'{view} <{hydra}totalItems> "300"^^<http://www.w3.org/2001/XMLSchema#integer>',
        f"{view} <{hydra}next> <https://p.example/catalog?page=3>",
    ]
    for predicates in (NEXT_PREDICATES, TOTAL_PREDICATES, {hydra + "next"}, {"urn:none"}):
        for shown in (lines, lines[::-1], lines[:2], []):
            assert _first_object(shown, predicates) == _first_object_plainly(shown, predicates)
    assert _first_object(lines, NEXT_PREDICATES) == "<https://p.example/catalog?page=4>"
    assert _first_object(lines[:2], NEXT_PREDICATES) is None
    # many literals repeating the text before the statement (one pass, not one per repeat)
    many = [lines[0]] * 5000 + lines[2:]
    assert _first_object(many, NEXT_PREDICATES) == "<https://p.example/catalog?page=4>"
    # a line holding a line break (not canonical) is read line by line
    odd = [lines[1].replace(" 7", "\n7"), *lines[2:]]
    for predicates in (NEXT_PREDICATES, TOTAL_PREDICATES):
        assert _first_object(odd, predicates) == _first_object_plainly(odd, predicates)
