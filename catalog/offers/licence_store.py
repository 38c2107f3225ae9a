"""Extra licence mappings registered by the operator, kept in the operational database.

The built-in table (:mod:`catalog.offers.licences`, read from
``schemas/licences/licences.json``) covers the EU licence vocabulary, SPDX, the common open
licences, Copernicus, ELRA/META-SHARE and the national open government licences. A
catalogue meets others (a data space's own licence, a national variant); ``datalab licence
add IRI --permits … --prohibits …`` maps one here. An extra mapping for an IRI the built-in
table knows replaces the built-in one for that IRI.

The mappings are the operator document ``licences`` (:mod:`catalog.db.documents`), so every
API replica and the command line share them; a change made on one replica while another
writes is re-applied, never lost. Catalogues from before the database kept them in
``<home>/licences.json``, imported once on first use. Every offer path (direct resolution,
the materialised index, search facets) reads the table through :func:`licence_table`,
which asks the database for the document's version and rebuilds the table only when it
changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalog.db.documents import Document, OperatorDocuments
from catalog.errors import InvalidInput, NotFound
from catalog.offers.licences import DUTIES, USES, LicenceTable, LicenceTerms, builtin_table
from catalog.settings import Settings

#: The file catalogues from before the operational database kept the mappings in.
FILE_NAME = "licences.json"


class LicenceMappingNotFound(NotFound):
    """No added mapping for that licence IRI."""

    code = "licence_mapping_not_found"


def licences_path(settings: Settings) -> Path:
    """Where catalogues from before the operational database kept the mappings."""
    return settings.home / FILE_NAME


def _words(
    values: list[str] | tuple[str, ...], allowed: tuple[str, ...], where: str
) -> frozenset[str]:
    bad = sorted(set(values) - set(allowed))
    if bad:
        raise InvalidInput(
            f"unknown {where} value(s) {', '.join(bad)}; known: {', '.join(allowed)}", where=where
        )
    return frozenset(values)


def make_entry(
    iri: str,
    *,
    label: str | None = None,
    permits: list[str] | tuple[str, ...] = (),
    requires: list[str] | tuple[str, ...] = (),
    prohibits: list[str] | tuple[str, ...] = (),
) -> LicenceTerms:
    """A checked mapping of licence ``iri`` (uses from ``USES``, duties from ``DUTIES``)."""
    iri = iri.strip()
    if not iri.startswith(("http://", "https://")) or any(c.isspace() for c in iri):
        raise InvalidInput(f"{iri!r} is not an http(s) licence IRI", where="iri")
    p = _words(permits, USES, "permits")
    x = _words(prohibits, USES, "prohibits")
    both = sorted(p & x)
    if both:
        raise InvalidInput(
            f"{', '.join(both)} cannot be both permitted and prohibited", where="prohibits"
        )
    r = _words(requires, DUTIES, "requires")
    return LicenceTerms(iri, label or iri, p, r, x, aliases=(iri,))


def _entry_from_json(item: Any, where: str) -> LicenceTerms:
    if not isinstance(item, dict) or not isinstance(item.get("licence"), str):
        raise InvalidInput("each licence mapping needs a 'licence' IRI", where=where)
    return make_entry(
        item["licence"],
        label=item.get("label"),
        permits=list(item.get("permits") or []),
        requires=list(item.get("requires") or []),
        prohibits=list(item.get("prohibits") or []),
    )


def _parse(body: list[Any], where: str) -> list[LicenceTerms]:
    return [_entry_from_json(item, f"{where}[{i}]") for i, item in enumerate(body)]


#: The operator document holding the mappings, as ``LicenceTerms.to_dict()`` items.
LICENCES = Document("licences", FILE_NAME, "licence mappings", _parse)


def _table(body: list[Any]) -> LicenceTable:
    return LicenceTable((*builtin_table(), *_parse(body, LICENCES.name)))


class LicenceMappings:
    """The operator's licence mappings in one database's operator documents."""

    def __init__(self, documents: OperatorDocuments) -> None:
        self.documents = documents

    def extra(self) -> list[LicenceTerms]:
        """The operator's mappings, in the order they were added."""
        return _parse(self.documents.read(LICENCES).body, LICENCES.name)

    def table(self) -> LicenceTable:
        """Built-in mappings plus the operator's; one shared table per document version."""
        return self.documents.cached(LICENCES, _table)

    def add(self, entry: LicenceTerms) -> None:
        """Add or replace the operator's mapping of ``entry.key``."""

        def change(body: list[Any]) -> list[Any]:
            kept = [e for e in _parse(body, LICENCES.name) if e.key != entry.key]
            return [e.to_dict() for e in (*kept, entry)]

        self.documents.update(LICENCES, change)

    def remove(self, iri: str) -> bool:
        """Drop the operator's mapping of ``iri``; ``False`` when there was none."""
        key = iri.strip()
        removed = False

        def change(body: list[Any]) -> list[Any] | None:
            nonlocal removed
            items = _parse(body, LICENCES.name)
            kept = [e for e in items if e.key != key]
            removed = len(kept) < len(items)
            return [e.to_dict() for e in kept] if removed else None

        self.documents.update(LICENCES, change)
        return removed


def extra_licences(documents: OperatorDocuments) -> list[LicenceTerms]:
    """The operator's mappings, in the order they were added (a bad document is an error)."""
    return LicenceMappings(documents).extra()


def licence_table(documents: OperatorDocuments) -> LicenceTable:
    """Built-in mappings plus the operator's; one shared table per document version."""
    return LicenceMappings(documents).table()


def add_licence(documents: OperatorDocuments, entry: LicenceTerms) -> None:
    """Add or replace the operator's mapping of ``entry.key``."""
    LicenceMappings(documents).add(entry)


def remove_licence(documents: OperatorDocuments, iri: str) -> bool:
    """Drop the operator's mapping of ``iri``; ``False`` when there was none."""
    return LicenceMappings(documents).remove(iri)


def table_of(body: list[Any]) -> LicenceTable:
    """The licence table of a licence mappings document body (built-ins plus its entries)."""
    return _table(body)
