"""CKAN's ``q``/``fq`` (Solr syntax) parsed by luqum into the search engine's filters.

Both parameters are parsed by luqum's Lucene grammar (never by regular expressions) and the
tree is walked into one :class:`CkanFilter`: words and phrases for the text engine, facet
values to keep or drop, and dataset ids resolved here (tags, names, change times).

Supported: ``*:*``; words, ``"phrases"``, ``prefix*``; ``field:value`` and
``field:"value"``; ``AND``, ``OR``, ``NOT``, ``-`` and ``+``, parentheses,
``field:(a OR b)``; whitespace between clauses is AND (so ckanext-harvest's
``organization:a OR organization:b metadata_modified:[… TO *]`` means both). Fields:

=======================  ==========================================================
``organization``         publisher (``owner_org`` too)
``groups``               theme
``tags``                 keyword, as written
``res_format``           distribution format (``CSV``, or the format's IRI)
``license_id``           licence (``CC_BY_4_0``, or the licence IRI)
``name``, ``id``         the dataset id
``metadata_modified``    ``[A TO B]`` (``*`` open): when the record changed here
``data_space``           the data space (``health``)
``text``                 words, as without a field
``type``, ``state``      ``dataset`` / ``active`` only (every package is both)
=======================  ==========================================================

What the search engine cannot answer is refused with the reason, never answered
approximately: ``OR`` between clauses of different fields or between words, ``AND`` of two
values of one facet field, a field of its own (``title:``), fuzzy, proximity and boosts,
date math (``NOW-1DAY``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from luqum.exceptions import ParseError
from luqum.parser import parser
from luqum.tree import (
    AndOperation,
    FieldGroup,
    Group,
    Item,
    Not,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    Range,
    SearchField,
    UnknownOperation,
    Word,
)

from catalog.errors import InvalidInput
from catalog.federation.ckan_directory import Directory

#: CKAN fields answered by a facet of the search index: CKAN name -> facet.
FACET_FIELDS = {
    "groups": "theme",
    "res_format": "format",
    "license_id": "licence",
    "data_space": "data_space",
    "organization": "publisher",
    "owner_org": "publisher",
}
#: CKAN fields answered by dataset ids resolved here.
ID_FIELDS = ("tags", "name", "id")
#: Fields every package matches with the one value given.
CONSTANT_FIELDS = {"type": "dataset", "state": "active"}
KNOWN_FIELDS = sorted([*FACET_FIELDS, *ID_FIELDS, *CONSTANT_FIELDS, "metadata_modified", "text"])
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?Z?$")


@dataclass
class CkanFilter:
    """One ``q``/``fq`` pair as the search engine takes it."""

    words: list[str] = field(default_factory=list)
    include: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    only_ids: set[str] | None = None
    without_ids: set[str] = field(default_factory=set)
    #: The dataset ids nothing can match (an unknown organisation, an empty range).
    nothing: bool = False

    @property
    def text(self) -> str:
        """The words as the search engine's query syntax."""
        return " ".join(self.words)

    def keep(self, ids: Iterable[str]) -> None:
        kept = set(ids)
        self.only_ids = kept if self.only_ids is None else self.only_ids & kept


def refuse(message: str, where: str) -> InvalidInput:
    return InvalidInput(message, where=where)


@dataclass
class _Clause:
    """One conjunct: a field (``None`` for words) with its values, maybe negated."""

    field: str | None
    values: list[Item]
    negated: bool = False


def parse(text: str | None, where: str) -> Item | None:
    """luqum's tree of ``text`` (``None`` for nothing or ``*:*``)."""
    if text is None or not text.strip() or text.strip() in ("*:*", "*"):
        return None
    try:
        return parser.parse(text)
    except (ParseError, TypeError, ValueError) as exc:
        raise refuse(f"{where} is not valid Solr query syntax: {exc}", where) from None


