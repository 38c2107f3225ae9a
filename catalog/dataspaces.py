"""The common European data spaces, as data: a SKOS scheme plus an administrator's additions.

The built-in spaces are the concepts of ``schemas/vocab/data-spaces.ttl`` (the Commission's
list, plus earth observation), each with labels in several languages and the EU data themes
(``skos:related``) whose datasets belong to it. An administrator adds more
(``datalab dataspace add``, ``POST /data-spaces``); those are kept in the operational
database as the operator document ``data-spaces`` (:mod:`catalog.db.documents`), shared by
every API replica, a change racing another one re-applied rather than lost (catalogues from
before the database kept them in ``<home>/data-spaces.json``, imported once on first use).
Every reader takes the snapshot from :func:`data_spaces`, which asks the database for the
document's version and rebuilds the snapshot only when it changed.

Every data space's IRI is ``https://w3id.org/datalab/dataspace/<id>`` (``DATASPACE``), the
object of ``dlab:dataSpace`` on datasets and ``dlab:linkedDataSpace`` on data labs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rdflib import Graph, Literal, URIRef

from catalog.db.documents import Document, OperatorDocuments
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.namespaces import DATASPACE, DLAB, EU_DATA_THEME, RDF, SKOS
from catalog.settings import Settings

BUILTIN_FILE = Path(__file__).resolve().parent.parent / "schemas" / "vocab" / "data-spaces.ttl"
#: The file catalogues from before the operational database kept the added spaces in.
FILE_NAME = "data-spaces.json"
#: The EU data-theme authority table's codes (``EU_DATA_THEME`` + code).
THEME_CODES = (
    "AGRI",
    "ECON",
    "EDUC",
    "ENER",
    "ENVI",
    "GOVE",
    "HEAL",
    "INTR",
    "JUST",
    "REGI",
    "SOCI",
    "TECH",
    "TRAN",
    "OP_DATPRO",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


class DataSpaceNotFound(NotFound):
    """No data space with that id (or no added one, for a removal)."""

    code = "data_space_not_found"


def check_id(value: str, where: str = "id") -> str:
    """The id rule shared by data spaces, data labs and factories."""
    if not _ID.match(value):
        raise InvalidInput(
            f"{value!r} is not a valid id: 2-63 characters of a-z, 0-9 and '-'", where=where
        )
    return value


def theme_code(code_or_iri: str) -> str:
    """``HEAL`` from ``HEAL``, ``heal`` or the data-theme IRI; unknown codes are an error."""
    value = code_or_iri.strip()
    if value.startswith(str(EU_DATA_THEME)):
        value = value[len(str(EU_DATA_THEME)) :]
    code = value.upper()
    if code not in THEME_CODES:
        raise InvalidInput(
            f"unknown data theme {code_or_iri!r}; known: {', '.join(THEME_CODES)}", where="themes"
        )
    return code


@dataclass(frozen=True)
class DataSpace:
    """One data space: id, IRI, labels by language tag, and the EU data themes it covers."""

    id: str
    iri: str
    labels: Mapping[str, str]
    themes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))
        object.__setattr__(self, "themes", tuple(self.themes))

    def __hash__(self) -> int:
        return hash((self.id, self.iri, tuple(sorted(self.labels.items())), self.themes))

    def label(self, lang: str = "en") -> str:
        """The label in ``lang``, else the English one, else the id."""
        return self.labels.get(lang) or self.labels.get("en") or self.id

    @property
    def theme_iris(self) -> tuple[str, ...]:
        return tuple(str(EU_DATA_THEME) + code for code in self.themes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "iri": self.iri,
            "labels": dict(self.labels),
            "themes": list(self.themes),
        }


def make_data_space(
    space_id: str, labels: Mapping[str, str], themes: Iterable[str] = ()
) -> DataSpace:
    """A checked data space: a valid id, an English label, known data-theme codes or IRIs."""
    check_id(space_id)
    clean: dict[str, str] = {}
    for lang, text in labels.items():
        if not isinstance(lang, str) or not _LANG.match(lang):
            raise InvalidInput(f"{lang!r} is not a language tag", where="labels")
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput(f"the {lang} label is empty", where=f"labels.{lang}")
        clean[lang] = " ".join(text.split())[:200]
    if "en" not in clean:
        raise InvalidInput("a data space needs an English label", where="labels.en")
    codes = tuple(dict.fromkeys(theme_code(str(t)) for t in themes))
    return DataSpace(space_id, str(DATASPACE[space_id]), clean, codes)


class DataSpaces:
    """An immutable snapshot of the known data spaces: the built-in ones first, by id."""

    def __init__(self, spaces: Iterable[DataSpace], builtin: Iterable[str] = ()) -> None:
        self._spaces: dict[str, DataSpace] = {}
        for space in spaces:
            if space.id in self._spaces:
                raise InvalidInput(f"data space {space.id!r} is listed twice", where="id")
            self._spaces[space.id] = space
        self._builtin = frozenset(builtin)

    def get(self, id_or_iri: str) -> DataSpace | None:
        key = id_or_iri
        if key.startswith(str(DATASPACE)):
            key = key[len(str(DATASPACE)) :]
        return self._spaces.get(key)

    def ids(self) -> tuple[str, ...]:
        return tuple(self._spaces)

    def is_builtin(self, space_id: str) -> bool:
        return space_id in self._builtin

    def for_theme(self, code_or_iri: str) -> tuple[DataSpace, ...]:
        """The data spaces a dataset with this EU data theme belongs to (none if unknown)."""
        try:
            code = theme_code(code_or_iri)
        except InvalidInput:
            return ()
        return tuple(s for s in self._spaces.values() if code in s.themes)

    def __iter__(self) -> Iterator[DataSpace]:
        return iter(self._spaces.values())

    def __len__(self) -> int:
        return len(self._spaces)

    def __contains__(self, space_id: object) -> bool:
        return isinstance(space_id, str) and self.get(space_id) is not None

    def __repr__(self) -> str:
        return f"DataSpaces({', '.join(self._spaces)})"


def _from_graph(g: Graph) -> list[DataSpace]:
    out = []
    for concept in g.subjects(RDF.type, DLAB.DataSpace):
        if not isinstance(concept, URIRef) or not str(concept).startswith(str(DATASPACE)):
            continue
        labels = {
            lit.language: str(lit)
            for lit in g.objects(concept, SKOS.prefLabel)
            if isinstance(lit, Literal) and lit.language
        }
        themes = sorted(str(t) for t in g.objects(concept, SKOS.related))
        out.append(make_data_space(str(concept)[len(str(DATASPACE)) :], labels, themes))
    return sorted(out, key=lambda s: s.id)


@functools.cache
def builtin_data_spaces() -> DataSpaces:
    """The data spaces of ``schemas/vocab/data-spaces.ttl`` (read once)."""
    spaces = _from_graph(Graph().parse(BUILTIN_FILE, format="turtle"))
    return DataSpaces(spaces, builtin=(s.id for s in spaces))


def data_spaces_path(settings: Settings) -> Path:
    """Where catalogues from before the operational database kept the added spaces."""
    return settings.home / FILE_NAME


def _parse(body: list[Any], where: str) -> list[DataSpace]:
    out = []
    for i, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("labels"), dict):
            raise InvalidInput("each data space needs an id and labels", where=f"{where}[{i}]")
        out.append(make_data_space(str(item.get("id")), item["labels"], item.get("themes") or []))
    return out


#: The operator document holding the administrator's data spaces.
ADDED = Document("data-spaces", FILE_NAME, "data spaces", _parse)


def _snapshot(body: list[Any]) -> DataSpaces:
    builtin = builtin_data_spaces()
    extra = [s for s in _parse(body, ADDED.name) if s.id not in builtin]
    return DataSpaces([*builtin, *extra], builtin=builtin.ids())


def _stored(space: DataSpace) -> dict[str, Any]:
    return {"id": space.id, "labels": dict(space.labels), "themes": list(space.themes)}


class AddedDataSpaces:
    """The administrator's data spaces in one database's operator documents."""

    def __init__(self, documents: OperatorDocuments) -> None:
        self.documents = documents

    def added(self) -> list[DataSpace]:
        """The administrator's data spaces, in the order they were added."""
        return _parse(self.documents.read(ADDED).body, ADDED.name)

    def snapshot(self) -> DataSpaces:
        """The built-in data spaces plus the administrator's; one per document version."""
        return self.documents.cached(ADDED, _snapshot)

    def add(self, space: DataSpace) -> None:
        """Add an administrator's data space, or replace one added before.

        A built-in id is a :class:`~catalog.errors.Conflict`: built-in spaces are changed in
        ``schemas/vocab/data-spaces.ttl``, not here.
        """
        checked = make_data_space(space.id, space.labels, space.themes)
        if space.iri != checked.iri:
            raise InvalidInput(f"the IRI of data space {space.id!r} is {checked.iri}", where="iri")
        if checked.id in builtin_data_spaces():
            raise Conflict(f"{checked.id!r} is a built-in data space", where="id")

        def change(body: list[Any]) -> list[Any]:
            kept = [s for s in _parse(body, ADDED.name) if s.id != checked.id]
            return [_stored(s) for s in (*kept, checked)]

        self.documents.update(ADDED, change)

    def remove(self, space_id: str) -> bool:
        """Drop an administrator's data space; ``False`` when there was none with that id."""
        if space_id in builtin_data_spaces():
            raise InvalidInput(f"{space_id!r} is a built-in data space; it cannot be removed")
        removed = False

        def change(body: list[Any]) -> list[Any] | None:
            nonlocal removed
            items = _parse(body, ADDED.name)
            kept = [s for s in items if s.id != space_id]
            removed = len(kept) < len(items)
            return [_stored(s) for s in kept] if removed else None

        self.documents.update(ADDED, change)
        return removed


def added_data_spaces(documents: OperatorDocuments) -> list[DataSpace]:
    """The administrator's data spaces, in the order they were added (a bad document is an
    error)."""
    return AddedDataSpaces(documents).added()


def data_spaces(documents: OperatorDocuments) -> DataSpaces:
    """The built-in data spaces plus the administrator's; one snapshot per document version."""
    return AddedDataSpaces(documents).snapshot()


def add_data_space(documents: OperatorDocuments, space: DataSpace) -> None:
    """Add an administrator's data space, or replace one added before (see
    :meth:`AddedDataSpaces.add`)."""
    AddedDataSpaces(documents).add(space)


def remove_data_space(documents: OperatorDocuments, space_id: str) -> bool:
    """Drop an administrator's data space; ``False`` when there was none with that id."""
    return AddedDataSpaces(documents).remove(space_id)


__all__ = [
    "THEME_CODES",
    "AddedDataSpaces",
    "DataSpace",
    "DataSpaceNotFound",
    "DataSpaces",
    "add_data_space",
    "added_data_spaces",
    "builtin_data_spaces",
    "check_id",
    "data_spaces",
    "data_spaces_path",
    "make_data_space",
    "remove_data_space",
    "theme_code",
]
