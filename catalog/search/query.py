"""Parse a user's query into an FTS5 expression and the terms snippets highlight.

Syntax: words (all must match, in any language, stemmed), ``"a phrase"``, ``prefix*``,
``-word`` to exclude. A word matches its folded form in titles, keywords, themes and
(public) descriptions, or any of its per-language stems, or (a word of four letters or
more) the start of a German, Dutch, Swedish or Danish word of a title or keyword:
``Klinik`` finds ``Klinikum``. German, Dutch, Swedish and Danish compounds the index does
not know are split against the index vocabulary:
``Krankenhausdaten`` -> ``krankenhaus`` (a stem and a prefix) so it finds
``Krankenhäuser`` and ``Krankenhausaufenthalte``.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Literal, Protocol

from catalog.errors import InvalidInput
from catalog.search.text import (
    COMPOUNDING,
    START_TAG,
    STEMMERS,
    compound_splits,
    fold,
    stem,
    word_starts,
    words,
)

TEXT_COLS = "{title kw body}"
_TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')


@dataclass
class ParsedQuery:
    """An FTS5 MATCH expression plus what a snippet should highlight."""

    expression: str | None
    highlight_words: set[str] = field(default_factory=set)
    highlight_prefixes: set[str] = field(default_factory=set)
    highlight_stems: set[str] = field(default_factory=set)


def _q(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class Vocabulary(Protocol):
    """The terms the text index holds, as query expansion asks for them: the terms of the
    live documents' text columns (``fts``), split as FTS5's ``unicode61`` splits them."""

    def has(self, term: str) -> bool:
        """Whether a live document holds ``term``."""
        ...

    def has_prefix(self, prefix: str) -> bool:
        """Whether a live document holds a term that starts with ``prefix``."""
        ...


#: The index vocabulary read one instance at a time (a temporary table of the connection;
#: the file is not changed). The ``row`` vocabulary (``vocab``) counts every document of a
#: term before it answers: 8-12 ms for a common term at 2M documents, against 0.02-1 ms
#: for its first instance, and a compound is looked up dozens of times.
_INSTANCES = "temp.vocab_instances"
_CREATE_INSTANCES = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {_INSTANCES} USING fts5vocab(main, fts, 'instance')"
)


class FtsVocabulary:
    """The :class:`Vocabulary` of an index file whose text is FTS5's (``search_text_engine =
    "fts5"``), read through ``conn``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def has(self, term: str) -> bool:
        return self._first_instance("term = ?", (term,))

    def has_prefix(self, prefix: str) -> bool:
        return self._first_instance("term >= ? AND term < ?", (prefix, prefix + "\uffff"))

    def _first_instance(self, where: str, args: tuple[str, ...]) -> bool:
        conn = self.conn
        sql = f"SELECT 1 FROM {_INSTANCES} WHERE {where} LIMIT 1"  # noqa: S608  # constant parts
        try:
            return conn.execute(sql, args).fetchone() is not None
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
        try:
            conn.execute(_CREATE_INSTANCES)  # once per connection
        except sqlite3.OperationalError:  # a read-only connection: the counting vocabulary
            plain = f"SELECT 1 FROM vocab WHERE {where} LIMIT 1"  # noqa: S608  # constant parts
            return conn.execute(plain, args).fetchone() is not None
        return conn.execute(sql, args).fetchone() is not None


def _word_expr(vocab: Vocabulary, word: str, pq: ParsedQuery) -> str:
    folded = fold(word)
    pq.highlight_words.add(folded)
    alts = [f"{TEXT_COLS} : {_q(folded)}"]
    stems = sorted({f"{lang}_{stem(lang, word)}" for lang in STEMMERS})
    pq.highlight_stems.update(stems)
    alts += [f"stems : {_q(s)}" for s in stems]
    # "Klinik" finds "Klinikum" (the start of a German word, looked up as one term; an
    # exact match ranks first, as the word's own column weighs more than ``stems``)
    starts = word_starts(word)
    alts += [f"stems : {_q(s)}" for s in starts]
    pq.highlight_prefixes.update(s.removeprefix(START_TAG) for s in starts)
    # a word the index holds as it is needs no splitting ("hospital" is no compound of
    # "hospi-"): splitting is for compounds no record spells out
    known = len(folded) < 8 or vocab.has(folded)
    for lang in () if known else COMPOUNDING:
        whole = f"{lang}_{stem(lang, word)}"
        if vocab.has(whole):
            continue
        for head, rest in compound_splits(word):
            head_stem = f"{lang}_{stem(lang, head)}"
            if vocab.has(head_stem) or (len(head) >= 5 and vocab.has_prefix(fold(head))):
                alts.append(f"stems : {_q(head_stem)}")
                alts.append(f"{TEXT_COLS} : {_q(fold(head))} *")
                pq.highlight_stems.add(head_stem)
                pq.highlight_prefixes.add(fold(head))
                rest_stem = f"{lang}_{stem(lang, rest)}"
                if vocab.has(rest_stem):
                    pq.highlight_stems.add(rest_stem)
                break
    return "(" + " OR ".join(dict.fromkeys(alts)) + ")"


