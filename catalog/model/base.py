"""The mapping engine shared by every model class.

Each model class is a frozen dataclass whose RDF-backed fields are declared with
:func:`prop` (predicate + kind). :class:`Resource` reads and writes those fields generically,
so ``from_graph``, ``to_graph`` and ``to_dict`` stay symmetric by construction.

Conventions: IRIs are ``str``; blank nodes have ``iri=None``; literals that are not text are
:class:`TypedValue`; text is :class:`LangText`; multi-valued fields are tuples kept in a
canonical order, so equality does not depend on the order or syntax of the source.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from catalog.errors import InvalidInput
from catalog.model.values import LangText, TypedValue
from catalog.namespaces import PREFIXES, RDF, XSD


class Kind(enum.Enum):
    """How a field maps to the objects of its predicate."""

    IRI = "iri"  # one IRI (str)
    IRIS = "iris"  # IRIs (tuple[str, ...])
    TEXT = "text"  # plain and language-tagged literals (LangText)
    LIT = "lit"  # one non-text literal (TypedValue)
    LITS = "lits"  # non-text literals (tuple[TypedValue, ...])
    TERM = "term"  # one IRI or literal (str | TypedValue)
    TERMS = "terms"  # IRIs or literals
    NODE = "node"  # one nested resource
    NODES = "nodes"  # nested resources


_MULTI = {Kind.IRIS, Kind.LITS, Kind.TERMS, Kind.NODES}


@dataclass(frozen=True)
class Prop:
    """The RDF side of one model field."""

    predicate: URIRef
    kind: Kind
    cls: type[Resource] | None = None


def prop(predicate: URIRef, kind: Kind, cls: type[Resource] | None = None) -> Any:
    """Declare a dataclass field mapped to ``predicate``."""
    meta = {"rdf": Prop(predicate, kind, cls)}
    if kind is Kind.TEXT:
        return field(default_factory=LangText, metadata=meta)
    if kind in _MULTI:
        return field(default=(), metadata=meta)
    return field(default=None, metadata=meta)


_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|\\^`]*$")


def _iri(value: Any, name: str) -> str:
    text = str(value)
    if not _IRI.match(text):
        raise InvalidInput(f"{text!r} is not an absolute IRI", where=name)
    return text


def _term_key(value: str | TypedValue) -> tuple[int, str, str]:
    if isinstance(value, TypedValue):
        return (1, value.lexical, value.datatype or "")
    return (0, value, "")


def _node_key(value: Resource) -> str:
    # repr covers every field (datatypes included) and is deterministic once canonical
    return repr(value)


def _to_term(value: Any, name: str) -> str | TypedValue:
    if isinstance(value, str) and not isinstance(value, Literal):
        return _iri(value, name)
    return TypedValue.of(value)


def _is_text(literal: Literal) -> bool:
    return literal.language is not None or literal.datatype in (None, XSD.string)


@dataclass(frozen=True, kw_only=True)
class Resource:
    """Base of every model class: an RDF node (IRI or blank) with typed properties.

    ``rdf_type`` holds the node's ``rdf:type`` IRIs as read; a new object gets its class's
    usual type. Properties the model does not know are not kept.
    """

    TYPE: ClassVar[URIRef | None] = None

    iri: str | None = None
    rdf_type: tuple[str, ...] = field(default=None)  # type: ignore[arg-type]  # set in __post_init__

    def __post_init__(self) -> None:
        if self.iri is not None:
            object.__setattr__(self, "iri", _iri(self.iri, "iri"))
        if self.rdf_type is None:
            object.__setattr__(self, "rdf_type", (str(self.TYPE),) if self.TYPE else ())
        else:
            types = {_iri(t, "rdf_type") for t in self.rdf_type}
            object.__setattr__(self, "rdf_type", tuple(sorted(types)))
        for f in fields(self):
            spec: Prop | None = f.metadata.get("rdf")
            if spec is not None:
                object.__setattr__(self, f.name, _canonical(spec, getattr(self, f.name), f.name))

    # -- reading ---------------------------------------------------------------------------
    @classmethod
    def from_graph(cls, graph: Graph, node: Node | str | None) -> Self:
        """Read the resource ``node`` (an IRI, a blank node) from ``graph``; never mutates it."""
        if node is None:
            raise InvalidInput(f"no node given to read a {cls.__name__} from")
        subject: Node = node if isinstance(node, Node) else URIRef(node)
        if not isinstance(subject, (URIRef, BNode)):
            raise InvalidInput(f"{subject!r} is not an IRI or a blank node", where=cls.__name__)
        values: dict[str, Any] = {
            "iri": str(subject) if isinstance(subject, URIRef) else None,
            "rdf_type": [t for t in graph.objects(subject, RDF.type) if isinstance(t, URIRef)],
        }
        for f in fields(cls):
            spec: Prop | None = f.metadata.get("rdf")
            if spec is not None:
                objects = list(graph.objects(subject, spec.predicate))
                values[f.name] = _read(spec, objects, graph)
        return cls(**values)

    # -- writing ---------------------------------------------------------------------------
    def to_graph(self, graph: Graph | None = None) -> Graph:
        """Add this resource's triples to ``graph`` (a new graph by default) and return it."""
        g = graph if graph is not None else new_graph()
        self.add_to(g)
        return g

    def add_to(self, graph: Graph) -> URIRef | BNode:
        """Add this resource's triples to ``graph``; return its node (a new BNode if blank)."""
        subject: URIRef | BNode = URIRef(self.iri) if self.iri is not None else BNode()
        for rdf_type in self.rdf_type:
            graph.add((subject, RDF.type, URIRef(rdf_type)))
        for f in fields(self):
            spec: Prop | None = f.metadata.get("rdf")
            if spec is not None:
                for obj in _write(spec, getattr(self, f.name), graph):
                    graph.add((subject, spec.predicate, obj))
        return subject

    def to_dict(self) -> dict[str, Any]:
        """Clean JSON: IRIs, dates as strings; text as ``{"en": [...], "": [untagged]}``."""
        out: dict[str, Any] = {}
        if self.iri is not None:
            out["iri"] = self.iri
        if self.rdf_type:
            out["rdf_type"] = list(self.rdf_type)
        for f in fields(self):
            spec: Prop | None = f.metadata.get("rdf")
            if spec is None:
                continue
            value = _json(getattr(self, f.name))
            if value not in (None, [], {}):
                out[f.name] = value
        return out


