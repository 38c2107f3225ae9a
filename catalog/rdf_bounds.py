"""Bounds applied while an untrusted RDF document is read: nesting, list length, position.

* **Nesting** is measured on the text, before the parser builds anything: ``[`` and ``(``
  in Turtle and TriG (outside strings, IRIs and comments), elements in RDF/XML (JSON-LD
  nesting is checked on the decoded JSON by :mod:`catalog.rdf_input`). pyoxigraph parses
  deep nesting without recursion, but keeps one frame per open level, and every consumer
  downstream (SHACL, rdflib) would meet the same depth.
* **List length** is counted on the triples as the parser yields them: ``rdf:rest``
  chains are joined into segments, in any order, so memory holds only the open segments.
* **Position**: the parser reads through :class:`PositionReader`, a few hundred bytes at a
  time, so an error can name the line the parser had reached.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.parsers import expat

import pyoxigraph as ox

from catalog.errors import LimitExceeded

if TYPE_CHECKING:
    from catalog.settings import Settings

RDF_REST = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#rest")
#: Bytes handed to the parser per read: the precision of a reported position.
READ_PIECE = 512


@dataclass(frozen=True)
class ParseLimits:
    """Caps applied to one document."""

    max_bytes: int = 50 * 1024 * 1024
    max_triples: int = 1_000_000
    max_literal_bytes: int = 1024 * 1024
    max_nesting: int = 128
    max_list_items: int = 10_000

    @classmethod
    def from_settings(cls, settings: Settings) -> ParseLimits:
        """The caps the catalogue's settings configure."""
        return cls(
            max_bytes=settings.max_document_bytes,
            max_triples=settings.max_triples,
            max_literal_bytes=settings.max_literal_bytes,
            max_nesting=settings.max_nesting,
            max_list_items=settings.max_rdf_list_items,
        )


def position(data: bytes, offset: int) -> str:
    """``line L, column C`` of byte ``offset`` of ``data`` (both counted from 1)."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


class PositionReader(io.RawIOBase):
    """Feeds ``data`` to a parser :data:`READ_PIECE` bytes at a time and knows how far
    the parser has read, so a cap broken at the current triple can be located.

    The parser reads only once it has used up what it was given, so the triple it has just
    yielded ends between the start of the last piece read and the end of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = memoryview(data)
        self._raw = data
        self.offset = 0
        self._before = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), READ_PIECE, len(self._data) - self.offset)
        buffer[:n] = self._data[self.offset : self.offset + n]
        self._before = self.offset
        self.offset += n
        return n

    def where(self) -> str:
        """The line (or the few lines) where the current triple ends."""
        first = self._raw.count(b"\n", 0, self._before) + 1
        last = first + self._raw.count(b"\n", self._before, max(self._before, self.offset - 1))
        if first == last:
            return position(self._raw, max(0, self.offset - 1))
        return f"lines {first}-{last}"


class ListTracker:
    """Measures ``rdf:rest`` chains as the triples stream by and refuses long lists.

    Each chain seen so far is a segment keyed by both ends; a link joins the segment ending
    at its subject to the one starting at its object, whatever the order of the links. A
    segment ending in a non-blank term (``rdf:nil``) is complete and forgotten.
    """

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._by_start: dict[str, tuple[str, int]] = {}
        self._by_end: dict[str, tuple[str, int]] = {}

    def link(self, cell: str, rest: str | None, where: Callable[[], str]) -> None:
        """Record ``cell rdf:rest rest`` (``rest`` None: a non-blank end such as rdf:nil);
        ``where`` tells, if the list is refused, where it was."""
        start, left = self._by_end.pop(cell, (cell, 1))
        self._by_start.pop(start, None)
        if rest is None:
            return  # the list ends here
        if rest == start:
            return  # a cycle: the segment closes on itself and grows no more
        end, right = self._by_start.pop(rest, (rest, 1))
        self._by_end.pop(end, None)
        items = left + right
        if items > self.max_items:
            raise LimitExceeded(
                f"an RDF list (rdf:rest chain) longer than {self.max_items} items",
                where=where(),
                details={"limit": "max_rdf_list_items", "cap": self.max_items},
            )
        self._by_start[start] = (end, items)
        self._by_end[end] = (start, items)


# -- nesting -------------------------------------------------------------------------------

# Everything in Turtle that may hold a bracket which is not syntax: strings (four kinds),
# IRIs, comments and backslash escapes in local names; plus runs of other bytes.
_TURTLE_SKIP = (  # possessive: nothing here needs to backtrack
    rb"[^\[\]()\"'<#\\]++"
    rb'|"""(?:[^"\\]++|\\.|"(?!""))*+"""'
    rb"|'''(?:[^'\\]++|\\.|'(?!''))*+'''"
    rb'|"(?:[^"\\\r\n]++|\\.)*+"'
    rb"|'(?:[^'\\\r\n]++|\\.)*+'"
    rb"|<[^<>\"{}|^`\\\x00-\x20]*+>"
    rb"|\#[^\r\n]*+"
    rb"|\\."
)
# Everything between two brackets, in one match (possessive: no backtracking, no stack).
_TURTLE_GAP = re.compile(rb"(?:" + _TURTLE_SKIP + rb")++", re.DOTALL)
_OPEN, _CLOSE = frozenset(b"[("), frozenset(b"])")


def check_turtle_nesting(data: bytes, max_depth: int) -> None:
    """Refuse Turtle or TriG whose ``[ … ]`` and ``( … )`` nest deeper than ``max_depth``.

    One regular-expression match per bracket skips everything between brackets, so the
    scan costs a Python step per bracket only and keeps nothing."""
    if data.count(b"[") + data.count(b"(") <= max_depth:
        return  # not enough brackets to go that deep
    depth, pos, size, gap = 0, 0, len(data), _TURTLE_GAP.match
    while pos < size:
        skipped = gap(data, pos)
        if skipped is not None:
            pos = skipped.end()
            if pos >= size:
                return
        byte = data[pos]
        if byte in _OPEN:
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth, position(data, pos))
        elif byte in _CLOSE:
            depth -= 1
        pos += 1  # a bracket, or a byte no token explains (the parser will say why)


class _TooDeep(Exception):
    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.line, self.column = line, column


def check_xml_nesting(data: bytes, max_depth: int) -> None:
    """Refuse XML whose elements nest deeper than ``max_depth`` (syntax errors are left to
    the RDF/XML parser, which names them in its own words)."""
    if data.count(b"<") <= max_depth:
        return
    parser = expat.ParserCreate()
    depth = 0

    def start(_name: str, _attrs: object) -> None:
        nonlocal depth
        depth += 1
        if depth > max_depth:
            raise _TooDeep(parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _TooDeep as deep:
        raise _too_deep(max_depth, f"line {deep.line}, column {deep.column}") from None
    except expat.ExpatError:
        return


def _too_deep(max_depth: int, where: str) -> LimitExceeded:
    return LimitExceeded(
        f"nesting deeper than {max_depth} levels",
        where=where,
        details={"limit": "max_nesting", "cap": max_depth},
    )
