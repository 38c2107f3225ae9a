"""Extra licence mappings registered by the operator, kept in ``<home>/licences.json``.

The built-in table (:mod:`catalog.offers.licences`, read from
``schemas/licences/licences.json``) covers the EU licence vocabulary, SPDX, the common open
licences, Copernicus, ELRA/META-SHARE and the national open government licences. A
catalogue meets others (a data space's own licence, a national variant); ``datalab licence
add IRI --permits … --prohibits …`` maps one here. An extra mapping for an IRI the built-in
table knows replaces the built-in one for that IRI.

Every offer path (direct resolution, the materialised index, search facets) reads the
table through :func:`licence_table`, which re-reads the file only when it changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalog.errors import InvalidInput, NotFound
from catalog.offers.licences import DUTIES, USES, LicenceTable, LicenceTerms, builtin_table
from catalog.operator_files import StampCache, read_json_list, write_json
from catalog.settings import Settings

FILE_NAME = "licences.json"
_cache: StampCache[LicenceTable] = StampCache()


class LicenceMappingNotFound(NotFound):
    """No added mapping for that licence IRI."""

    code = "licence_mapping_not_found"


def licences_path(settings: Settings) -> Path:
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


def extra_licences(settings: Settings) -> list[LicenceTerms]:
    """The operator's mappings, in the order they were added (a bad file is an error)."""
    path = licences_path(settings)
    raw = read_json_list(path, "licence mappings")
    return [_entry_from_json(item, f"{path}[{i}]") for i, item in enumerate(raw)]


def licence_table(settings: Settings) -> LicenceTable:
    """Built-in mappings plus the operator's; one shared table per file version."""
    return _cache.get(
        licences_path(settings),
        lambda: LicenceTable((*builtin_table(), *extra_licences(settings))),
    )


def add_licence(settings: Settings, entry: LicenceTerms) -> None:
    """Add or replace the operator's mapping of ``entry.key`` (written atomically)."""
    _write(settings, [e for e in extra_licences(settings) if e.key != entry.key] + [entry])


def remove_licence(settings: Settings, iri: str) -> bool:
    """Drop the operator's mapping of ``iri``; ``False`` when there was none."""
    items = extra_licences(settings)
    kept = [e for e in items if e.key != iri.strip()]
    if len(kept) == len(items):
        return False
    _write(settings, kept)
    return True


def _write(settings: Settings, items: list[LicenceTerms]) -> None:
    write_json(licences_path(settings), [e.to_dict() for e in items])
