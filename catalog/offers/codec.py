"""Stored offers' values as plain JSON text: readable by an operator, and decoded without
running anything a row could name.

Offer resolution works on :class:`~catalog.facts.DatasetFacts`, :class:`~catalog.labs.DataLab`
and :class:`~catalog.offers.resolution.Offer`. Each is written as a JSON object of its fields
(a field equal to its default is left out), following the field's type hint: a tuple or a
list is a JSON array, ``X | None`` is ``null`` or ``X``. A field typed ``Any`` (an ODRL
constraint's right-hand values) holds JSON strings, integers, booleans and ``null`` as they
are, and every other value as a one-key object naming its type::

    {"$date": "2025-01-01"}   {"$datetime": "2025-01-01T10:00:00+01:00"}
    {"$decimal": "0.10"}      {"$float": "1.5"}       {"$time": "10:00:00"}
    {"$iri": "https://..."}   {"$literal": ["chat", "fr", null]}   (lexical, language, datatype)
    {"$tuple": [...]}         {"$list": [...]}        {"$map": {"key": ...}}

so reading gives back an equal value (:func:`dumps` then :func:`loads` is the identity; see
tests/catalog/offers/test_codec.py). Only the classes of :data:`CLASSES` can be named; a
value that does not decode raises :class:`~catalog.errors.StoreError`.

A dataset's facts are written as its own fields plus ``"terms"``, the fields its terms
signature holds (:func:`terms_json`), so datasets of equal terms share that text: it is
encoded once per distinct signature (:func:`facts_json`) and decoded once
(:class:`FactsReader`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from rdflib import Literal, URIRef

from catalog.errors import StoreError
from catalog.facts.model import DatasetFacts, DataSpaceLink, HealthRoute, TermsSignature
from catalog.labs.model import DataLab, ProcedureStep
from catalog.offers.odrl import Constraint, Policy, Rule
from catalog.offers.resolution import Offer
from catalog.offers.rules.state import Reason

#: The classes stored values may hold, by name.
CLASSES: dict[str, type] = {
    c.__name__: c
    for c in (
        DatasetFacts,
        DataSpaceLink,
        HealthRoute,
        Policy,
        Rule,
        Constraint,
        DataLab,
        ProcedureStep,
        Offer,
        Reason,
    )
}
#: The facts' fields its terms signature holds (written once per signature, as ``"terms"``).
TERMS_FIELDS = TermsSignature._fields

T = TypeVar("T")
Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]


class CodecError(ValueError):
    """A value that cannot be written, or JSON that is not a value :func:`dumps` made."""


# -- values of fields typed Any ----------------------------------------------------------------
def _encode_any(v: Any) -> Any:
    if v is None or type(v) in (str, bool, int):
        return v
    if isinstance(v, URIRef):
        return {"$iri": str(v)}
    if isinstance(v, Literal):
        dt = str(v.datatype) if v.datatype is not None else None
        return {"$literal": [str(v), v.language, dt]}
    if isinstance(v, float):
        return {"$float": repr(v)}
    if isinstance(v, Decimal):
        return {"$decimal": str(v)}
    if isinstance(v, datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, date):
        return {"$date": v.isoformat()}
    if isinstance(v, time):
        return {"$time": v.isoformat()}
    if isinstance(v, tuple):
        return {"$tuple": [_encode_any(x) for x in v]}
    if isinstance(v, list):
        return {"$list": [_encode_any(x) for x in v]}
    if isinstance(v, dict) and all(isinstance(k, str) for k in v):
        return {"$map": {k: _encode_any(x) for k, x in v.items()}}
    raise CodecError(f"cannot store a value of type {type(v).__name__}: {v!r}")


def _literal(parts: list[Any]) -> Literal:
    lexical, lang, datatype = parts
    return Literal(lexical, lang=lang, datatype=URIRef(datatype) if datatype else None)


_TAGGED: dict[str, Decode] = {
    "$iri": URIRef,
    "$literal": _literal,
    "$float": float,
    "$decimal": Decimal,
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": time.fromisoformat,
    "$tuple": lambda xs: tuple(_decode_any(x) for x in xs),
    "$list": lambda xs: [_decode_any(x) for x in xs],
    "$map": lambda m: {k: _decode_any(x) for k, x in m.items()},
}


def _decode_any(v: Any) -> Any:
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, dict) and len(v) == 1:
        tag, body = next(iter(v.items()))
        if tag in _TAGGED:
            return _TAGGED[tag](body)
    raise CodecError(f"not a stored value: {v!r}")


# -- typed fields, compiled once per type --------------------------------------------------------
def _check(kind: type) -> Decode:
    def check(v: Any) -> Any:
        if type(v) is not kind:  # not a subclass either: an IRI is not a plain string
            raise CodecError(f"expected {kind.__name__}, found {type(v).__name__}: {v!r}")
        return v

    return check


def _compile(tp: Any) -> tuple[Encode, Decode]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return _encode_any, _decode_any
    if tp in (str, bool, int):
        return _check(tp), _check(tp)
    if origin in (types.UnionType, typing.Union) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        enc, dec = _compile(inner)
        return (lambda v: None if v is None else enc(v)), (lambda v: None if v is None else dec(v))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        enc, dec = _compile(args[0])
        return (lambda v: [enc(x) for x in v]), (lambda v: tuple(dec(x) for x in _array(v)))
    if origin is list:
        enc, dec = _compile(args[0])
        return (lambda v: [enc(x) for x in v]), (lambda v: [dec(x) for x in _array(v)])
    if isinstance(tp, type) and tp.__name__ in CLASSES and CLASSES[tp.__name__] is tp:
        return (lambda v: _codec(tp)[0](v)), (lambda v: _codec(tp)[1](v))
    raise CodecError(f"no stored form for the type {tp!r}")


def _array(v: Any) -> list[Any]:
    if not isinstance(v, list):
        raise CodecError(f"expected an array, found {v!r}")
    return v


_CODECS: dict[type, tuple[Encode, Decode]] = {}


def _codec(cls: type) -> tuple[Encode, Decode]:
    """The encoder and decoder of one dataclass of :data:`CLASSES` (compiled on first use)."""
    found = _CODECS.get(cls)
    if found is not None:
        return found
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    compiled = {f.name: _compile(hints[f.name]) for f in fields}
    defaults: dict[str, Any] = {}
    for f in fields:
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            defaults[f.name] = f.default_factory()

    def encode(value: Any, skip: str | None = None) -> dict[str, Any]:
        if type(value) is not cls:
            raise CodecError(f"expected a {cls.__name__}, found {type(value).__name__}")
        out: dict[str, Any] = {}
        for name, (enc, _) in compiled.items():
            if name == skip:
                continue
            v = getattr(value, name)
            d = defaults.get(name, _MISSING)
            if d is _MISSING or type(v) is not type(d) or v != d:
                out[name] = enc(v)
        return out

    def decode(data: Any, given: dict[str, Any] | None = None) -> Any:
        if not isinstance(data, dict):
            raise CodecError(f"expected an object for a {cls.__name__}, found {data!r}")
        unknown = set(data) - set(compiled)
        if unknown:
            raise CodecError(f"a {cls.__name__} has no field(s) {sorted(unknown)}")
        values = {k: compiled[k][1](v) for k, v in data.items()}
        if given:
            values.update(given)
        return cls(**values)

    pair: tuple[Encode, Decode] = (encode, decode)
    if cls in _SHARED:  # a lab is in every offer it made, a reason in many: made once
        pair = _shared(encode, decode)
    _CODECS[cls] = pair
    return pair


#: Classes whose equal values recur across rows (each stored offer holds its lab).
_SHARED = (DataLab, Reason, ProcedureStep)
_SHARED_MAX = 4096


def _shared(encode: Encode, decode: Decode) -> tuple[Encode, Decode]:
    """``encode`` and ``decode`` remembering recent values (all immutable, so shared)."""
    encoded: dict[Any, Any] = {}
    decoded: dict[Any, Any] = {}

    def encode_once(value: Any) -> Any:
        found = encoded.get(value)
        if found is None:
            if len(encoded) >= _SHARED_MAX:
                encoded.clear()
            found = encoded[value] = encode(value)
        return found

    def decode_once(data: Any) -> Any:
        key: Any
        try:  # a reason's or a step's fields are scalars; a lab's hold arrays
            key = tuple(data.items())
            hash(key)
        except (TypeError, AttributeError):
            key = json.dumps(data, sort_keys=True)
        found = decoded.get(key)
        if found is None:
            if len(decoded) >= _SHARED_MAX:
                decoded.clear()
            found = decoded[key] = decode(data)
        return found

    return encode_once, decode_once


#: One encoder for every stored value: ``json.dumps`` with arguments builds a new one per
#: call, a fifth of the time of writing a small offer.
_dumps: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False
).encode


_MISSING = object()


def offer_json(offer: Offer) -> str:
    """An offer's stored text without its lab: the lab is stored once, in its own row
    (``offer_labs``), and given back by :func:`loads_offer`. (Each of the few labs in every
    offer's text was half the bytes of a first build and of a replica's load.)"""
    try:
        return _dumps(_codec(Offer)[0](offer, "lab"))  # type: ignore[call-arg]
    except (CodecError, TypeError, ValueError) as exc:
        raise StoreError(f"offers cannot store {type(offer).__name__}: {exc}") from exc


def loads_offer(text: str | bytes, lab: DataLab | None) -> Offer:
    """The offer :func:`offer_json` wrote, with ``lab`` (the stored lab of its row); text
    :func:`dumps` wrote (with the lab in it, as stored before) reads as it is."""
    try:
        data = json.loads(text)
        if isinstance(data, dict) and "lab" not in data:
            if lab is None:
                raise CodecError("an offer stored without its lab, of a lab not stored")
            offer: Offer = _codec(Offer)[1](data, {"lab": lab})  # type: ignore[call-arg]
            return offer
        value: Offer = _codec(Offer)[1](data)
        return value
    except CodecError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise CodecError(f"{type(exc).__name__}: {exc}") from exc


def dumps(value: object) -> str:
    """``value`` (an instance of one of :data:`CLASSES`) as JSON text."""
    try:
        cls = CLASSES[type(value).__name__]
        return _dumps(_codec(cls)[0](value))
    except (KeyError, CodecError, TypeError, ValueError) as exc:
        raise StoreError(f"offers cannot store {type(value).__name__}: {exc}") from exc


def loads(text: str | bytes, cls: type[T]) -> T:
    """The ``cls`` value that :func:`dumps` wrote as ``text``; :class:`CodecError` when the
    text is not one."""
    try:
        value: T = _codec(cls)[1](json.loads(text))
        return value
    except CodecError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise CodecError(f"{type(exc).__name__}: {exc}") from exc


# -- a dataset's facts: its own fields plus its terms, shared per signature ------------------------
_OWN_FIELDS = tuple(f.name for f in dataclasses.fields(DatasetFacts) if f.name not in TERMS_FIELDS)


_FACT_ENCODERS: dict[str, tuple[Encode, Any]] = {}


def _facts_part(facts: DatasetFacts, names: tuple[str, ...]) -> dict[str, Any]:
    if not _FACT_ENCODERS:
        hints = typing.get_type_hints(DatasetFacts)
        for f in dataclasses.fields(DatasetFacts):
            _FACT_ENCODERS[f.name] = (_compile(hints[f.name])[0], f.default)
    out: dict[str, Any] = {}
    for name in names:
        enc, default = _FACT_ENCODERS[name]
        v = getattr(facts, name)
        if type(v) is not type(default) or v != default:
            out[name] = enc(v)
    return out


def terms_json(facts: DatasetFacts) -> str:
    """The JSON text of the facts' terms (the fields of its signature)."""
    return _dumps(_facts_part(facts, TERMS_FIELDS))


