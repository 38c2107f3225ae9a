"""ODRL constraints evaluated against the requester and the data lab, never copied.

Each constraint of a dataset's policy is evaluated in the situation of one offer: the
requester (purpose, organisation type, country), the lab (where it processes the data) and
the time. The outcome is one of four states:

- ``satisfied`` / ``not_satisfied``: decided;
- ``pending``: it depends on a fact of the requester that was not stated (the profile-free
  answer): the offer carries it as a condition, to be checked against the requester;
- ``unknown``: it cannot be evaluated (an operand or a value this catalogue does not know):
  the offer needs review, never *may offer*.

Operators follow ODRL 2.2: ``eq``/``isA``/``isPartOf``/``isAnyOf`` hold when any right
operand holds; ``neq``/``isNoneOf`` when none does; ``isAllOf`` when all do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from catalog.labs.model import DataLab
from catalog.offers.geography import area_contains, country_code
from catalog.offers.odrl import NOT_SATISFIED, SATISFIED, UNKNOWN, Constraint, evaluate_constraint
from catalog.offers.org_types import org_type_matches
from catalog.offers.profiles import RequesterProfile
from catalog.offers.purposes import covers

PENDING = "pending"
_ANY = ("eq", "isA", "isPartOf", "isAnyOf")
_NONE = ("neq", "isNoneOf")


@dataclass(frozen=True)
class Situation:
    """What the constraints are evaluated against."""

    lab: DataLab
    profile: RequesterProfile | None
    now: datetime


def _by_operator(operator: str, answers: list[bool | None]) -> str:
    """Combine one answer per right operand as ``operator`` says."""
    if operator in _ANY:
        if any(a is True for a in answers):
            return SATISFIED
        return UNKNOWN if None in answers else NOT_SATISFIED
    if operator in _NONE:
        if any(a is True for a in answers):
            return NOT_SATISFIED
        return UNKNOWN if None in answers else SATISFIED
    if operator == "isAllOf":
        if any(a is False for a in answers):
            return NOT_SATISFIED
        return UNKNOWN if None in answers else SATISFIED
    return UNKNOWN


def _purpose(c: Constraint, s: Situation) -> str:
    purpose = s.profile.purpose if s.profile else None
    if purpose is None:
        return PENDING
    return _by_operator(c.operator, [covers(str(v), purpose) for v in c.right])


def _recipient(c: Constraint, s: Situation) -> str:
    org_type = s.profile.org_type if s.profile else None
    if org_type is None:
        return PENDING
    return _by_operator(c.operator, [org_type_matches(org_type, str(v)) for v in c.right])


def _place(c: Constraint, country: str | None) -> str:
    if country is None:
        return UNKNOWN
    return _by_operator(c.operator, [area_contains(str(v), country) for v in c.right])


def _spatial(c: Constraint, s: Situation) -> str:
    """The lab processes there, and the requester is established there."""
    lab_state = _place(c, country_code(s.lab.processing_country or ""))
    requester = s.profile.country if s.profile else None
    requester_state = PENDING if requester is None else _place(c, requester)
    return all_of([lab_state, requester_state])


def _time(c: Constraint, s: Situation) -> str:
    return evaluate_constraint(c, {"dateTime": s.now})


def _count(c: Constraint, s: Situation) -> str:
    # A new offer: the action is exercised for the first time under it.
    return evaluate_constraint(c, {"count": 1.0})


_OPERANDS: dict[str, Callable[[Constraint, Situation], str]] = {
    "purpose": _purpose,
    "recipient": _recipient,
    "party": _recipient,
    "spatial": _spatial,
    "dateTime": _time,
    "count": _count,
}


def all_of(states: list[str]) -> str:
    """``and``: decided false beats unknown beats pending beats true."""
    for state in (NOT_SATISFIED, UNKNOWN, PENDING):
        if state in states:
            return state
    return SATISFIED


def _any_of(states: list[str]) -> str:
    for state in (SATISFIED, UNKNOWN, PENDING):
        if state in states:
            return state
    return NOT_SATISFIED


def evaluate(c: Constraint, s: Situation) -> str:
    """The state of one constraint (logical constraints included) in situation ``s``."""
    if c.logical:
        states = [evaluate(p, s) for p in c.parts]
        if c.logical in ("and", "andSequence"):
            return all_of(states)
        if c.logical == "or":
            return _any_of(states)
        undecided = [st for st in states if st in (UNKNOWN, PENDING)]
        if undecided:  # xone
            return UNKNOWN if UNKNOWN in undecided else PENDING
        return SATISFIED if states.count(SATISFIED) == 1 else NOT_SATISFIED
    rule = _OPERANDS.get(c.left)
    return UNKNOWN if rule is None else rule(c, s)


def evaluate_all(constraints: tuple[Constraint, ...], s: Situation) -> str:
    """The state of a rule's constraints (all must hold); ``satisfied`` when there are none."""
    return all_of([evaluate(c, s) for c in constraints])


_JOINERS = {"and": " and ", "andSequence": " then ", "or": " or ", "xone": " or (only one) "}
_VERBS = {
    "eq": "is",
    "isA": "is a",
    "isPartOf": "is within",
    "isAnyOf": "is one of",
    "isAllOf": "is all of",
    "neq": "is not",
    "isNoneOf": "is none of",
    "lteq": "is at most",
    "gteq": "is at least",
}


def describe(c: Constraint) -> str:
    """A constraint in plain words."""
    if c.logical:
        joiner = _JOINERS.get(c.logical, f" {c.logical} ")
        return "(" + joiner.join(describe(p) for p in c.parts) + ")"
    values = ", ".join(_value(v) for v in c.right)
    if c.operator in ("lt", "gt"):
        dated = c.left == "dateTime"
        verb = (
            ("is before" if dated else "is less than")
            if c.operator == "lt"
            else ("is after" if dated else "is more than")
        )
    else:
        verb = _VERBS.get(c.operator, c.operator)
    return f"{c.left} {verb} {values}"


def _value(v: Any) -> str:
    text = v.isoformat() if hasattr(v, "isoformat") else str(v)
    for sep in ("#", "/"):
        if sep in text and text.startswith("http"):
            return text.rstrip("/").rsplit(sep, 1)[-1]
    return text


__all__ = [
    "PENDING",
    "Situation",
    "all_of",
    "describe",
    "evaluate",
    "evaluate_all",
]
