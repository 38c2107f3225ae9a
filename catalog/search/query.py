"""Parse a user's query into an FTS5 expression and the terms snippets highlight.

Syntax: words (all must match, in any language, stemmed), ``"a phrase"``, ``prefix*``,
``-word`` to exclude. A word matches its folded form in titles, keywords, themes and
(public) descriptions, or any of its per-language stems. German, Dutch, Swedish and Danish
compounds the index does not know are split against the index vocabulary:
``Krankenhausdaten`` -> ``krankenhaus`` (a stem and a prefix) so it finds
``Krankenhäuser`` and ``Krankenhausaufenthalte``.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from catalog.errors import InvalidInput
from catalog.search.text import COMPOUNDING, STEMMERS, compound_splits, fold, stem, words

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


def _in_vocab(conn: sqlite3.Connection, token: str) -> bool:
    return conn.execute("SELECT 1 FROM vocab WHERE term = ?", (token,)).fetchone() is not None


def _prefix_in_vocab(conn: sqlite3.Connection, prefix: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM vocab WHERE term >= ? AND term < ? LIMIT 1", (prefix, prefix + "\uffff")
    ).fetchone()
    return row is not None


def _word_expr(conn: sqlite3.Connection, word: str, pq: ParsedQuery) -> str:
    folded = fold(word)
    pq.highlight_words.add(folded)
    alts = [f"{TEXT_COLS} : {_q(folded)}"]
    stems = sorted({f"{lang}_{stem(lang, word)}" for lang in STEMMERS})
    pq.highlight_stems.update(stems)
    alts += [f"stems : {_q(s)}" for s in stems]
    # a word the index holds as it is needs no splitting ("hospital" is no compound of
    # "hospi-"): splitting is for compounds no record spells out
    known = len(folded) < 8 or _in_vocab(conn, folded)
    for lang in () if known else COMPOUNDING:
        whole = f"{lang}_{stem(lang, word)}"
        if _in_vocab(conn, whole):
            continue
        for head, rest in compound_splits(word):
            head_stem = f"{lang}_{stem(lang, head)}"
            if _in_vocab(conn, head_stem) or (
                len(head) >= 5 and _prefix_in_vocab(conn, fold(head))
            ):
                alts.append(f"stems : {_q(head_stem)}")
                alts.append(f"{TEXT_COLS} : {_q(fold(head))} *")
                pq.highlight_stems.add(head_stem)
                pq.highlight_prefixes.add(fold(head))
                rest_stem = f"{lang}_{stem(lang, rest)}"
                if _in_vocab(conn, rest_stem):
                    pq.highlight_stems.add(rest_stem)
                break
    return "(" + " OR ".join(dict.fromkeys(alts)) + ")"


def parse(
    conn: sqlite3.Connection, q: str, *, max_chars: int, max_terms: int, min_prefix: int
) -> ParsedQuery:
    """Turn the user's query into a :class:`ParsedQuery`; bad input raises InvalidInput."""
    if len(q) > max_chars:
        raise InvalidInput(f"the query is longer than {max_chars} characters", where="q")
    pq = ParsedQuery(None)
    positive: list[str] = []
    negative: list[str] = []
    count = 0
    for m in _TOKEN.finditer(q):
        neg = bool(m.group(1) or m.group(3))
        if m.group(2) is not None:
            parts = [fold(w) for w in words(m.group(2))]
            if not parts:
                continue
            pq.highlight_words.update(parts)
            expr = f"{TEXT_COLS} : {_q(' '.join(parts))}"
        else:
            raw = m.group(4)
            prefix = raw.endswith("*")
            parts = words(raw)
            if not parts:
                continue
            if prefix:
                head = fold(parts[-1])
                if len(head) < min_prefix:
                    raise InvalidInput(
                        f"a prefix search needs at least {min_prefix} characters before '*'",
                        where="q",
                    )
                pq.highlight_prefixes.add(head)
                exprs = [_word_expr(conn, w, pq) for w in parts[:-1]]
                exprs.append(f"{TEXT_COLS} : {_q(head)} *")
                expr = " AND ".join(exprs)
            elif len(parts) > 1:  # "e-health", "ICD-10": the words next to each other
                pq.highlight_words.update(fold(p) for p in parts)
                expr = f"{TEXT_COLS} : {_q(' '.join(fold(p) for p in parts))}"
            else:
                expr = _word_expr(conn, parts[0], pq)
        count += 1
        if count > max_terms:
            raise InvalidInput(f"the query has more than {max_terms} terms", where="q")
        (negative if neg else positive).append(f"({expr})")
    if negative and not positive:
        raise InvalidInput("a query cannot only exclude words ('-word')", where="q")
    if positive:
        pq.expression = " AND ".join(positive)
        for expr in negative:
            pq.expression = f"({pq.expression}) NOT {expr}"
    return pq