def facts_json(facts: DatasetFacts, terms: str | None = None) -> str:
    """The facts as JSON text; ``terms``: :func:`terms_json` of them, when already made."""
    own = _dumps(_facts_part(facts, _OWN_FIELDS))
    return f'{own[:-1]},"terms":{terms if terms is not None else terms_json(facts)}}}'


#: Distinct terms an encoder or a reader remembers (signatures long gone: it starts again).
TERMS_KEPT = 100_000


class FactsEncoder:
    """Encodes facts for storing, each distinct terms (by signature key) once: ``(signature
    key, facts JSON)``, the two columns ``offer_terms`` and ``dataset_facts`` hold."""

    def __init__(self) -> None:
        self._terms: dict[str, str] = {}

    def __call__(self, facts: DatasetFacts, key: str | None = None) -> tuple[str, str]:
        if key is None:
            key = signature_key(facts.signature())
        text = self._terms.get(key)
        if text is None:
            if len(self._terms) >= TERMS_KEPT:
                self._terms.clear()
            text = self._terms[key] = terms_json(facts)
        return key, facts_json(facts, text)


class FactsReader:
    """Decodes stored facts, each distinct terms (by signature key) once."""

    def __init__(self) -> None:
        self._terms: dict[str, dict[str, Any]] = {}

    def __call__(self, text: str | bytes, key: str | None = None) -> DatasetFacts:
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("terms"), dict):
                raise CodecError("stored facts without their terms")
            raw = data.pop("terms")
            decoders = _compiled_facts()
            terms = self._terms.get(key) if key is not None else None
            if terms is None:
                unknown = set(raw) - set(TERMS_FIELDS)
                if unknown:
                    raise CodecError(f"unknown terms field(s) {sorted(unknown)}")
                terms = {k: decoders[k](v) for k, v in raw.items()}
                if key is not None:
                    if len(self._terms) >= TERMS_KEPT:
                        self._terms.clear()
                    self._terms[key] = terms
            if set(data) - set(_OWN_FIELDS):
                raise CodecError(f"unknown facts field(s) {sorted(set(data) - set(_OWN_FIELDS))}")
            own = {k: decoders[k](v) for k, v in data.items()}
            return DatasetFacts(**own, **terms)
        except CodecError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise CodecError(f"{type(exc).__name__}: {exc}") from exc