def new_graph() -> Graph:
    """An empty rdflib graph with the catalogue's prefixes bound."""
    g = Graph(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri)
    return g


def _json(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, TypedValue):
        return value.lexical
    if isinstance(value, LangText):
        return value.to_dict()
    if isinstance(value, Resource):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    raise TypeError(f"unexpected model value {value!r}")


def _canonical(spec: Prop, value: Any, name: str) -> Any:
    kind = spec.kind
    if kind is Kind.TEXT:
        return value if isinstance(value, LangText) else LangText(value)
    if value is None:
        return () if kind in _MULTI else None
    if kind is Kind.IRI:
        return _iri(value, name)
    if kind is Kind.LIT:
        return TypedValue.of(value)
    if kind is Kind.TERM:
        return _to_term(value, name)
    if kind is Kind.NODE:
        return _check_node(spec, value, name)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidInput(f"{name} takes several values: give a list or tuple", where=name)
    if kind is Kind.IRIS:
        return tuple(sorted({_iri(v, name) for v in value}))
    if kind is Kind.LITS:
        return tuple(sorted({TypedValue.of(v) for v in value}))
    if kind is Kind.TERMS:
        return tuple(sorted({_to_term(v, name) for v in value}, key=_term_key))
    nodes = [_check_node(spec, v, name) for v in value]
    seen: set[Resource] = set()
    unique: list[Resource] = []
    for node in nodes:
        if node.iri is None or node not in seen:
            unique.append(node)
            seen.add(node)
    return tuple(sorted(unique, key=_node_key))


def _check_node(spec: Prop, value: Any, name: str) -> Resource:
    if spec.cls is not None and not isinstance(value, spec.cls):
        raise InvalidInput(f"{name} takes {spec.cls.__name__} values, not {value!r}", where=name)
    resource: Resource = value
    return resource


def _read(spec: Prop, objects: list[Node], graph: Graph) -> Any:
    kind = spec.kind
    if kind is Kind.TEXT:
        return LangText(
            (o.language or "", str(o)) for o in objects if isinstance(o, Literal) and _is_text(o)
        )
    if kind in (Kind.IRI, Kind.IRIS):
        found: list[Any] = [str(o) for o in objects if isinstance(o, URIRef)]
    elif kind in (Kind.LIT, Kind.LITS):
        found = [
            TypedValue.from_literal(o)
            for o in objects
            if isinstance(o, Literal) and o.language is None
        ]
    elif kind in (Kind.TERM, Kind.TERMS):
        found = [
            str(o) if isinstance(o, URIRef) else TypedValue.from_literal(o)
            for o in objects
            if isinstance(o, URIRef) or (isinstance(o, Literal) and o.language is None)
        ]
    else:
        assert spec.cls is not None
        found = [spec.cls.from_graph(graph, o) for o in objects if isinstance(o, (URIRef, BNode))]
    if kind in _MULTI:
        return found
    if not found:
        return None
    key: Any = _node_key if kind is Kind.NODE else _term_key
    return min(found, key=key)


def _write(spec: Prop, value: Any, graph: Graph) -> Iterable[Node]:
    kind = spec.kind
    if kind is Kind.TEXT:
        return [Literal(text, lang=lang or None) for lang, text in value.pairs()]
    values = value if kind in _MULTI else ((value,) if value is not None else ())
    out: list[Node] = []
    for v in values:
        if isinstance(v, Resource):
            out.append(v.add_to(graph))
        elif isinstance(v, TypedValue):
            out.append(v.to_literal())
        else:
            out.append(URIRef(v))
    return out
