"""The requester's purpose against everything the other rules permitted."""

from __future__ import annotations

from catalog.offers.rules.dataset import EHDS
from catalog.offers.rules.state import State


def ai_training_settled(s: State) -> None:
    """A licence that neither permits nor prohibits AI training leaves it to a person."""
    lic = s.licence
    if lic is not None and "ai-training" not in lic.permits | lic.prohibits:
        s.add("ai-training", "review", f"whether {lic.label} allows AI training is unsettled")


def purpose(s: State) -> None:
    """The stated purpose: the EHDS lists, commercial use, AI training."""
    p = s.profile.purpose if s.profile else None
    if p is None:
        return
    f = s.facts
    if f.ehds_applies and p.ehds_prohibited:
        s.add(
            "purpose",
            "block",
            f"'{p.label}' is a purpose the {EHDS} prohibits for secondary use of health data "
            f"({p.ehds_prohibited})",
        )
    elif f.health_route and not p.ehds_allowed:
        s.add(
            "purpose",
            "block",
            f"'{p.label}' is not among the purposes for which the {EHDS} allows secondary "
            "use of health data (art. 53(1))",
        )
    elif f.health_route:
        s.add(
            "purpose",
            "ok",
            f"'{p.label}' is a secondary-use purpose the {EHDS} allows ({p.ehds_allowed})",
        )
    if p.commercial and "commercial" not in s.permits:
        s.add(
            "purpose", "block", f"'{p.label}' is commercial; the terms do not permit commercial use"
        )
    if p.ai_training and "ai-training" not in s.permits:
        s.add(
            "purpose",
            "block",
            f"'{p.label}' needs AI training, which the terms do not permit"
            + (" (text and data mining is reserved)" if f.tdm_reserved else ""),
        )
    if not s.blocked("purpose"):
        s.add("purpose", "ok", f"the purpose '{p.label}' is compatible with the terms")
