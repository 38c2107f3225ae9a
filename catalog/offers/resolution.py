"""Offer resolution: for one dataset and one data lab, a verdict, its rule trace, the terms.

The dataset's side comes from its :class:`~catalog.facts.DatasetFacts` (derived once from its
record); the lab's from the registry; the requester's from a :class:`RequesterProfile`.
Each rule (in :mod:`catalog.offers.rules`) adds plain-words reasons with an outcome: ``ok``,
``condition`` (the lab may offer, under that condition), ``review`` (a person must look:
unknown or contradictory terms, a constraint that cannot be evaluated) or ``block`` (the
lab may not offer). The verdict is the worst outcome, in the order block > review >
condition > ok; so unknown or contradictory terms never give ``may_offer``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from catalog.facts import DatasetFacts
from catalog.labs.model import DataLab
from catalog.offers.licences import LicenceTable
from catalog.offers.odrl import Constraint
from catalog.offers.profiles import RequesterProfile
from catalog.offers.rules import MODE_LABEL, RULES, Reason, State

MAY_OFFER = "may_offer"
CONDITIONS = "may_offer_under_conditions"
MAY_NOT = "may_not_offer"
REVIEW = "needs_review"
_VERDICT = {0: MAY_OFFER, 1: CONDITIONS, 2: REVIEW, 3: MAY_NOT}
#: Duties that alone do not make an offer conditional.
_LIGHT_DUTIES = {"attribute", "attribution", "notice"}

__all__ = [
    "CONDITIONS",
    "MAY_NOT",
    "MAY_OFFER",
    "MODE_LABEL",
    "REVIEW",
    "Offer",
    "Reason",
    "resolve",
]


@dataclass
class Offer:
    """The resolution of one (dataset, lab[, requester]) triple."""

    dataset: str
    lab: DataLab
    verdict: str
    reasons: list[Reason]
    permissions: list[str] = field(default_factory=list)
    prohibitions: list[str] = field(default_factory=list)
    duties: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    access_mode: str | None = None
    procedure: list[str] = field(default_factory=list)
    route: str = "licence"
    #: constraints of the dataset's policy the requester must still meet (ODRL)
    requester_constraints: list[Constraint] = field(default_factory=list)

    @property
    def usable_for_ai_training(self) -> bool:
        return self.verdict in (MAY_OFFER, CONDITIONS) and "ai-training" in self.permissions

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab.id,
            "lab_name": self.lab.name,
            "factory": self.lab.factory,
            "verdict": self.verdict,
            "reasons": [r.text for r in self.reasons],
            "trace": [{"rule": r.rule, "outcome": r.outcome, "text": r.text} for r in self.reasons],
            "usable_for_ai_training": self.usable_for_ai_training,
            "lead_time_days": self.lab.lead_time_days,
            "fees": self.lab.fees,
            "terms": {
                "route": self.route,
                "permissions": self.permissions,
                "prohibitions": self.prohibitions,
                "duties": self.duties,
                "constraints": self.constraints,
                "access_mode": self.access_mode,
                "procedure": [f"{i}. {s}" for i, s in enumerate(self.procedure, start=1)],
                "steps": list(self.procedure),
            },
        }


def resolve(
    facts: DatasetFacts,
    lab: DataLab,
    table: LicenceTable,
    profile: RequesterProfile | None = None,
    now: datetime | None = None,
) -> Offer:
    """Resolve one dataset for one lab (and optionally one requester)."""
    state = State(facts, lab, table, profile, now or datetime.now(UTC))
    for rule in RULES:
        rule(state)
    verdict = _VERDICT[state.worst]
    if verdict == MAY_OFFER and (set(state.duties) - _LIGHT_DUTIES or state.constraints):
        verdict = CONDITIONS
    offered = verdict in (MAY_OFFER, CONDITIONS)
    return Offer(
        facts.dataset_id,
        lab,
        verdict,
        state.reasons,
        permissions=sorted(state.permits - state.prohibits) if offered else [],
        prohibitions=sorted(state.prohibits),
        duties=sorted(set(state.duties)),
        constraints=list(dict.fromkeys(state.constraints)),
        access_mode=state.mode if offered else None,
        procedure=state.procedure() if offered else [],
        route=state.route,
        requester_constraints=list(dict.fromkeys(state.pending)) if offered else [],
    )
