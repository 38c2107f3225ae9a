"""Value types of the model: multilingual text and typed literals.

``LangText`` keeps every value of a text property per language tag ("" for none), so that a
record in five languages stays in five languages. ``TypedValue`` keeps a literal's lexical
form and datatype exactly as read: a bad lexical form ("abc"^^xsd:integer) is kept as it is
and only its :attr:`TypedValue.python` value is ``None``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from catalog.errors import InvalidInput

_LANG_TAG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_ACCEPT_ITEM = re.compile(
    r"^\s*([a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?"
)


def _check_tag(tag: str) -> str:
    if tag and not _LANG_TAG.match(tag):
        raise InvalidInput(f"{tag!r} is not a language tag", where="language")
    return tag.lower()


class LangText(Mapping[str, tuple[str, ...]]):
    """Values of a text property per language tag ("" for text without a language).

    Immutable; tags are compared and stored in lower case; values are kept sorted and
    without duplicates, so two LangTexts read from the same RDF in any syntax are equal.
    """

    __slots__ = ("_items",)
    _items: tuple[tuple[str, tuple[str, ...]], ...]

    def __init__(
        self, values: Mapping[str, Iterable[str] | str] | Iterable[tuple[str, str]] | None = None
    ) -> None:
        merged: dict[str, set[str]] = {}
        pairs: Iterable[tuple[str, Iterable[str] | str]]
        if values is None:
            pairs = ()
        elif isinstance(values, Mapping):
            pairs = values.items()
        else:
            pairs = ((lang, [text]) for lang, text in values)
        for lang, texts in pairs:
            bucket = merged.setdefault(_check_tag(lang or ""), set())
            bucket.update([texts] if isinstance(texts, str) else texts)
        object.__setattr__(
            self,
            "_items",
            tuple((lang, tuple(sorted(texts))) for lang, texts in sorted(merged.items()) if texts),
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("LangText is immutable")

    @classmethod
    def of(cls, text: str, lang: str = "") -> LangText:
        """One value in one language."""
        return cls({lang: [text]})

    def __getitem__(self, lang: str) -> tuple[str, ...]:
        key = lang.lower()
        for tag, texts in self._items:
            if tag == key:
                return texts
        raise KeyError(lang)

    def __iter__(self) -> Iterator[str]:
        return (tag for tag, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LangText):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self == LangText(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"LangText({dict(self._items)!r})"

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every (language, value) pair."""
        for lang, texts in self._items:
            for text in texts:
                yield lang, text

    def to_dict(self) -> dict[str, list[str]]:
        return {lang: list(texts) for lang, texts in self._items}

    def best(self, langs: Iterable[str] = ()) -> str | None:
        """The value that best fits the preferred languages, in order of preference.

        Tries each wanted tag exactly, then by primary language (``en`` matches ``en-GB``
        and the reverse), then text without a language, then English, then the first value.
        """
        found = self.best_with_language(langs)
        return found[1] if found else None

    def best_with_language(self, langs: Iterable[str] = ()) -> tuple[str, str] | None:
        """``(language tag, value)`` of :meth:`best` (the tag ``""`` for text without one),
        so a page can say which language the text it shows is in."""
        if not self._items:
            return None
        table = dict(self._items)
        wanted = [w.lower() for w in langs if w and w != "*"]
        for want in wanted:
            if want in table:
                return want, table[want][0]
            primary = want.split("-", 1)[0]
            for tag, texts in self._items:
                if tag.split("-", 1)[0] == primary:
                    return tag, texts[0]
        for fallback in ("", "en"):
            if fallback in table:
                return fallback, table[fallback][0]
        tag, texts = self._items[0]
        return tag, texts[0]


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags of an Accept-Language header, best first (q=0 dropped).

    A regional tag is followed by its language when the header does not name that
    language itself (``de-DE`` alone, what browsers send, gives ``["de-de", "de"]``), as
    RFC 4647's lookup falls back from ``de-DE`` to ``de``."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        found = _ACCEPT_ITEM.match(item)
        if not found:
            continue
        try:
            quality = float(found.group(2)) if found.group(2) else 1.0
        except ValueError:
            quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, found.group(1).lower()))
    tags = [tag for _, _, tag in sorted(ranked)]
    out: list[str] = []
    for tag in tags:
        if tag not in out:
            out.append(tag)
        base = tag.split("-", 1)[0]
        if base != tag and base != "*" and base not in tags and base not in out:
            out.append(base)
    return out


@dataclass(frozen=True, order=True)
class TypedValue:
    """A literal that is not text: its lexical form and datatype IRI, kept exactly as read."""

    lexical: str
    datatype: str | None = None

    @classmethod
    def of(cls, value: Any) -> TypedValue:
        """A typed value from a Python value (date, datetime, int, float, Decimal, str)."""
        if isinstance(value, TypedValue):
            return value
        if isinstance(value, Literal):
            return cls.from_literal(value)
        if isinstance(value, bool):
            return cls("true" if value else "false", str(XSD.boolean))
        if isinstance(value, dt.datetime):
            return cls(value.isoformat(), str(XSD.dateTime))
        if isinstance(value, dt.date):
            return cls(value.isoformat(), str(XSD.date))
        if isinstance(value, int):
            return cls(str(value), str(XSD.integer))
        if isinstance(value, (float, Decimal)):
            return cls.from_literal(Literal(Decimal(str(value)), datatype=XSD.decimal))
        if isinstance(value, str):
            return cls(value)
        raise InvalidInput(f"cannot store {type(value).__name__} as an RDF literal")

    @classmethod
    def from_literal(cls, literal: Literal) -> TypedValue:
        datatype = literal.datatype
        if datatype is None or datatype == XSD.string:
            return cls(str(literal))
        return cls(str(literal), str(datatype))

    def to_literal(self) -> Literal:
        if self.datatype is None:
            return Literal(self.lexical)
        return Literal(self.lexical, datatype=URIRef(self.datatype))

    @property
    def python(self) -> Any:
        """The Python value (date, datetime, int, Decimal…), or ``None`` if ill-typed."""
        if self.datatype is None:
            return self.lexical
        if self.datatype == str(XSD.gYear) and re.fullmatch(r"-?\d{4,}", self.lexical):
            return int(self.lexical)
        literal = self.to_literal()
        return None if literal.ill_typed else literal.value

    def __str__(self) -> str:
        return self.lexical
