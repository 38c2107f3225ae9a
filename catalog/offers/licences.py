"""The licence mapping table: what each licence permits, requires and prohibits.

The table itself is data, not code: ``schemas/licences/licences.json`` holds one row per
licence (key, label, permits, requires, prohibits, every IRI the licence is known by, and the
clause of the licence text each mapping rests on); ``schemas/licences/README.md`` gives the
provenance and the rules. This module reads it once, on first use, and looks licences up by
IRI: EU licence authority IRIs, SPDX IRIs (``.html``/``.json``, http or https), Creative
Commons URLs (``/legalcode``, ``/deed.xx``), ELI and EUR-Lex CELEX URLs, and the other
official URLs listed as aliases.

A licence not in the table is *unknown*: the resolver answers ``needs_review`` for it, never
``may_offer``. A use a licence neither permits nor prohibits (AI training under a
no-derivatives licence) is *unsettled*; the resolver asks for review there too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from catalog.errors import ConfigurationError

#: The uses a licence is mapped on.
USES = ("commercial", "derivatives", "distribution", "tdm", "ai-training")
#: The duties a licence may impose.
DUTIES = ("attribution", "share-alike", "notice", "non-commercial")
#: Uses an open licence (Open Definition) must permit, prohibiting nothing.
_OPEN = frozenset({"commercial", "derivatives", "distribution"})
#: Where the built-in table lives: ``schemas/`` is shipped beside ``catalog/`` (a path, not
#: ``importlib.resources``: a namespace package may span several folders, which
#: ``resources.files`` refuses on Python 3.11).
DATA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "licences" / "licences.json"

_EU = re.compile(r"^https?://publications\.europa\.eu/resource/authority/licence/([^/?#]+)/?$")
_CELEX = re.compile(r"[?&]uri=CELEX(?::|%3A)(\w+)", re.IGNORECASE)
_ELI = re.compile(r"^(?:data|eur-lex)\.europa\.eu/eli/(.+?/oj)(?:/[a-z]{3})?$")
_SUFFIX = re.compile(r"\.(html?|txt|json|jsonld|rdf|ttl)$")
_CC_PAGE = re.compile(r"/(legalcode|deed)(\.[\w-]+)?$")


@dataclass(frozen=True)
class LicenceTerms:
    """What one licence permits, requires and prohibits."""

    key: str
    label: str
    permits: frozenset[str]
    requires: frozenset[str] = frozenset()
    prohibits: frozenset[str] = frozenset()
    open: bool = True
    aliases: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "licence": self.key,
            "label": self.label,
            "permits": sorted(self.permits),
            "requires": sorted(self.requires),
            "prohibits": sorted(self.prohibits),
        }


def _words(row: dict[str, Any], name: str, allowed: tuple[str, ...], where: str) -> frozenset[str]:
    values = row.get(name, [])
    if not isinstance(values, list) or not set(values) <= set(allowed):
        raise ConfigurationError(f"{name} must list values from {', '.join(allowed)}", where=where)
    return frozenset(values)


def _terms(row: Any, where: str) -> LicenceTerms:
    if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("key", "label")):
        raise ConfigurationError("each licence needs a 'key' and a 'label'", where=where)
    permits = _words(row, "permits", USES, where)
    prohibits = _words(row, "prohibits", USES, where)
    if permits & prohibits:
        raise ConfigurationError(
            f"{', '.join(sorted(permits & prohibits))} both permitted and prohibited", where=where
        )
    aliases = row.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ConfigurationError("aliases must be a list of IRIs", where=where)
    return LicenceTerms(
        row["key"],
        row["label"],
        permits,
        _words(row, "requires", DUTIES, where),
        prohibits,
        open=permits >= _OPEN and not prohibits,
        aliases=tuple(aliases),
    )


def read_table(source: Traversable | Path | None = None) -> tuple[LicenceTerms, ...]:
    """The licence rows of ``source`` (the packaged ``licences.json`` by default), checked.

    Every use and duty must come from :data:`USES` and :data:`DUTIES`; keys are unique and no
    IRI may name two licences. A broken file is a :class:`ConfigurationError`.
    """
    source = source or DATA_FILE
    where = str(source)
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the licence table: {exc}", where=where) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("licences"), list):
        raise ConfigurationError("the licence table must hold a 'licences' list", where=where)
    if (doc.get("uses"), doc.get("duties")) != (list(USES), list(DUTIES)):
        raise ConfigurationError("the table's uses and duties differ from the code's", where=where)
    table = tuple(_terms(row, f"{where}[{i}]") for i, row in enumerate(doc["licences"]))
    keys = [entry.key for entry in table]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ConfigurationError(f"licence keys listed twice: {', '.join(twice)}", where=where)
    owner: dict[str, str] = {}
    for entry in table:
        for name in {"SPDX:" + entry.key, *map(_norm, entry.aliases)}:
            if owner.setdefault(name, entry.key) != entry.key:
                raise ConfigurationError(
                    f"{name} names both {owner[name]} and {entry.key}", where=where
                )
    return table


@cache
def builtin_table() -> tuple[LicenceTerms, ...]:
    """The built-in mappings, read from the packaged data file once, on first use."""
    return read_table()


def __getattr__(name: str) -> tuple[LicenceTerms, ...]:
    # ``TABLE`` (the built-in mappings) is read on first use, never at import time.
    if name == "TABLE":
        return builtin_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=65536)
def _norm(iri: str) -> str:
    """The lookup key of a licence IRI: ``EU:<code>``, ``SPDX:<id>``, ``ELI:``/``CELEX:``
    for EU law, otherwise the IRI without scheme, ``www.``, trailing slash, file suffix and
    Creative Commons ``/legalcode`` or ``/deed.xx`` page."""
    iri = iri.strip()
    eu = _EU.match(iri)
    if eu:
        return "EU:" + eu.group(1)
    iri = re.sub(r"^https?://(www\.)?", "", iri, flags=re.IGNORECASE)
    celex = _CELEX.search(iri)
    if celex and iri.startswith("eur-lex.europa.eu/"):
        return "CELEX:" + celex.group(1).upper()
    iri = _SUFFIX.sub("", iri.rstrip("/")).rstrip("/")
    eli = _ELI.match(iri)
    if eli:
        return "ELI:" + eli.group(1)
    for prefix in ("spdx.org/licenses/", "spdx.org/rdf/licenses/"):
        if iri.startswith(prefix):
            return "SPDX:" + iri[len(prefix) :]
    if iri.startswith("creativecommons.org/"):
        iri = _CC_PAGE.sub("", iri)
    return iri


class LicenceTable:
    """Lookup of :class:`LicenceTerms` by IRI; ``version`` changes when the table changes."""

    def __init__(self, entries: tuple[LicenceTerms, ...] | None = None) -> None:
        self._by_key: dict[str, LicenceTerms] = {}
        self.version = 0
        for entry in builtin_table() if entries is None else entries:
            self.put(entry)

    def put(self, entry: LicenceTerms) -> None:
        """Add or replace one mapping (a licence mapping change)."""
        self._by_key["SPDX:" + entry.key] = entry
        for alias in entry.aliases:
            self._by_key[_norm(alias) if not alias.startswith("EU:") else alias] = entry
        self.version += 1

    def copy(self) -> LicenceTable:
        """An independent table with the same mappings (to change without side effects)."""
        other = LicenceTable(())
        other._by_key = dict(self._by_key)
        other.version = self.version
        return other

    def lookup(self, iri: str) -> LicenceTerms | None:
        return self._by_key.get(_norm(iri))

    def __len__(self) -> int:
        return len({id(v) for v in self._by_key.values()})