def _conjuncts(node: Item, where: str) -> list[Item]:
    if isinstance(node, (AndOperation, UnknownOperation)):
        return [c for child in node.children for c in _conjuncts(child, where)]
    if isinstance(node, Group):
        return _conjuncts(node.expr, where)
    return [node]


def _clause(node: Item, where: str, negated: bool = False) -> _Clause | None:
    """The clause of one conjunct (``None``: matches everything)."""
    if isinstance(node, (Not, Prohibit)):
        return _clause(node.a, where, not negated)
    if isinstance(node, Plus):
        return _clause(node.a, where, negated)
    if isinstance(node, Group):
        inner = _conjuncts(node.expr, where)
        if len(inner) != 1:
            raise refuse(
                "a negated or OR-ed group of several clauses cannot be expressed by this "
                "catalogue's search; write each clause on its own",
                where,
            )
        return _clause(inner[0], where, negated)
    if isinstance(node, OrOperation):
        parts = [_clause(c, where) for c in node.children]
        fields = {p.field for p in parts if p is not None}
        if any(p is None for p in parts) or any(p.negated for p in parts if p is not None):
            raise refuse("OR with a negated or match-all clause is not supported", where)
        if len(fields) != 1 or None in fields:
            names = ", ".join(sorted(f or "words" for f in fields))
            raise refuse(
                f"OR across different fields or between words ({names}) cannot be "
                "expressed by this catalogue's search; OR values of one field "
                "(organization:a OR organization:b), or send one request per field",
                where,
            )
        return _Clause(fields.pop(), [v for p in parts if p for v in p.values], negated)
    if isinstance(node, SearchField):
        name = node.name
        if name == "*":
            if isinstance(node.expr, Word) and node.expr.value == "*":
                if negated:
                    raise refuse("-*:* matches nothing; not supported", where)
                return None
            raise refuse("only *:* may use the field '*'", where)
        if name not in KNOWN_FIELDS:
            raise refuse(
                f"unknown or unsearchable field {name!r}; fields: {', '.join(KNOWN_FIELDS)}",
                where,
            )
        values = _field_values(node.expr, name, where)
        if name == "text":
            return _Clause(None, values, negated)
        return _Clause(name, values, negated)
    if isinstance(node, (Word, Phrase)):
        if isinstance(node, Word) and node.value == "*":
            return None
        return _Clause(None, [node], negated)
    raise refuse(
        f"{type(node).__name__} ({node}) is not supported by this catalogue's search "
        "(no fuzzy, proximity, boosts or regular expressions)",
        where,
    )


def _field_values(expr: Item, name: str, where: str) -> list[Item]:
    if isinstance(expr, (Word, Phrase, Range)):
        return [expr]
    if isinstance(expr, FieldGroup):
        inner = expr.expr
        if isinstance(inner, (Word, Phrase)):
            return [inner]
        if isinstance(inner, OrOperation) and all(
            isinstance(c, (Word, Phrase)) for c in inner.children
        ):
            return list(inner.children)
    raise refuse(f"{name}: takes a value, a phrase or (a OR b)", where)


def _value(item: Item) -> str:
    if isinstance(item, Phrase):
        return str(item.value)[1:-1].replace('\\"', '"')
    return re.sub(r"\\(.)", r"\1", str(item.value))


def _time(value: str, where: str) -> datetime | None:
    if value == "*":
        return None
    if not _DATE.match(value):
        raise refuse(
            f"metadata_modified bound {value!r} is not an ISO date-time (date math such as "
            "NOW-1DAY is not supported)",
            where,
        )
    text = value.rstrip("Z")
    parsed = datetime.fromisoformat(text if "T" in text else text + "T00:00:00")
    return parsed.replace(tzinfo=UTC)


def _in_range(item: Item, where: str) -> Callable[[datetime], bool]:
    if not isinstance(item, Range):
        raise refuse("metadata_modified takes a range: metadata_modified:[A TO B]", where)
    low, high = _time(_value(item.low), where), _time(_value(item.high), where)

    def inside(at: datetime) -> bool:
        if low is not None and (at < low or (at == low and not item.include_low)):
            return False
        return high is None or at < high or (at == high and item.include_high)

    return inside


