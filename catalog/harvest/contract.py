"""The connector contract: a thin protocol, capability flags and the page a connector yields.

A connector turns one remote source into pages of DCAT-AP 3 triples. It does no storing:
the harvest service (:mod:`catalog.harvest`) decides what is new, changed or gone, and
publishes atomically. Connectors fetch only through :class:`catalog.outbound.fetcher.Fetcher`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import pyoxigraph as ox

from catalog.rdf_terms import parse_lines

if TYPE_CHECKING:
    from catalog.outbound.fetcher import Fetcher
    from catalog.settings import Settings


class Capability(enum.Flag):
    """What a connector can do, so callers need not try."""

    NONE = 0
    #: Lists only records modified since a cursor (``since``).
    INCREMENTAL = enum.auto()
    #: Its listing is complete when it ends, so records missing from it were deleted.
    FULL_LISTING = enum.auto()
    #: Reports the total number of records up front (lets the harvest detect truncation).
    COUNTED = enum.auto()


class SourceRecord:
    """One harvested dataset: its id at the source, its IRI here and its triples.

    A connector gives the triples, or ``lines``: the same statements as canonical N-Triples
    lines (``str`` of each ``ox.Triple``, without the final ``" ."``; written, for example,
    by :class:`catalog.rdf_terms.TextTerms`), or both when it has both at hand. The runner
    stores and hashes the lines as they are, without a Python object per statement;
    :attr:`triples` is then read from them when someone asks (blank node labels kept).
    """

    __slots__ = ("_triples", "iri", "lines", "modified", "record_id")

    def __init__(
        self,
        record_id: str,
        iri: ox.NamedNode | ox.BlankNode,
        triples: list[ox.Triple] | None = None,
        modified: str | None = None,
        *,
        lines: list[str] | None = None,
    ) -> None:
        if triples is None and lines is None:
            raise TypeError("a SourceRecord needs its triples or their N-Triples lines")
        self.record_id = record_id
        self.iri = iri
        self._triples = triples
        self.modified = modified
        #: The statements as canonical N-Triples lines, when the connector wrote them.
        self.lines = lines

    @property
    def triples(self) -> list[ox.Triple]:
        if self._triples is None:
            self._triples = parse_lines(self.lines or [])
        return self._triples

    def __repr__(self) -> str:
        return f"SourceRecord({self.record_id!r}, {self.iri!r}, modified={self.modified!r})"


@dataclass(frozen=True)
class RecordFailure:
    """A source record that could not be mapped, and why, in plain words."""

    record_id: str
    message: str


@dataclass
class Page:
    """One page of a listing.

    ``url`` names this page and no other page of the listing (the paging guard,
    :mod:`catalog.harvest.paging`, stops a listing whose URLs repeat or leave the source's
    host). ``extra`` holds triples that belong to no single record (the catalogue node,
    shared agents); ``total`` is the record count the source announced, when it does.
    ``next_url`` is the next page's URL when the connector follows a link to it: the guard
    checks it before the connector is resumed, so a hostile link is never fetched.
    """

    number: int
    url: str
    records: list[SourceRecord] = field(default_factory=list)
    failures: list[RecordFailure] = field(default_factory=list)
    extra: list[ox.Triple] = field(default_factory=list)
    total: int | None = None
    next_url: str | None = None


@runtime_checkable
class Connector(Protocol):
    """A kind of harvest source; built with ``cls(url, settings, fetcher, options)``."""

    #: Short name used by ``datalab source add --type``.
    kind: ClassVar[str]
    capabilities: ClassVar[Capability]

    def __init__(
        self, url: str, settings: Settings, fetcher: Fetcher, options: dict[str, Any] | None
    ) -> None: ...

    def pages(self, since: str | None = None) -> Iterator[Page]:
        """Yield the listing page by page; raise a FetchError or HarvestError if it breaks.

        Returning normally means the listing is complete (up to ``since``). Page caps,
        loops and hosts are the runner's to check (:func:`catalog.harvest.paging.guarded`):
        a connector pages with a plain loop.
        """
        ...