@dataclass(frozen=True)
class Term:
    """One term of a query as the user wrote it.

    ``kind`` is ``phrase`` (``"a phrase"``: its words folded), ``prefix`` (``word*``: the
    words, the last one the prefix), ``adjacent`` (``e-health``, ``ICD-10``: words next to
    each other) or ``word``; ``negated`` for ``-term``."""

    kind: Literal["phrase", "prefix", "adjacent", "word"]
    words: tuple[str, ...]
    negated: bool = False


def parse_terms(q: str, *, max_chars: int, max_terms: int, min_prefix: int) -> tuple[Term, ...]:
    """The terms of the user's query (no index needed); bad input raises InvalidInput."""
    if len(q) > max_chars:
        raise InvalidInput(f"the query is longer than {max_chars} characters", where="q")
    terms: list[Term] = []
    for m in _TOKEN.finditer(q):
        neg = bool(m.group(1) or m.group(3))
        if m.group(2) is not None:
            parts = [fold(w) for w in words(m.group(2))]
            if not parts:
                continue
            term = Term("phrase", tuple(parts), neg)
        else:
            raw = m.group(4)
            parts = words(raw)
            if not parts:
                continue
            if raw.endswith("*"):
                if len(fold(parts[-1])) < min_prefix:
                    raise InvalidInput(
                        f"a prefix search needs at least {min_prefix} characters before '*'",
                        where="q",
                    )
                term = Term("prefix", tuple(parts), neg)
            elif len(parts) > 1:
                term = Term("adjacent", tuple(parts), neg)
            else:
                term = Term("word", (parts[0],), neg)
        terms.append(term)
        if len(terms) > max_terms:
            raise InvalidInput(f"the query has more than {max_terms} terms", where="q")
    if terms and all(t.negated for t in terms):
        raise InvalidInput("a query cannot only exclude words ('-word')", where="q")
    return tuple(terms)


def _term_expr(vocab: Vocabulary, term: Term, pq: ParsedQuery) -> str:
    if term.kind == "phrase":
        pq.highlight_words.update(term.words)
        return f"{TEXT_COLS} : {_q(' '.join(term.words))}"
    if term.kind == "prefix":
        head = fold(term.words[-1])
        pq.highlight_prefixes.add(head)
        exprs = [_word_expr(vocab, w, pq) for w in term.words[:-1]]
        exprs.append(f"{TEXT_COLS} : {_q(head)} *")
        return " AND ".join(exprs)
    if term.kind == "adjacent":
        folded = [fold(p) for p in term.words]
        pq.highlight_words.update(folded)
        return f"{TEXT_COLS} : {_q(' '.join(folded))}"
    return _word_expr(vocab, term.words[0], pq)


def expand(vocab: Vocabulary, terms: tuple[Term, ...]) -> ParsedQuery:
    """The FTS5 expression of parsed terms, with words split and stemmed against the
    index vocabulary ``vocab``, and what a snippet should highlight."""
    pq = ParsedQuery(None)
    positive: list[str] = []
    negative: list[str] = []
    for term in terms:
        expr = _term_expr(vocab, term, pq)
        (negative if term.negated else positive).append(f"({expr})")
    if positive:
        pq.expression = " AND ".join(positive)
        for expr in negative:
            pq.expression = f"({pq.expression}) NOT {expr}"
    return pq


def parse(
    vocab: Vocabulary, q: str, *, max_chars: int, max_terms: int, min_prefix: int
) -> ParsedQuery:
    """:func:`parse_terms` then :func:`expand`: the query text to a :class:`ParsedQuery`."""
    terms = parse_terms(q, max_chars=max_chars, max_terms=max_terms, min_prefix=min_prefix)
    return expand(vocab, terms)