def _text(item: Item, negated: bool, where: str) -> str:
    if isinstance(item, Phrase):
        words = _value(item)
        return ("-" if negated else "") + '"' + words.replace('"', " ") + '"'
    value = _value(item)
    if not value.strip() or '"' in value:
        raise refuse(f"unsupported word {value!r}", where)
    return ("-" if negated else "") + value


def build(
    q: str | None,
    fq: str | None,
    names: Directory,
    changed: Callable[[], dict[str, datetime]],
) -> CkanFilter:
    """The filter of one ``q``/``fq`` pair; ``changed()`` gives each dataset's change time
    (called only for a ``metadata_modified`` range)."""
    out = CkanFilter()
    for where, text in (("q", q), ("fq", fq)):
        tree = parse(text, where)
        if tree is None:
            continue
        for node in _conjuncts(tree, where):
            clause = _clause(node, where)
            if clause is not None:
                _apply(out, clause, names, changed, where)
    return out


def _apply(
    out: CkanFilter,
    clause: _Clause,
    names: Directory,
    changed: Callable[[], dict[str, datetime]],
    where: str,
) -> None:
    name, values, negated = clause.field, clause.values, clause.negated
    if name is None:
        if negated and len(values) > 1:
            raise refuse("NOT (a OR b) of words is not supported; write -a -b", where)
        if len(values) > 1:
            raise refuse(
                "OR between words cannot be expressed by this catalogue's search (every "
                "word must match); send one request per word",
                where,
            )
        out.words.append(_text(values[0], negated, where))
        return
    if name == "metadata_modified":
        if len(values) != 1:
            raise refuse("one metadata_modified range per clause", where)
        inside = _in_range(values[0], where)
        times = changed()
        ids = {i for i, e in names.entries.items() if inside(times.get(i) or _loaded(e))}
        if negated:
            out.without_ids |= ids
        else:
            out.keep(ids)
        return
    texts = [_value(v) for v in values if not isinstance(v, Range)]
    if len(texts) != len(values):
        raise refuse(f"{name}: ranges are only supported on metadata_modified", where)
    if name in CONSTANT_FIELDS:
        matches = all(t == CONSTANT_FIELDS[name] for t in texts)
        if matches == negated:
            out.nothing = True
        return
    if name in ID_FIELDS:
        ids = set()
        for t in texts:
            ids |= names.tags.get(t, set()) if name == "tags" else {t} & set(names.entries)
        if negated:
            out.without_ids |= ids
        else:
            out.keep(ids)
        return
    facet = FACET_FIELDS[name]
    facet_values = [v for t in texts for v in _facet_values(name, t, names)]
    if negated:
        out.exclude.setdefault(facet, []).extend(facet_values)
        return
    if facet in out.include:
        raise refuse(
            f"two {name}: clauses joined by AND cannot be expressed by this catalogue's "
            f"search; use {name}:(a OR b) for either",
            where,
        )
    if not facet_values:
        out.nothing = True
        return
    out.include[facet] = facet_values


def _facet_values(name: str, text: str, names: Directory) -> list[str]:
    """The index's values of facet field ``name`` for the CKAN value ``text``."""
    if name in ("organization", "owner_org"):
        org = names.organizations.get(text)
        return sorted(org.publishers) if org else []
    if name == "groups":
        group = names.groups.get(text)
        return [group.facet] if group else []
    if name == "res_format":
        tail = text.rstrip("/#").rsplit("/", 1)[-1]
        return [tail.upper()]
    if name == "license_id" and text.startswith("http") and "/licence/" in text:
        return [text.rstrip("/").rsplit("/", 1)[-1]]
    return [text]


def _loaded(entry: object) -> datetime:
    at = str(getattr(entry, "loaded_at", "") or "")
    try:
        parsed = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
