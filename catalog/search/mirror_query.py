"""FTS5 expressions and search filters as Tantivy queries over the mirror.

A query is the FTS5 expression :func:`catalog.search.query.parse` produced, translated term
for term (:class:`Translator`); FTS5's BM25 column weights become per-field boosts. Facet
filters, a date range and a bounding box are clauses that score nothing
(:func:`mirror_query`), so a filtered query ranks its matches as the bare one does.
"""

from __future__ import annotations

import re

import tantivy

from catalog.errors import SearchIndexError
from catalog.search.counted import column_value
from catalog.search.mirror_layout import BOOST, CELLS, UNPOSITIONED, query_cells, tokens

_LEX = re.compile(r'\s*(\(|\)|\{[^}]*\}|"(?:[^"]|"")*"|\*|:|AND\b|OR\b|NOT\b|[\w]+)')


def combined(parts: list[tantivy.Query], occur: tantivy.Occur) -> tantivy.Query:
    """One query for ``parts`` joined by ``occur`` (a single part stays as it is)."""
    if len(parts) == 1:
        return parts[0]
    return tantivy.Query.boolean_query([(occur, part) for part in parts])


def mirror_query(
    schema: tantivy.Schema,
    expression: str,
    filters: dict[str, list[str]] | None = None,
    days: tuple[int, int] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> tantivy.Query:
    """The Tantivy query of an FTS5 ``expression`` (empty: every document), AND-ed with
    facet filters (values of one facet OR-ed), a ``day`` range
    (:func:`~catalog.search.mirror_layout.day_bounds`) and a bounding box the document's
    box must intersect; the filters do not change the scores."""
    query = Translator(schema, expression).parse() if expression else tantivy.Query.all_query()
    clauses = [(tantivy.Occur.Must, query)]
    if days is not None:
        within = tantivy.Query.range_query(
            schema, "day", tantivy.FieldType.Integer, days[0], days[1]
        )
        clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(within, 0.0)))
    if bbox is not None:
        cells = query_cells(bbox)
        if cells is not None:  # the few boxes near it lead; the ranges then check each
            near = [tantivy.Query.term_query(schema, CELLS, c) for c in cells]
            touching = combined(near, tantivy.Occur.Should)
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(touching, 0.0)))
        west, south, east, north = bbox
        for name, low, high in (
            ("minx", None, east),
            ("maxx", west, None),
            ("miny", None, north),
            ("maxy", south, None),
        ):
            side = tantivy.Query.range_query(schema, name, tantivy.FieldType.Float, low, high)
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(side, 0.0)))
    for name, values in sorted((filters or {}).items()):
        terms = [
            tantivy.Query.term_query(schema, *column_value(name, v))
            for v in dict.fromkeys(values)
            if v
        ]
        if terms:
            # term queries, not a term set: a set reads every posting of its terms up
            # front (a million for a common licence), term scorers skip to the matches
            either = combined(terms, tantivy.Occur.Should)
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(either, 0.0)))
    if len(clauses) == 1:
        return query
    return tantivy.Query.boolean_query(clauses)


class Translator:
    """FTS5 expression (the subset ``query.parse`` writes) -> Tantivy query.

    A disjunction is kept as one flat list of its parts however the expression nests it
    (``(a OR (b OR c))``, a word over several columns): a boolean query whose clauses are
    all term queries lets Tantivy's top-k skip blocks of postings that cannot enter the
    page (block-max WAND), which a union nested in a union does not — half the time of a
    common word's first page at two million datasets (``bench/text_engine_bench.py``)."""

    def __init__(self, schema: tantivy.Schema, expression: str) -> None:
        self.schema = schema
        self.toks = [t for t in _LEX.findall(expression) if t]
        self.i = 0

    def _peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _next(self) -> str:
        tok = self._peek()
        if tok is None:
            raise SearchIndexError("unexpected end of a search expression")
        self.i += 1
        return tok

    def parse(self) -> tantivy.Query:
        q = self._not()
        if self._peek() is not None:
            raise SearchIndexError(f"unexpected {self._peek()!r} in a search expression")
        return combined(q, tantivy.Occur.Should)

    # each level returns the parts of a disjunction (one part: no disjunction)
    def _not(self) -> list[tantivy.Query]:
        q = self._and()
        while self._peek() == "NOT":
            self.i += 1
            q = [
                tantivy.Query.boolean_query(
                    [
                        (tantivy.Occur.Must, combined(q, tantivy.Occur.Should)),
                        (tantivy.Occur.MustNot, combined(self._and(), tantivy.Occur.Should)),
                    ]
                )
            ]
        return q

    def _and(self) -> list[tantivy.Query]:
        parts = [self._or()]
        while self._peek() == "AND":
            self.i += 1
            parts.append(self._or())
        if len(parts) == 1:
            return parts[0]
        either = [combined(p, tantivy.Occur.Should) for p in parts]
        return [combined(either, tantivy.Occur.Must)]

    def _or(self) -> list[tantivy.Query]:
        parts = self._atom()
        while self._peek() == "OR":
            self.i += 1
            parts = parts + self._atom()
        return parts

    def _atom(self) -> list[tantivy.Query]:
        tok = self._next()
        if tok == "(":
            q = self._not()
            if self._next() != ")":
                raise SearchIndexError("unbalanced parentheses in a search expression")
            return q
        fields = tok.strip("{}").split() if tok.startswith("{") else [tok]
        if self._next() != ":":
            raise SearchIndexError("expected ':' in a search expression")
        phrase = self._next()
        if not phrase.startswith('"'):
            raise SearchIndexError("expected a quoted phrase in a search expression")
        terms = tokens(phrase[1:-1].replace('""', '"')).split()
        prefix = self._peek() == "*"
        if prefix:
            self.i += 1
        return [self._field_query(f, terms, prefix) for f in fields]

    def _field_query(self, name: str, terms: list[str], prefix: bool) -> tantivy.Query:
        if name not in BOOST:
            raise SearchIndexError(f"unknown search column {name!r}")
        if not terms:
            return tantivy.Query.empty_query()
        if len(terms) > 1 and name in UNPOSITIONED:
            raise SearchIndexError(f"a phrase in the search column {name!r}, which holds tokens")
        if prefix and len(terms) == 1:
            q = tantivy.Query.regex_query(self.schema, name, re.escape(terms[0]) + ".*")
        elif prefix:
            q = tantivy.Query.phrase_prefix_query(self.schema, name, _phrase(terms))
        elif len(terms) == 1:
            q = tantivy.Query.term_query(self.schema, name, terms[0])
        else:
            q = tantivy.Query.phrase_query(self.schema, name, _phrase(terms))
        return tantivy.Query.boost_query(q, BOOST[name])


def _phrase(terms: list[str]) -> list[str | tuple[int, str]]:
    """A phrase's words as tantivy takes them (each word may also carry its position)."""
    return list(terms)
