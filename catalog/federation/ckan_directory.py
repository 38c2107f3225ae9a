"""CKAN's names for this catalogue's agents, themes and keywords: organisations, groups, tags.

CKAN names things by URL-safe slugs (``[a-z0-9_-]``); the catalogue by IRIs and labels:

* an **organisation** is a publisher, named by the slug of its ``foaf:name`` (transliterated
  to ASCII first, so ``Łódź`` is ``lodz`` and ``Αθήνα`` is ``athina``: no letter is lost);
  publishers with the same name are one organisation;
* a **group** is a theme (``dcat:theme``): an EU data theme by its code in lower case
  (``heal``), any other by the slug of its label, else of its IRI's last segment;
* a **tag** is a keyword, as written.

The directory is read with a few queries over the current graphs and kept until the next
publish (keyed by the change feed's head and the sources' versions).
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass, field

from anyascii import anyascii

from catalog.graphs import CURRENT_GRAPHS, META_GRAPH
from catalog.namespaces import DCAT, DCT, DLAB, EU_DATA_THEME, FOAF, SKOS
from catalog.search.vocab import labels_for, theme_code
from catalog.service import Catalogue

_SLUG = re.compile(r"[^a-z0-9_-]+")


def slug(text: str) -> str:
    """A CKAN name for ``text``: ASCII (transliterated), lower case, ``[a-z0-9_-]``."""
    ascii_text = anyascii(text).lower()
    return _SLUG.sub("-", ascii_text).strip("-")[:100] or "unnamed"


@dataclass
class Organization:
    """One CKAN organisation: the publishers sharing a name."""

    name: str
    title: str
    publishers: set[str] = field(default_factory=set)
    homepage: str = ""
    datasets: set[str] = field(default_factory=set)


@dataclass
class Group:
    """One CKAN group: a theme."""

    name: str
    title: str
    iri: str
    datasets: set[str] = field(default_factory=set)

    @property
    def facet(self) -> str:
        """The theme's value in the search index's ``theme`` facet."""
        return theme_code(self.iri)


@dataclass
class Entry:
    """What the CKAN API needs of one dataset besides its record."""

    id: str
    iri: str
    source: str
    graph: str
    loaded_at: str
    organization: str | None = None
    groups: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class Directory:
    """Every dataset's CKAN names, and the organisations, groups and tags they use."""

    entries: dict[str, Entry] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    tags: dict[str, set[str]] = field(default_factory=dict)

    def organization_of_publisher(self, publisher: str) -> Organization | None:
        for org in self.organizations.values():
            if publisher in org.publishers:
                return org
        return None

    def group_of_theme(self, iri: str) -> Group | None:
        for group in self.groups.values():
            if group.iri == iri:
                return group
        return None


def group_name(iri: str, label: str | None) -> str:
    if iri.startswith(str(EU_DATA_THEME)):
        return theme_code(iri).lower()
    return slug(label or iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1])


def _pick(labels: dict[str, str]) -> str | None:
    for lang in ("en", ""):
        if lang in labels:
            return labels[lang]
    return next(iter(sorted(labels.values())), None)


def read_directory(cat: Catalogue) -> Directory:
    """The directory of the catalogue's current graphs (a few queries)."""
    out = Directory()
    rows = cat.store.select(
        f"SELECT ?id ?d ?source ?g ?at WHERE {{ {CURRENT_GRAPHS} "
        f"OPTIONAL {{ GRAPH <{META_GRAPH}> {{ ?src <{DLAB.loadedAt}> ?at }} }} "
        f"GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id }} }}"
    )
    for r in rows:
        ident = r["id"].value
        if ident not in out.entries:
            at = r["at"].value if "at" in r else ""
            out.entries[ident] = Entry(ident, r["d"].value, r["source"].value, r["g"].value, at)
    _publishers(cat, out)
    _themes(cat, out)
    for r in cat.store.select(
        f"SELECT DISTINCT ?id ?k WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ "
        f"?d <{DLAB.datasetId}> ?id ; <{DCAT.keyword}> ?k }} }}"
    ):
        entry = out.entries.get(r["id"].value)
        if entry is not None and r["k"].value not in entry.tags:
            entry.tags.append(r["k"].value)
            out.tags.setdefault(r["k"].value, set()).add(entry.id)
    for entry in out.entries.values():
        entry.tags.sort()
        entry.groups.sort()
    return out


def _publishers(cat: Catalogue, out: Directory) -> None:
    names: dict[str, dict[str, str]] = {}
    homepages: dict[str, str] = {}
    uses: dict[str, list[str]] = {}
    for r in cat.store.select(
        f"SELECT ?id ?p ?n ?h WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ "
        f"?d <{DLAB.datasetId}> ?id ; <{DCT.publisher}> ?p "
        f"OPTIONAL {{ ?p <{FOAF.name}> ?n }} OPTIONAL {{ ?p <{FOAF.homepage}> ?h }} }} }}"
    ):
        publisher = r["p"].value
        uses.setdefault(r["id"].value, []).append(publisher)
        if "n" in r:
            names.setdefault(publisher, {})[getattr(r["n"], "language", None) or ""] = r["n"].value
        if "h" in r:
            homepages[publisher] = r["h"].value
    for ident, publishers in sorted(uses.items()):
        entry = out.entries.get(ident)
        if entry is None:
            continue
        for publisher in sorted(set(publishers)):
            title = _pick(names.get(publisher, {})) or publisher
            name = slug(title)
            org = out.organizations.get(name)
            if org is None:
                org = out.organizations[name] = Organization(name, title)
            org.publishers.add(publisher)
            org.homepage = org.homepage or homepages.get(publisher, "")
            org.datasets.add(ident)
            entry.organization = entry.organization or name


def _themes(cat: Catalogue, out: Directory) -> None:
    labels: dict[str, dict[str, str]] = {}
    uses: dict[str, set[str]] = {}
    for r in cat.store.select(
        f"SELECT ?id ?t ?l WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ "
        f"?d <{DLAB.datasetId}> ?id ; <{DCAT.theme}> ?t "
        f"OPTIONAL {{ ?t <{SKOS.prefLabel}> ?l }} }} }}"
    ):
        uses.setdefault(r["t"].value, set()).add(r["id"].value)
        if "l" in r:
            labels.setdefault(r["t"].value, {})[getattr(r["l"], "language", None) or ""] = r[
                "l"
            ].value
    for iri, ids in sorted(uses.items()):
        known = labels.get(iri) or labels_for("theme", theme_code(iri))
        title = _pick(known) or iri
        name = group_name(iri, title if not iri.startswith(str(EU_DATA_THEME)) else None)
        group = out.groups.get(name)
        if group is None:
            group = out.groups[name] = Group(name, title, iri)
        group.datasets |= ids
        for ident in ids:
            entry = out.entries.get(ident)
            if entry is not None and name not in entry.groups:
                entry.groups.append(name)


class _Kept:
    def __init__(self) -> None:
        self.key: tuple[object, ...] | None = None
        self.directory = Directory()
        self.lock = threading.Lock()


_KEPT: weakref.WeakKeyDictionary[Catalogue, _Kept] = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


def directory(cat: Catalogue) -> Directory:
    """The catalogue's directory, read again only after a publish."""
    with _KEPT_LOCK:
        kept = _KEPT.get(cat)
        if kept is None:
            kept = _KEPT[cat] = _Kept()
    key = (cat.changes.head(), tuple((s.name, s.graph, s.loaded_at) for s in cat.sources()))
    with kept.lock:
        if kept.key != key:
            kept.directory = read_directory(cat)
            kept.key = key
        return kept.directory
