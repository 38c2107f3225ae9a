"""The dataset's ODRL policies, evaluated against the requester and the lab, and its
text-and-data-mining reservation."""

from __future__ import annotations

from functools import lru_cache

from catalog.facts.derive import TDM_ACTIONS
from catalog.offers.evaluate import PENDING, describe, evaluate_all
from catalog.offers.licences import USES
from catalog.offers.odrl import NOT_SATISFIED, SATISFIED, UNKNOWN, Policy, Rule
from catalog.offers.rules.state import State

_ALL = frozenset(USES)
#: What each ODRL action (local name) covers among the uses offers are mapped on.
_ACTION_USES: dict[str, frozenset[str]] = {
    "use": _ALL,
    "distribute": frozenset({"distribution"}),
    "reproduce": frozenset({"distribution"}),
    "Distribution": frozenset({"distribution"}),
    "derive": frozenset({"derivatives"}),
    "modify": frozenset({"derivatives"}),
    "DerivativeWorks": frozenset({"derivatives"}),
    "commercialize": frozenset({"commercial"}),
    "CommercialUse": frozenset({"commercial"}),
    "dlab:aiTraining": frozenset({"ai-training"}),
    "https://w3id.org/datalab/ns#aiTraining": frozenset({"ai-training"}),
    "dlab:textAndDataMining": frozenset({"tdm", "ai-training"}),
    "https://w3id.org/datalab/ns#textAndDataMining": frozenset({"tdm", "ai-training"}),
    **{a: frozenset({"tdm", "ai-training"}) for a in TDM_ACTIONS},
    # reading or showing the data: no further use
    "read": frozenset(),
    "display": frozenset(),
    "present": frozenset(),
    "index": frozenset(),
}


def _uses(rule: Rule) -> tuple[frozenset[str], list[str]]:
    """The uses a rule's actions cover, and the actions this catalogue cannot map."""
    covered, unmapped = _action_uses(tuple(rule.actions))
    return covered, list(unmapped)


@lru_cache(maxsize=4096)
def _action_uses(actions: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """:func:`_uses` of those actions (a build weighs the same few for every lab)."""
    covered: set[str] = set()
    unmapped = []
    for action in actions:
        uses = _ACTION_USES.get(action)
        if uses is None:
            unmapped.append(action)
        else:
            covered |= uses
    return frozenset(covered), tuple(unmapped)


def rule_uses(rule: Rule) -> tuple[frozenset[str], list[str]]:
    """The uses a rule's actions cover, and the actions this catalogue cannot map (the one
    mapping of ODRL actions, also read by :mod:`catalog.offers.derived`)."""
    return _uses(rule)


def _when(rule: Rule) -> str:
    return " and ".join(describe(c) for c in rule.constraints)


def _permissions(s: State, pol: Policy) -> None:
    if not pol.permissions:
        return
    usable: list[Rule] = []
    not_met: list[str] = []
    undecided = False
    for rule in pol.permissions:
        state = evaluate_all(rule.constraints, s.situation)
        if state == SATISFIED:
            usable.append(rule)
        elif state == PENDING:
            usable.append(rule)
            s.pending.extend(rule.constraints)
            s.constraints.append(f"only if {_when(rule)}")
            s.add(
                "policy",
                "condition",
                f"the dataset's policy permits {', '.join(rule.actions)} only if {_when(rule)}: "
                "checked against the requester's profile",
            )
        elif state == UNKNOWN:
            undecided = True
            s.add(
                "policy",
                "review",
                f"the dataset's policy constraint {_when(rule)} cannot be evaluated here",
            )
        else:
            not_met.append(f"{', '.join(rule.actions)} only if {_when(rule)}")
    if not usable:
        if not undecided:
            s.add(
                "policy",
                "block",
                f"the dataset's policy permits {'; or '.join(not_met)}, which is not met for "
                f"{_who(s)}",
            )
        return
    covered: set[str] = set()
    for rule in usable:
        uses, _ = _uses(rule)
        covered |= uses
        s.duties += [a for d in rule.duties for a in d.actions]
    s.permits &= covered
    if _ALL - covered:
        s.add(
            "policy",
            "condition",
            "the dataset's policy permits only " + (", ".join(sorted(covered)) or "reading"),
        )


def _who(s: State) -> str:
    p = s.profile
    if p is None:
        return f"{s.name}"
    parts = [x for x in (p.org_type, p.country, p.purpose.label if p.purpose else None) if x]
    return f"{s.name} and this requester ({', '.join(parts)})" if parts else s.name


def _prohibitions(s: State, pol: Policy) -> None:
    unconditional = {a for r in pol.permissions if not r.constraints for a in r.actions}
    for rule in pol.prohibitions:
        uses, unmapped = _uses(rule)
        clash = unconditional & set(rule.actions) if not rule.constraints else set()
        if clash:
            s.add(
                "policy",
                "review",
                f"the dataset's policy both permits and prohibits {', '.join(sorted(clash))}: "
                "contradictory terms",
            )
            continue
        if unmapped:
            s.add(
                "policy",
                "review",
                f"the dataset's policy prohibits {', '.join(unmapped)}, an action this "
                "catalogue cannot weigh",
            )
        state = evaluate_all(rule.constraints, s.situation)
        cond = f" when {_when(rule)}" if rule.constraints else ""
        if state == NOT_SATISFIED:
            continue
        if state == UNKNOWN:
            s.add(
                "policy",
                "review",
                f"whether the dataset's prohibition of {', '.join(rule.actions)} applies "
                f"({_when(rule)}) cannot be evaluated here",
            )
        elif state == PENDING:
            s.constraints.append(f"no {', '.join(sorted(uses)) or ', '.join(rule.actions)}{cond}")
            s.add(
                "policy",
                "condition",
                f"the dataset's policy prohibits {', '.join(rule.actions)}{cond}",
            )
        elif "use" in rule.actions:
            s.add("policy", "block", f"the dataset's policy prohibits any use{cond}")
        elif uses:
            s.forbid(set(uses))
            if "distribution" in uses:
                s.allowed.discard("Download")
            s.add(
                "policy",
                "condition",
                f"the dataset's policy prohibits {', '.join(sorted(uses))}{cond}"
                + ("; no download" if "distribution" in uses else ""),
            )


def dataset_policies(s: State) -> None:
    """Each ODRL policy of the dataset (and its distributions), evaluated, not copied."""
    for err in s.facts.policy_errors:
        s.add("policy", "review", f"the dataset's policy cannot be read: {err}")
    for pol in s.facts.policies:
        _prohibitions(s, pol)
        _permissions(s, pol)
        s.duties += [a for r in pol.obligations for a in r.actions]


def tdm_reservation(s: State) -> None:
    """A rights reservation for text and data mining (DSM Directive art. 4(3))."""
    if not s.facts.tdm_reserved:
        return
    s.forbid({"tdm", "ai-training"})
    s.add(
        "tdm",
        "condition",
        f"the rights holder reserved text and data mining ({s.facts.tdm_how}; DSM Directive "
        "art. 4(3)): no mining or AI training without their licence",
    )
