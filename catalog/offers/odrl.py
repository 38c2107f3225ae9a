"""A small ODRL 2.2 evaluator: policies, rules, constraints, and their evaluation.

Policies are read from RDF (rdflib graphs) or from ODRL JSON-LD in its compact form (the
terms of the ODRL context, as the Dataspace Protocol and the W3C formal-semantics examples
write them); contexts are never fetched. Evaluation follows the ODRL formal semantics: a
constraint is *satisfied*, *not satisfied* or, when the request lacks the operand,
*unknown*; a rule is active when all its constraints are satisfied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from catalog.errors import InvalidInput
from catalog.namespaces import ODRL, RDF

SATISFIED, NOT_SATISFIED, UNKNOWN = "satisfied", "not_satisfied", "unknown"
LOGICAL = ("and", "or", "xone", "andSequence")
_ODRL = str(ODRL)
#: The actions of the ODRL 2.2 Common Vocabulary (local names).
ODRL_ACTIONS = frozenset(
    [
        "acceptTracking",
        "aggregate",
        "annotate",
        "anonymize",
        "archive",
        "attribute",
        "compensate",
        "concurrentUse",
        "delete",
        "derive",
        "digitize",
        "display",
        "distribute",
        "ensureExclusivity",
        "execute",
        "extract",
        "give",
        "grantUse",
        "include",
        "index",
        "inform",
        "install",
        "modify",
        "move",
        "nextPolicy",
        "obtainConsent",
        "play",
        "present",
        "print",
        "read",
        "reproduce",
        "reviewPolicy",
        "sell",
        "stream",
        "synchronize",
        "textToSpeech",
        "transfer",
        "transform",
        "translate",
        "uninstall",
        "use",
        "watermark",
    ]
)
#: The left operands of the ODRL 2.2 Common Vocabulary (local names).
ODRL_LEFT_OPERANDS = frozenset(
    [
        "absolutePosition",
        "absoluteSize",
        "absoluteSpatialPosition",
        "absoluteTemporalPosition",
        "count",
        "dateTime",
        "delayPeriod",
        "deliveryChannel",
        "device",
        "elapsedTime",
        "event",
        "fileFormat",
        "industry",
        "language",
        "media",
        "meteredTime",
        "payAmount",
        "percentage",
        "product",
        "purpose",
        "recipient",
        "relativePosition",
        "relativeSize",
        "relativeSpatialPosition",
        "relativeTemporalPosition",
        "resolution",
        "spatial",
        "spatialCoordinates",
        "system",
        "systemDevice",
        "timeInterval",
        "unitOfCount",
        "version",
        "virtualLocation",
    ]
)


def local(term: object) -> str:
    """The ODRL local name of an IRI or compact term (``odrl:use`` → ``use``)."""
    s = str(term)
    for prefix in (_ODRL, "odrl:"):
        if s.startswith(prefix):
            return s[len(prefix) :]
    return s


@dataclass(frozen=True)
class Constraint:
    """``leftOperand operator rightOperand``, or a logical constraint over ``parts``."""

    left: str = ""
    operator: str = ""
    right: tuple[Any, ...] = ()
    logical: str | None = None
    parts: tuple[Constraint, ...] = ()
    unit: str | None = None

    def describe(self) -> str:
        if self.logical:
            inner = f" {self.logical} ".join(p.describe() for p in self.parts)
            return f"({inner})"
        right = ", ".join(str(r) for r in self.right)
        return f"{self.left} {self.operator} {right}"

    def to_jsonld(self) -> dict[str, Any]:
        if self.logical:
            return {self.logical: [p.to_jsonld() for p in self.parts]}
        right: Any = [_json_value(r) for r in self.right]
        return {
            "leftOperand": self.left,
            "operator": self.operator,
            "rightOperand": right[0] if len(right) == 1 else right,
        }


@dataclass(frozen=True)
class Rule:
    """A permission, prohibition or duty: actions, constraints and (for permissions) duties."""

    kind: str
    actions: tuple[str, ...]
    constraints: tuple[Constraint, ...] = ()
    duties: tuple[Rule, ...] = ()

    def to_jsonld(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.actions[0] if len(self.actions) == 1 else list(self.actions)
        }
        if self.constraints:
            out["constraint"] = [c.to_jsonld() for c in self.constraints]
        if self.duties:
            out["duty"] = [d.to_jsonld() for d in self.duties]
        return out


@dataclass(frozen=True)
class Policy:
    """An ODRL policy (Set, Offer, Agreement)."""

    uid: str | None
    type: str = "Set"
    permissions: tuple[Rule, ...] = ()
    prohibitions: tuple[Rule, ...] = ()
    obligations: tuple[Rule, ...] = ()


@dataclass
class Evaluation:
    """The outcome of evaluating one action against a policy, with a trace."""

    state: str  # permit | deny | not_permitted | unknown
    trace: list[str] = field(default_factory=list)
    constraints: dict[str, str] = field(default_factory=dict)


# -- reading --------------------------------------------------------------------------


def _values(g: Graph, node: Node, pred: URIRef) -> list[Node]:
    out: list[Node] = []
    for o in g.objects(node, pred):
        if (o, RDF.first, None) in g:
            out.extend(Collection(g, o))
        else:
            out.append(o)
    return out


def _constraint_from_graph(g: Graph, node: Node) -> Constraint:
    for op in LOGICAL:
        items = _values(g, node, ODRL[op])
        if items:
            return Constraint(logical=op, parts=tuple(_constraint_from_graph(g, i) for i in items))
    left = g.value(node, ODRL.leftOperand)
    if left is None:
        # the old RDFLicense style: odrl:spatial "..." directly on the constraint
        for p, o in g.predicate_objects(node):
            name = local(p)
            if str(p).startswith(_ODRL) and name not in ("operator", "unit", "dataType"):
                left, right = p, [o]
                break
        else:
            raise InvalidInput("ODRL constraint without leftOperand", where=str(node))
    else:
        right = _values(g, node, ODRL.rightOperand) or _values(g, node, ODRL.rightOperandReference)
    unit = g.value(node, ODRL.unit)
    return Constraint(
        local(left),
        local(g.value(node, ODRL.operator) or "eq"),
        tuple(_py(r) for r in right),
        unit=str(unit) if unit else None,
    )


def _rule_from_graph(g: Graph, node: Node, kind: str) -> Rule:
    actions = []
    for a in _values(g, node, ODRL.action):
        value = g.value(a, RDF.value) if not isinstance(a, URIRef) else None
        actions.append(local(value if value is not None else a))
    return Rule(
        kind,
        tuple(actions),
        tuple(_constraint_from_graph(g, c) for c in _values(g, node, ODRL.constraint)),
        tuple(_rule_from_graph(g, d, "duty") for d in _values(g, node, ODRL.duty)),
    )


def policy_from_graph(g: Graph, node: Node) -> Policy:
    ptype = next((local(t) for t in g.objects(node, RDF.type) if str(t).startswith(_ODRL)), "Set")
    uid = g.value(node, ODRL.uid)
    return Policy(
        str(uid) if uid is not None else (str(node) if isinstance(node, URIRef) else None),
        ptype,
        tuple(_rule_from_graph(g, r, "permission") for r in _values(g, node, ODRL.permission)),
        tuple(_rule_from_graph(g, r, "prohibition") for r in _values(g, node, ODRL.prohibition)),
        tuple(_rule_from_graph(g, r, "duty") for r in _values(g, node, ODRL.obligation)),
    )


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _json_scalar(v: Any) -> Any:
    if isinstance(v, dict):
        if "@value" in v:
            return _coerce(str(v["@value"]), str(v.get("@type", "")))
        if "@id" in v:
            return local(v["@id"])
    return _coerce(v, "") if isinstance(v, str) else v


def _constraint_from_json(c: dict[str, Any]) -> Constraint:
    for op in LOGICAL:
        if op in c:
            return Constraint(
                logical=op, parts=tuple(_constraint_from_json(p) for p in _list(c[op]))
            )
    if "leftOperand" not in c:
        raise InvalidInput("ODRL constraint without leftOperand", where=str(c.get("@id", "")))
    right = c.get("rightOperand", c.get("rightOperandReference"))
    return Constraint(
        local(_json_scalar(c["leftOperand"])),
        local(_json_scalar(c["operator"])),
        tuple(_json_scalar(r) for r in _list(right)),
        unit=c.get("unit"),
    )


def _rule_from_json(r: dict[str, Any], kind: str) -> Rule:
    actions = []
    for a in _list(r.get("action", [])):
        if isinstance(a, dict):
            a = a.get("rdf:value", a.get("@id", ""))
            a = a.get("@id", "") if isinstance(a, dict) else a
        actions.append(local(a))
    return Rule(
        kind,
        tuple(actions),
        tuple(_constraint_from_json(c) for c in _list(r.get("constraint", []))),
        tuple(_rule_from_json(d, "duty") for d in _list(r.get("duty", []))),
    )


def policy_from_json(doc: dict[str, Any]) -> Policy:
    """A policy from compact ODRL JSON-LD (a policy object, or a DSP message holding one)."""
    for key in ("offer", "agreement"):
        if isinstance(doc.get(key), dict):
            doc = doc[key]
    return Policy(
        doc.get("uid") or doc.get("@id"),
        local(doc.get("@type", "Set")),
        tuple(_rule_from_json(r, "permission") for r in _list(doc.get("permission", []))),
        tuple(_rule_from_json(r, "prohibition") for r in _list(doc.get("prohibition", []))),
        tuple(_rule_from_json(r, "duty") for r in _list(doc.get("obligation", []))),
    )


# -- evaluating -----------------------------------------------------------------------


def _coerce(value: str, datatype: str) -> Any:
    if datatype.endswith(("date", "dateTime")) or (
        len(value) >= 10 and value[4:5] == "-" and value[:4].isdigit()
    ):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if datatype.endswith(("decimal", "integer", "double", "float")):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _py(node: Node) -> Any:
    if isinstance(node, Literal):
        return _coerce(str(node), str(node.datatype or ""))
    return local(node)


def _json_value(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (date, datetime)) else v


def _cmp(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, datetime) and isinstance(b, date) and not isinstance(b, datetime):
        return a.replace(tzinfo=None), datetime(b.year, b.month, b.day)
    if isinstance(b, datetime) and isinstance(a, date) and not isinstance(a, datetime):
        return datetime(a.year, a.month, a.day), b.replace(tzinfo=None)
    if (
        isinstance(a, datetime)
        and isinstance(b, datetime)
        and (a.tzinfo is None) != (b.tzinfo is None)
    ):
        return a.replace(tzinfo=None), b.replace(tzinfo=None)
    return a, b


def _op(op: str, actual: list[Any], right: tuple[Any, ...]) -> bool:
    try:
        if op in ("eq", "isA", "isPartOf"):
            return any(a == r for a in actual for r in right)
        if op == "neq":
            return all(a != r for a in actual for r in right)
        if op in ("isAnyOf",):
            return any(a in right for a in actual)
        if op == "isAllOf":
            return all(r in actual for r in right)
        if op == "isNoneOf":
            return not any(a in right for a in actual)
        if op == "hasPart":
            return all(r in actual for r in right)
        a, r = _cmp(actual[0], right[0])
        return bool({"lt": a < r, "lteq": a <= r, "gt": a > r, "gteq": a >= r}[op])
    except (TypeError, KeyError, IndexError):
        raise InvalidInput(f"cannot evaluate operator {op!r}") from None


def evaluate_constraint(c: Constraint, context: dict[str, Any]) -> str:
    """``satisfied``, ``not_satisfied`` or ``unknown`` (operand missing or unevaluable)."""
    if c.logical:
        states = [evaluate_constraint(p, context) for p in c.parts]
        if c.logical in ("and", "andSequence"):
            if NOT_SATISFIED in states:
                return NOT_SATISFIED
            return UNKNOWN if UNKNOWN in states else SATISFIED
        if c.logical == "or":
            if SATISFIED in states:
                return SATISFIED
            return UNKNOWN if UNKNOWN in states else NOT_SATISFIED
        if UNKNOWN in states:  # xone
            return UNKNOWN
        return SATISFIED if states.count(SATISFIED) == 1 else NOT_SATISFIED
    if c.left not in context:
        return UNKNOWN
    actual = _list(context[c.left])
    try:
        return SATISFIED if _op(c.operator, actual, c.right) else NOT_SATISFIED
    except InvalidInput:
        return UNKNOWN


def evaluate(policy: Policy, action: str, context: dict[str, Any]) -> Evaluation:
    """Is ``action`` permitted by ``policy`` in ``context``? (``use`` includes every action.)"""
    ev = Evaluation("not_permitted")

    def applies(rule: Rule) -> bool:
        return action in rule.actions or "use" in rule.actions

    def rule_state(rule: Rule) -> str:
        states = []
        for c in rule.constraints:
            st = evaluate_constraint(c, context)
            ev.constraints[c.describe()] = st
            states.append(st)
        if NOT_SATISFIED in states:
            return NOT_SATISFIED
        return UNKNOWN if UNKNOWN in states else SATISFIED

    for rule in policy.prohibitions:
        if applies(rule):
            st = rule_state(rule)
            if st == SATISFIED:
                ev.state = "deny"
                ev.trace.append(f"prohibition of {', '.join(rule.actions)} is active")
                return ev
            if st == UNKNOWN:
                ev.state = "unknown"
                ev.trace.append(f"prohibition of {', '.join(rule.actions)} may apply")
    for rule in policy.permissions:
        if applies(rule):
            st = rule_state(rule)
            if st == SATISFIED and ev.state != "unknown":
                ev.state = "permit"
                ev.trace.append(f"permission to {', '.join(rule.actions)} is active")
                return ev
            if st == UNKNOWN:
                ev.state = "unknown"
                ev.trace.append(
                    f"permission to {', '.join(rule.actions)} depends on "
                    "facts the request does not give"
                )
    if ev.state == "not_permitted":
        ev.trace.append(f"no active permission for {action}")
    return ev
