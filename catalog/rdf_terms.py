"""Two ways of writing RDF terms and statements, for a mapping written once over either.

:class:`OxTerms` builds pyoxigraph objects (``ox.NamedNode``, ``ox.Literal``,
``ox.Triple``); :class:`TextTerms` writes the same terms as canonical N-Triples text, the
very text ``str`` of the pyoxigraph object gives, without building the object. A triple
whose object is a literal costs pyoxigraph some 1.4 µs to build (issue 18); its line costs
a fraction of that. Both refuse what pyoxigraph refuses, with a ``ValueError``: an invalid
IRI, language tag or datatype, and text holding a lone surrogate (which is no UTF-8).

What is checked by pyoxigraph itself in :class:`TextTerms`: every IRI (an ``ox.NamedNode``
is built to check it, and dropped), and each distinct language tag and datatype, whose
written suffix (``@en-gb``, ``^^<…>``, or nothing for ``xsd:string``) is pyoxigraph's own,
remembered. Only the escaping of a literal's text is this module's: the characters
pyoxigraph escapes are listed in :data:`ESCAPES`, and a test compares every code point.
"""

from __future__ import annotations

import itertools
import re
import secrets
from typing import Any, Protocol

import pyoxigraph as ox

#: The characters pyoxigraph 0.5 escapes in a literal's text, and how (every other code
#: point, lone surrogates apart, is written as it is).
ESCAPES: dict[int, str] = {
    **{c: f"\\u{c:04X}" for c in range(0x20)},
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
    0x7F: "\\u007F",
    0xFFFE: "\\uFFFE",
    0xFFFF: "\\uFFFF",
}
_SPECIAL = re.compile('[\x00-\x1f"\\\\\x7f\ufffe\uffff\ud800-\udfff]')
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Distinct language tags and datatypes remembered (their written suffixes); past it a
#: hostile source's endless variety is checked each time instead of filling memory.
SUFFIXES_KEPT = 4096


class Terms(Protocol):
    """What a mapping writes terms and statements with (``Any``: the two kinds differ)."""

    def iri(self, value: str) -> Any:
        """An IRI; ``ValueError`` when ``value`` is not one."""
        ...

    def vocab(self, value: str) -> Any:
        """A known-good vocabulary IRI (a class or predicate), remembered."""
        ...

    def literal(self, text: str) -> Any:
        """A plain (``xsd:string``) literal."""
        ...

    def typed(self, text: str, datatype: str) -> Any:
        """A literal of ``datatype``; ``ValueError`` when that is not an IRI."""
        ...

    def lang(self, text: str, tag: str) -> Any:
        """A language-tagged literal; ``ValueError`` when ``tag`` is not a language tag."""
        ...

    def blank(self) -> Any:
        """A new blank node."""
        ...

    def triple(self, s: Any, p: str, o: Any) -> Any:
        """The statement ``s p o`` (``p`` an IRI as text, a vocabulary term)."""
        ...


class OxTerms:
    """Terms as pyoxigraph objects; statements as ``ox.Triple``."""

    def __init__(self) -> None:
        self._vocab: dict[str, ox.NamedNode] = {}

    def iri(self, value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    def vocab(self, value: str) -> ox.NamedNode:
        node = self._vocab.get(value)
        if node is None:
            node = self._vocab[value] = ox.NamedNode(value)
        return node

    def literal(self, text: str) -> ox.Literal:
        return ox.Literal(text)

    def typed(self, text: str, datatype: str) -> ox.Literal:
        # a datatype may come from the source: checked each time, never remembered
        return ox.Literal(text, datatype=self._vocab.get(datatype) or ox.NamedNode(datatype))

    def lang(self, text: str, tag: str) -> ox.Literal:
        return ox.Literal(text, language=tag)

    def blank(self) -> ox.BlankNode:
        return ox.BlankNode()

    def triple(self, s: Any, p: str, o: Any) -> ox.Triple:
        return ox.Triple(s, self.vocab(p), o)


def quoted(text: str) -> str:
    """``text`` as pyoxigraph writes a literal's lexical form: quoted, escaped."""
    if _SPECIAL.search(text) is None:
        return f'"{text}"'
    if _SURROGATE.search(text) is not None:
        raise ValueError("a literal's text holds a lone surrogate, which is not Unicode text")
    return '"' + text.translate(ESCAPES) + '"'


def _suffix(cache: dict[str, str], key: str, make: Any) -> str:
    """The written suffix pyoxigraph gives a literal for ``key`` (a tag or datatype)."""
    found = cache.get(key)
    if found is None:
        found = str(make())[2:]  # after the empty lexical form's two quotes
        if len(cache) < SUFFIXES_KEPT:
            cache[key] = found
    return found


class TextTerms:
    """Terms and statements as canonical N-Triples text (a statement without its ``" ."``).

    Blank nodes are labelled by a random 64-bit prefix per writer and a counter: unique in
    a writer, and across writers (and processes) as unlikely to meet as pyoxigraph's own
    random labels. Their labels, like pyoxigraph's, carry no meaning (record hashes ignore
    them; the store replaces them with skolem IRIs).
    """

    def __init__(self) -> None:
        self._vocab: dict[str, str] = {}
        self._tags: dict[str, str] = {}
        self._types: dict[str, str] = {}
        self._prefix = "_:" + secrets.token_hex(8)
        self._count = itertools.count()

    def iri(self, value: str) -> str:
        ox.NamedNode(value)  # checks it: the same refusals as the object path
        return f"<{value}>"

    def vocab(self, value: str) -> str:
        text = self._vocab.get(value)
        if text is None:
            text = self._vocab[value] = str(ox.NamedNode(value))
        return text

    def literal(self, text: str) -> str:
        return quoted(text)

    def typed(self, text: str, datatype: str) -> str:
        suffix = _suffix(
            self._types, datatype, lambda: ox.Literal("", datatype=ox.NamedNode(datatype))
        )
        return quoted(text) + suffix

    def lang(self, text: str, tag: str) -> str:
        suffix = _suffix(self._tags, tag, lambda: ox.Literal("", language=tag))
        return quoted(text) + suffix

    def blank(self) -> str:
        return f"{self._prefix}{next(self._count):016x}"

    def triple(self, s: Any, p: str, o: Any) -> str:
        return f"{s} {self.vocab(p)} {o}"


def parse_lines(lines: list[str]) -> list[ox.Triple]:
    """The triples of canonical N-Triples statements (lines without their ``" ."``), blank
    node labels kept."""
    if not lines:
        return []
    text = " .\n".join(lines) + " .\n"
    return [q.triple for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]
