"""The lab's side of an offer: the access mode it runs, its own policy, who it serves."""

from __future__ import annotations

from catalog.offers.geography import area_contains, describe_area
from catalog.offers.org_types import ORG_TYPE_LABELS
from catalog.offers.rules.state import MODE_LABEL, MODE_ORDER, State


def access_mode(s: State) -> None:
    """The first access mode the dataset allows and the lab runs."""
    mode = next((m for m in MODE_ORDER if m in s.allowed and m in s.lab.access_modes), None)
    if mode == "SyntheticDataOnly" and "derivatives" not in s.permits:
        s.add(
            "access-mode",
            "block",
            f"{s.name} only offers synthetic data, which the terms' no-derivatives rule rules out",
        )
        return
    if mode is None:
        runs = ", ".join(MODE_LABEL[m] for m in s.lab.access_modes) or "no access mode"
        if s.facts.health_route:
            what = (
                "health data under a data permit is processed only in a secure processing "
                "environment"
            )
        else:
            need = ", ".join(MODE_LABEL[m] for m in MODE_ORDER if m in s.allowed) or "none"
            what = f"the dataset allows {need}"
        s.add("access-mode", "block", f"{what}; {s.name} runs {runs}")
        return
    s.mode = mode
    s.add(
        "access-mode",
        "ok" if mode == "Download" else "condition",
        f"{s.name} offers it by {MODE_LABEL[mode]}",
    )
    if mode == "SyntheticDataOnly":
        s.permits.discard("distribution")


def lab_policy(s: State) -> None:
    """Uses the lab's own policy excludes."""
    for use in s.lab.prohibited_purposes:
        s.forbid({use})
        s.add("lab-policy", "condition", f"{s.name}'s own policy excludes {use} use")


def eligibility(s: State) -> None:
    """The requester's organisation type and country must be ones the lab serves."""
    p = s.profile
    if p is None:
        return
    if p.org_type:
        label = ORG_TYPE_LABELS.get(p.org_type, p.org_type)
        served = p.org_type in s.lab.eligible_org_types
        s.add(
            "eligibility",
            "ok" if served else "block",
            f"{s.name} {'serves' if served else 'does not serve'} {label} requesters",
        )
    if p.country:
        ok = any(area_contains(area, p.country) for area in s.lab.eligible_countries)
        s.add(
            "eligibility",
            "ok" if ok else "block",
            f"requesters established in {describe_area(p.country)} are "
            f"{'' if ok else 'not '}eligible at {s.name}",
        )
