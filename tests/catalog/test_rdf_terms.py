"""The N-Triples text :class:`TextTerms` writes is pyoxigraph's own, term by term (issue 18):
every code point of a literal, language tags, datatypes, hostile IRIs; and it refuses what
pyoxigraph refuses. A harvest's chunks are bulk-loaded ``lenient`` (no re-validation), so a
wrongly escaped line could smuggle a statement into the store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
import pytest

from catalog import rdf_terms
from catalog.rdf_terms import OxTerms, TextTerms, parse_lines, quoted

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SURROGATES = range(0xD800, 0xE000)


def _same(text: Callable[..., str], obj: Callable[..., Any], *args: str) -> None:
    """Both written alike, or both refused with a ValueError."""
    try:
        expected = str(obj(*args))
    except ValueError:
        with pytest.raises(ValueError):
            text(*args)
        return
    assert text(*args) == expected


def _typed(text: str, datatype: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(datatype))


def _tagged(text: str, tag: str) -> ox.Literal:
    return ox.Literal(text, language=tag)


def test_every_code_point_is_escaped_as_pyoxigraph_escapes_it() -> None:
    points = [chr(c) for c in range(sys.maxunicode + 1) if c not in SURROGATES]
    mismatched = [
        c
        for c in points
        if quoted(c) != str(ox.Literal(c)) or quoted(f"a{c}b") != f"{ox.Literal(f'a{c}b')}"
    ]
    assert mismatched == []
    whole = "".join(points)  # one literal of every code point, and a line of its own
    assert quoted(whole) == str(ox.Literal(whole))
    assert "\n" not in quoted(whole) and "\r" not in quoted(whole)


@pytest.mark.parametrize(
    "text",
    [
        'He said "no"',
        "back\\slash \\n not a newline",
        "line one\nline two\r\n",
        "tab\tand \x00 nul, \x1f unit, \x7f del",
        "é 中文 emoji 🙂 \u200b zero width, \ufffe \uffff non-characters",
        '" . <http://evil> <http://p> "injected',
        "",
    ],
)
def test_literals_plain_typed_and_tagged(text: str) -> None:
    t = TextTerms()
    _same(t.literal, ox.Literal, text)
    for dt in (XSD + "string", XSD + "date", RDF + "langString", "urn:x:type", "http://a/b c"):
        _same(t.typed, _typed, text, dt)
    for tag in ("en", "EN-GB", "de-CH-1996", "zh-Hant-TW", "x-private", "en us", "", "123", "é"):
        _same(t.lang, _tagged, text, tag)


@pytest.mark.parametrize("bad", ["\ud800", "a\udfffb"])
def test_lone_surrogates_are_refused_like_pyoxigraph(bad: str) -> None:
    t = TextTerms()
    cases: list[tuple[Callable[..., Any], Callable[..., Any], tuple[str, ...]]] = [
        (t.literal, ox.Literal, (bad,)),
        (t.lang, _tagged, (bad, "en")),
        (t.lang, _tagged, ("x", bad)),
        (t.typed, _typed, (bad, XSD + "date")),
        (t.iri, ox.NamedNode, ("http://a/" + bad,)),
    ]
    for write, obj, args in cases:
        with pytest.raises(ValueError):
            obj(*args)
        with pytest.raises(ValueError):
            write(*args)


@pytest.mark.parametrize(
    "value",
    [
        "http://example.org/a",
        "http://a b",
        "http://a/>",
        'http://a/"',
        "http://a/\n",
        "http://a/\x00",
        "http://a> <http://b",
        "http://a/{x}",
        "http://a/\\",
        "http://a/%zz",
        "http://a/%C3%A9",
        "http://a/é",
        "http://[::1]/",
        "urn:x:y",
        "mailto:someone@example.org",
        "not an iri",
        "",
    ],
)
def test_iris_are_checked_by_pyoxigraph(value: str) -> None:
    _same(TextTerms().iri, ox.NamedNode, value)


def test_statements_read_back_as_the_same_triples() -> None:
    t, o = TextTerms(), OxTerms()
    s_text, s_obj = t.blank(), None
    lines = [
        t.triple(t.iri("http://a/s"), "http://p/title", t.lang('x "y"\n', "FR")),
        t.triple(t.iri("http://a/s"), "http://p/dist", s_text),
        t.triple(s_text, "http://p/size", t.typed("12", XSD + "nonNegativeInteger")),
    ]
    triples = parse_lines(lines)
    assert [str(x) for x in triples] == lines
    s_obj = triples[2].subject
    assert isinstance(s_obj, ox.BlankNode) and f"_:{s_obj.value}" == s_text  # label kept
    assert str(o.triple(o.iri("http://a/s"), "http://p/title", o.lang('x "y"\n', "FR"))) == lines[0]
    assert parse_lines([]) == []
    said = ox.Triple(ox.NamedNode("http://a/s"), ox.NamedNode("http://p/said"), triples[2])
    assert [str(x) for x in parse_lines([str(said)])] == [str(said)]  # a triple term


def test_blank_labels_are_unique_across_writers() -> None:
    labels = {w.blank() for w in (TextTerms(), TextTerms()) for _ in range(1000)}
    assert len(labels) == 2000
    assert all(ox.BlankNode(label[2:]) for label in labels)  # valid labels


def test_remembered_suffixes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdf_terms, "SUFFIXES_KEPT", 10)
    t = TextTerms()
    for i in range(50):  # a source with endless languages and datatypes
        assert t.lang("v", f"x-t{i}") == str(ox.Literal("v", language=f"x-t{i}"))
        assert t.typed("v", f"urn:t:{i}") == str(
            ox.Literal("v", datatype=ox.NamedNode(f"urn:t:{i}"))
        )
    assert len(t._tags) == len(t._types) == 10
