"""The permits and agreements the basket needs, and how long they take.

Each lab of the chosen cover is one procedure: first what the datasets it gives need before
the lab can act (a health data permit, an agreement with the data holder: the steps the
offers put before the lab's own), then the lab's own procedure (its stated lead time).
Within one lab these run one after the other; the labs run side by side. So the basket's
lead time is the longest lab's: max over labs of (longest prerequisite + the lab's lead
time). Prerequisites of one lab are applied for together and decided side by side (several
health data access bodies each decide for their own data holders, EHDS art. 67), so they
count once, by the longest.

Durations: a data permit is decided within three months of a complete application, which
the body may extend by three more (Regulation (EU) 2025/327, art. 68): 90 days, at most
180. A lab's own procedure takes its stated ``lead_time_days``. An agreement with a data
holder states no duration: the total is then a lower bound, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog.baskets.cover import Cover
from catalog.baskets.gather import Gathered

PERMIT_DAYS = 90
PERMIT_MAX_DAYS = 180
EHDS_PERMIT = "Regulation (EU) 2025/327 (EHDS), art. 68: three months, extendable by three"


@dataclass
class Prerequisite:
    """A permit or agreement one lab needs before it can give some datasets."""

    step: str
    datasets: list[str]
    days: int | None
    max_days: int | None
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "datasets": self.datasets,
            "days": self.days,
            "max_days": self.max_days,
            "basis": self.basis,
        }


@dataclass
class LabProcedure:
    lab: str
    lab_name: str
    datasets: list[str]
    prerequisites: list[Prerequisite]
    steps: list[str]
    lab_days: int | None
    days: int  # known part: longest prerequisite + the lab's own
    complete: bool  # every duration known

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "lab_name": self.lab_name,
            "datasets": self.datasets,
            "prerequisites": [p.to_dict() for p in self.prerequisites],
            "steps": self.steps,
            "lab_lead_time_days": self.lab_days,
            "days": self.days,
            "complete": self.complete,
        }


@dataclass
class LeadTime:
    procedures: list[LabProcedure] = field(default_factory=list)

    @property
    def longest(self) -> LabProcedure | None:
        return max(self.procedures, key=lambda p: (p.days, p.lab), default=None)

    @property
    def days(self) -> int:
        longest = self.longest
        return longest.days if longest else 0

    @property
    def lower_bound(self) -> bool:
        return any(not p.complete for p in self.procedures)

    def to_dict(self) -> dict[str, Any]:
        longest = self.longest
        return {
            "days": self.days,
            "lower_bound": self.lower_bound,
            "along": longest.lab if longest else None,
            "explanation": self.explain(),
            "procedures": [p.to_dict() for p in self.procedures],
        }

    def explain(self) -> str:
        longest = self.longest
        if longest is None:
            return "no lab procedure is needed"
        text = (
            f"{self.days} days along {longest.lab_name}'s procedure (labs run side by side; "
            "within a lab, permits come before its own procedure)"
        )
        if self.lower_bound:
            text += "; a lower bound, since some agreements state no duration"
        return text


def _kind(step: str, route: str) -> str | None:
    """What a step of an offer's procedure is: a data permit, an agreement with the data
    holder (the two the offers put before the lab's own steps: catalog/offers/rules/
    dataset.py), or neither (how to apply, where to process: conditions, not waits)."""
    if route == "ehds-data-permit" and "for a data permit" in step:
        return "permit"
    if step.startswith("agree "):
        return "agreement"
    return None


def lead_time(gathered: Gathered, chosen: Cover) -> LeadTime:
    """The chosen cover's procedures and the basket's lead time (see the module)."""
    items = {i.dataset_id: i for i in gathered.found()}
    out = LeadTime()
    for lab_id in chosen.chosen:
        lab = gathered.labs[lab_id]
        own = {s.label for s in lab.procedure}
        datasets = [d for d, at in chosen.assignment.items() if at == lab_id]
        prereqs: dict[str, Prerequisite] = {}
        steps: list[str] = []
        for dataset_id in datasets:
            offer = items[dataset_id].offer(lab_id)
            if offer is None:
                continue
            for step in offer.procedure:
                if step not in steps:
                    steps.append(step)
                kind = _kind(step, offer.route)
                if step in own or kind is None:
                    continue  # the lab's own step, or a condition of processing: no wait
                found = prereqs.get(step)
                if found is None:
                    permit = kind == "permit"
                    prereqs[step] = Prerequisite(
                        step,
                        [dataset_id],
                        PERMIT_DAYS if permit else None,
                        PERMIT_MAX_DAYS if permit else None,
                        EHDS_PERMIT if permit else "no duration stated by the record or the lab",
                    )
                elif dataset_id not in found.datasets:
                    found.datasets.append(dataset_id)
        known = [p.days for p in prereqs.values() if p.days is not None]
        complete = lab.lead_time_days is not None and all(
            p.days is not None for p in prereqs.values()
        )
        days = max(known, default=0) + (lab.lead_time_days or 0)
        out.procedures.append(
            LabProcedure(
                lab_id,
                lab.name,
                datasets,
                list(prereqs.values()),
                steps,
                lab.lead_time_days,
                days,
                complete,
            )
        )
    return out


__all__ = ["PERMIT_DAYS", "LabProcedure", "LeadTime", "Prerequisite", "lead_time"]
