"""Where to get the basket: which lab may offer which dataset, the fewest labs that cover
them all (with every other cover of that size), and the datasets no lab can offer.

The cover is an exact minimum set cover: every set of k labs is tried for k = 1, 2, ...
until some cover the basket, as bit masks. That is exact and fast while the candidate labs
(labs offering at least one of the basket's datasets) number at most
:data:`EXACT_LIMIT` (2^20 subsets at worst; the registry has 19 labs, a basket at most
100 datasets). Past it the greedy cover (at most ln(n)+1 times the minimum) is given and
the answer says it is not proven minimal.

Among the minimal covers one is *chosen*: the shortest longest lab lead time, then the
most datasets offered without conditions, then lab ids; the others are listed as
alternatives (at most :data:`MAX_ALTERNATIVES`, with their total; the choice is made among
the first :data:`MAX_RANKED` minimal covers found).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from catalog.baskets.gather import Gathered, Item
from catalog.labs import DataLab
from catalog.offers.resolution import MAY_OFFER, REVIEW, Offer

EXACT_LIMIT = 20
MAX_ALTERNATIVES = 20
#: Minimal covers ranked to choose one (all are counted; a basket whose labs are this
#: interchangeable gains nothing from ranking more).
MAX_RANKED = 500


@dataclass
class LabOffer:
    """What one lab may offer of the basket, and on what terms."""

    lab: DataLab
    offers: list[Offer]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab.id,
            "lab_name": self.lab.name,
            "factory": self.lab.factory,
            "lead_time_days": self.lab.lead_time_days,
            "datasets": [
                {
                    "dataset": o.dataset,
                    "verdict": o.verdict,
                    "access_mode": o.access_mode,
                    "terms": o.to_dict()["terms"],
                    "reasons": [r.text for r in o.reasons if r.outcome != "ok"],
                }
                for o in self.offers
            ],
        }


@dataclass
class Unavailable:
    """A dataset no lab can offer to this profile, and why (the offers' own reasons)."""

    dataset_id: str
    title: str
    why: str  # "missing" | "review" | "blocked"
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset_id,
            "title": self.title,
            "why": self.why,
            "reasons": self.reasons,
        }


@dataclass
class Cover:
    """The answer to "where do I get it"."""

    by_lab: list[LabOffer]
    chosen: list[str]
    alternatives: list[list[str]]
    alternatives_total: int
    exact: bool
    assignment: dict[str, str]  # dataset id -> the chosen lab that gives it
    unavailable: list[Unavailable] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "labs": [lab.to_dict() for lab in self.by_lab],
            "cover": {
                "labs": self.chosen,
                "size": len(self.chosen),
                "exact": self.exact,
                "method": "exact minimum set cover"
                if self.exact
                else f"greedy (more than {EXACT_LIMIT} candidate labs): not proven minimal",
                "alternatives": self.alternatives,
                "alternatives_total": self.alternatives_total,
                "assignment": self.assignment,
            },
            "unavailable": [u.to_dict() for u in self.unavailable],
        }


def _why_not(item: Item) -> Unavailable:
    if item.missing:
        return Unavailable(
            item.dataset_id,
            item.title,
            "missing",
            ["the dataset is no longer in the catalogue (removed by its source or steward)"],
        )
    review = [o for o in item.offers if o.verdict == REVIEW]
    chosen = review or item.offers
    # labs not linked to the dataset's data space are counted, not listed one by one
    unlinked = [
        o for o in chosen if any(r.rule == "data-space" and r.outcome == "block" for r in o.reasons)
    ]
    reasons: list[str] = []
    for o in chosen:
        if o in unlinked:
            continue
        for r in o.reasons:
            if r.outcome in ("block", "review") and r.text not in reasons:
                reasons.append(r.text)
    if unlinked:
        reasons.append(
            f"{len(unlinked)} of the {len(item.offers)} labs are not linked to the dataset's "
            "data space"
        )
    if not item.offers:
        reasons.append("no data lab is registered")
    return Unavailable(item.dataset_id, item.title, "review" if review else "blocked", reasons)


def _minimal_covers(masks: dict[str, int], full: int) -> tuple[list[tuple[str, ...]], bool]:
    """Every minimum cover of ``full`` by the labs' masks (exact), or one greedy cover."""
    labs = sorted(masks)
    if len(labs) > EXACT_LIMIT:
        return [_greedy(masks, full)], False
    for k in range(1, len(labs) + 1):
        found = []
        for combo in combinations(labs, k):
            acc = 0
            for lab in combo:
                acc |= masks[lab]
            if acc == full:
                found.append(combo)
        if found:
            return found, True
    return [], True


def _greedy(masks: dict[str, int], full: int) -> tuple[str, ...]:
    left, picked = full, []
    while left:
        best = max(sorted(masks), key=lambda lab: bin(masks[lab] & left).count("1"))
        if not masks[best] & left:
            break
        picked.append(best)
        left &= ~masks[best]
    return tuple(picked)


def _assign(items: list[Item], combo: tuple[str, ...], labs: dict[str, DataLab]) -> dict[str, str]:
    """Each dataset to a lab of the cover: without conditions first, then the shortest
    lead time, then the lab id."""
    out: dict[str, str] = {}
    for item in items:
        options = [o for o in item.offerable() if o.lab.id in combo]
        if options:
            best = min(
                options,
                key=lambda o: (
                    o.verdict != MAY_OFFER,
                    labs[o.lab.id].lead_time_days or 0,
                    o.lab.id,
                ),
            )
            out[item.dataset_id] = best.lab.id
    return out


def cover(gathered: Gathered, lead_days: dict[str, int | None] | None = None) -> Cover:
    """Where to get every dataset of the basket (see the module)."""
    labs = gathered.labs
    coverable = [i for i in gathered.found() if i.offerable()]
    unavailable = [_why_not(i) for i in gathered.items if i.missing or not i.offerable()]
    by_lab: list[LabOffer] = []
    masks: dict[str, int] = {}
    for lab_id in sorted(labs):
        offers = [o for i in coverable for o in i.offerable() if o.lab.id == lab_id]
        if offers:
            by_lab.append(LabOffer(labs[lab_id], offers))
            masks[lab_id] = sum(
                1 << n for n, i in enumerate(coverable) if i.offer(lab_id) in offers
            )
    full = (1 << len(coverable)) - 1
    if not coverable:
        return Cover(by_lab, [], [], 0, True, {}, unavailable)
    covers, exact = _minimal_covers(masks, full)
    days = lead_days or {lab_id: labs[lab_id].lead_time_days for lab_id in labs}

    def rank(combo: tuple[str, ...]) -> tuple[int, int, tuple[str, ...]]:
        longest = max((days.get(lab) or 0) for lab in combo)
        assignment = _assign(coverable, combo, labs)
        conditional = sum(
            1
            for i in coverable
            if (o := i.offer(assignment.get(i.dataset_id, ""))) and o.verdict != MAY_OFFER
        )
        return longest, conditional, combo

    ranked = sorted(covers[:MAX_RANKED], key=rank)  # each rank assigns every dataset
    chosen = ranked[0]
    others = [list(c) for c in ranked[1:]]
    return Cover(
        by_lab,
        list(chosen),
        others[:MAX_ALTERNATIVES],
        len(covers) - 1,
        exact,
        _assign(coverable, chosen, labs),
        unavailable,
    )


__all__ = ["EXACT_LIMIT", "Cover", "LabOffer", "Unavailable", "cover"]
