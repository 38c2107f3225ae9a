"""Conflicts between the basket's datasets, or between a dataset and the developer's use.

Each conflict is named, says which datasets it concerns and cites the text it rests on:

- ``share-alike``: two share-alike licences no single licence can satisfy (see
  :mod:`catalog.baskets.share_alike`): one model or output cannot honour both;
- ``non-commercial``: a dataset whose every offer prohibits commercial use, in a basket for
  a commercial purpose (or, with no purpose stated, of a company);
- ``tdm-reservation``: the rights holder reserved text and data mining (DSM Directive,
  Directive (EU) 2019/790, art. 4(3)), against training a model; a research organisation
  doing scientific research may rely on art. 3 instead, which no reservation overrides
  and which contract terms cannot exclude (art. 7(1)): then it is flagged for review;
- ``ai-training``: the terms themselves prohibit AI training;
- ``ehds-purpose``: health data under the EHDS and a purpose art. 54 prohibits, or one that
  is not among art. 53(1)'s, or one of art. 53(1)(a)-(c), which are for public sector bodies.

The facts read are the offers' (prohibitions, duties, reasons) and the dataset's EHDS
status (:attr:`DatasetFacts.ehds_applies`); nothing is derived a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from catalog.baskets.gather import Gathered
from catalog.baskets.obligations import Obligations, licence_label
from catalog.baskets.share_alike import clause, common_licences
from catalog.offers.purposes import EHDS_PUBLIC_BODY_POINTS, EHDS_REGULATION

_COMPANIES = ("StartUp", "SME", "LargeCompany")
DSM = "Directive (EU) 2019/790 (DSM)"


@dataclass(frozen=True)
class Conflict:
    kind: str
    datasets: tuple[str, ...]
    text: str
    cites: tuple[str, ...]
    severity: str = "conflict"  # conflict | review

    @property
    def key(self) -> str:
        return f"{self.kind}:{','.join(sorted(self.datasets))}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "datasets": list(self.datasets),
            "text": self.text,
            "cites": list(self.cites),
        }


@dataclass
class Conflicts:
    items: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"conflicts": [c.to_dict() for c in self.items], "notes": self.notes}


def commercial_use(gathered: Gathered) -> bool | None:
    """Whether the basket's use is commercial: its purpose says; with none stated, a
    company's use is taken as commercial; otherwise unknown (``None``)."""
    p = gathered.profile
    if p is not None and p.purpose is not None:
        return p.purpose.commercial
    if p is not None and p.org_type in _COMPANIES:
        return True
    return None


def _share_alike(ob: Obligations, out: Conflicts) -> None:
    keys = {k for k in ob.share_alike if k != "unknown"}
    if len(keys) < 2:
        return
    common = common_licences(keys)
    if common:
        out.notes.append(
            "the share-alike licences "
            + ", ".join(sorted(keys))
            + " can be honoured together: release adaptations under "
            + " or ".join(sorted(common))
        )
        return
    for a, b in combinations(sorted(keys), 2):
        if common_licences({a, b}):
            continue
        datasets = tuple(ob.share_alike[a] + ob.share_alike[b])
        out.items.append(
            Conflict(
                "share-alike",
                datasets,
                f"{a} and {b} both require adaptations to be shared under their own terms, "
                "and neither lets them be released under the other or under a common "
                "licence: one model or output cannot honour both",
                (clause(a), clause(b)),
            )
        )


def conflicts(gathered: Gathered, ob: Obligations) -> Conflicts:
    """Every conflict of the basket (see the module)."""
    out = Conflicts()
    _share_alike(ob, out)
    commercial = commercial_use(gathered)
    profile = gathered.profile
    purpose = profile.purpose if profile else None
    research_exception = (
        profile is not None and profile.org_type == "Research" and commercial is not True
    )
    for item in gathered.found():
        d, offers = item.dataset_id, item.offers
        if not offers:
            continue
        noncommercial = all(
            "commercial" in o.prohibitions or "non-commercial" in o.duties for o in offers
        )
        if noncommercial and commercial:
            why = (
                f"the purpose '{purpose.label}' is commercial"
                if purpose is not None
                else "a company's use is commercial unless stated otherwise"
            )
            out.items.append(
                Conflict(
                    "non-commercial",
                    (d,),
                    f"{item.title} may not be used commercially ({_licence(item)}), and {why}",
                    (_licence(item),),
                )
            )
        elif noncommercial and commercial is None:
            out.notes.append(f"{item.title} is for non-commercial use only: state your purpose")
        tdm = next((r.text for o in offers for r in o.reasons if r.rule == "tdm"), None)
        if tdm is not None:
            out.items.append(
                Conflict(
                    "tdm-reservation",
                    (d,),
                    f"{item.title}: {tdm}. Training a model is text and data mining"
                    + (
                        "; as a research organisation doing scientific research you may rely "
                        "on art. 3 instead, which the reservation does not override: have the "
                        "lab confirm"
                        if research_exception
                        else ""
                    ),
                    (f"{DSM}, art. 4(3)", f"{DSM}, art. 3 and 7(1)")
                    if research_exception
                    else (f"{DSM}, art. 4(3)",),
                    "review" if research_exception else "conflict",
                )
            )
        elif all("ai-training" in o.prohibitions for o in offers):
            out.items.append(
                Conflict(
                    "ai-training",
                    (d,),
                    f"the terms of {item.title} ({_licence(item)}) prohibit AI training",
                    (_licence(item),),
                )
            )
        _ehds(item.facts is not None and item.facts.ehds_applies, item.title, d, gathered, out)
    return out


def _licence(item: Any) -> str:
    return licence_label(item) or "its terms"


def _ehds(applies: bool, title: str, d: str, gathered: Gathered, out: Conflicts) -> None:
    if not applies:
        return
    profile = gathered.profile
    p = profile.purpose if profile else None
    if p is None:
        out.notes.append(
            f"{title} is health data under the EHDS: a permit is granted only for a purpose "
            "of art. 53(1); state yours"
        )
        return
    reg = f"{EHDS_REGULATION} (EHDS)"
    if p.ehds_prohibited:
        text = f"'{p.label}' is a purpose the EHDS prohibits for health data ({p.ehds_prohibited})"
        cite = f"{reg}, {p.ehds_prohibited}"
    elif not p.ehds_allowed:
        text = f"'{p.label}' is not among the purposes of art. 53(1) for which the EHDS allows "
        text += "secondary use of health data"
        cite = f"{reg}, art. 53(1)"
    elif (
        p.ehds_allowed in EHDS_PUBLIC_BODY_POINTS and profile and profile.org_type != "PublicSector"
    ):
        text = f"'{p.label}' falls under {p.ehds_allowed}, which the EHDS reserves for public "
        text += "sector bodies and Union institutions"
        cite = f"{reg}, {p.ehds_allowed}"
    else:
        return
    out.items.append(Conflict("ehds-purpose", (d,), f"{title}: {text}", (cite,)))


__all__ = ["Conflict", "Conflicts", "commercial_use", "conflicts"]