_FACT_DECODERS: dict[str, Decode] = {}


def _compiled_facts() -> dict[str, Decode]:
    if not _FACT_DECODERS:
        hints = typing.get_type_hints(DatasetFacts)
        names = [f.name for f in dataclasses.fields(DatasetFacts)]
        _FACT_DECODERS.update({k: _compile(hints[k])[1] for k in names})
    return _FACT_DECODERS


_KEYS: dict[TermsSignature, str] = {}
#: Right-hand values whose equality is their printed form's (a number, a date or a time is
#: equal to values printed otherwise: 1 == True == 1.0, 10:00+01:00 == 09:00Z).
_PLAIN = (str, URIRef, Literal)


def _plain_constraint(c: Constraint) -> bool:
    return all(type(v) in _PLAIN for v in c.right) and all(_plain_constraint(p) for p in c.parts)


def _plain_rule(rule: Rule) -> bool:
    return all(_plain_constraint(c) for c in rule.constraints) and all(
        _plain_rule(d) for d in rule.duties
    )


def _plain(signature: TermsSignature) -> bool:
    """Whether equal signatures print the same (so one key can be remembered for both)."""
    return all(
        _plain_rule(rule)
        for policy in signature.policies
        for rules in (policy.permissions, policy.prohibitions, policy.obligations)
        for rule in rules
    )


def signature_key(signature: TermsSignature) -> str:
    """A stable key of a terms signature, the same in every process (its ``repr`` holds
    only tuples, strings, numbers and frozen dataclasses, printed in order). Remembered per
    signature: datasets share few, and the ``repr`` was a good part of a build's time per
    dataset."""
    if not _plain(signature):  # values equal but printed apart (1 and True): not remembered
        return hashlib.sha256(repr(signature).encode()).hexdigest()
    found = _KEYS.get(signature)
    if found is None:
        if len(_KEYS) >= 100_000:
            _KEYS.clear()
        found = _KEYS[signature] = hashlib.sha256(repr(signature).encode()).hexdigest()
    return found


__all__ = [
    "CLASSES",
    "CodecError",
    "FactsReader",
    "dumps",
    "facts_json",
    "loads",
    "loads_offer",
    "offer_json",
    "signature_key",
    "terms_json",
]
