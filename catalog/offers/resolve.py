"""Offer resolution: for one dataset and one data lab, a verdict, its rule trace, the terms.

Each rule adds one plain-words reason with an outcome: ``ok``, ``condition`` (the lab may
offer, under that condition), ``review`` (a person must look: unknown or contradictory
terms) or ``block`` (the lab may not offer). The verdict is the worst outcome, in the order
block > review > condition > ok; so unknown or contradictory terms never give ``may_offer``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from catalog.offers.dataset_terms import ACCESS_RIGHTS, DatasetTerms
from catalog.offers.licences import USES, LicenceTable, LicenceTerms
from catalog.offers.odrl import NOT_SATISFIED, SATISFIED, evaluate_constraint
from catalog.offers.profiles import EU_MEMBERS, RequesterProfile
from catalog.registry.model import DataLab

MAY_OFFER = "may_offer"
CONDITIONS = "may_offer_under_conditions"
MAY_NOT = "may_not_offer"
REVIEW = "needs_review"
_RANK = {"ok": 0, "condition": 1, "review": 2, "block": 3}
_VERDICT = {0: MAY_OFFER, 1: CONDITIONS, 2: REVIEW, 3: MAY_NOT}
#: Access modes, least restrictive first; the offer uses the first one both sides allow.
MODE_ORDER = ("Download", "FederatedExecution", "SecureProcessingEnvironment", "SyntheticDataOnly")
MODE_LABEL = {
    "Download": "download",
    "FederatedExecution": "federated or remote execution",
    "SecureProcessingEnvironment": "secure processing environment",
    "SyntheticDataOnly": "synthetic data only",
    "MetadataOnly": "metadata only",
}
_DUTY_ACTIONS = {"attribute", "attribution", "notice"}  # light duties: no conditions


@dataclass(frozen=True)
class Reason:
    """One step of the rule trace."""

    rule: str
    outcome: str
    text: str


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
            "terms": {
                "permissions": self.permissions,
                "prohibitions": self.prohibitions,
                "duties": self.duties,
                "constraints": self.constraints,
                "access_mode": self.access_mode,
                "procedure": [f"{i}. {s}" for i, s in enumerate(self.procedure, start=1)],
            },
        }


class _Trace:
    def __init__(self) -> None:
        self.reasons: list[Reason] = []

    def add(self, rule: str, outcome: str, text: str) -> None:
        self.reasons.append(Reason(rule, outcome, text))

    @property
    def worst(self) -> int:
        return max((_RANK[r.outcome] for r in self.reasons), default=0)


def _licences(t: DatasetTerms, table: LicenceTable, tr: _Trace) -> LicenceTerms | None:
    if not t.licences:
        if t.policies:
            tr.add("licence", "ok", "dataset declares no licence; its ODRL policy sets the terms")
            return None
        tr.add("licence", "review", "dataset declares no licence, so its terms are unknown")
        return None
    mapped = [(iri, table.lookup(iri)) for iri in t.licences]
    unknown = [iri for iri, m in mapped if m is None]
    if unknown:
        tr.add("licence", "review", f"licence {', '.join(unknown)} is not in the licence table")
        return None
    known = [m for _, m in mapped if m is not None]
    if len({(m.permits, m.prohibits) for m in known}) > 1:
        tr.add(
            "licence",
            "review",
            "dataset and distributions declare contradictory licences: "
            + ", ".join(m.label for m in known),
        )
        return None
    lic = known[0]
    tr.add(
        "licence",
        "ok",
        f"licence {lic.label} permits {', '.join(sorted(lic.permits))}"
        + (f"; prohibits {', '.join(sorted(lic.prohibits))}" if lic.prohibits else ""),
    )
    return lic


def resolve(
    terms: DatasetTerms,
    lab: DataLab,
    table: LicenceTable,
    profile: RequesterProfile | None = None,
    now: datetime | None = None,
) -> Offer:
    """Resolve one dataset for one lab (and optionally one requester)."""
    tr = _Trace()
    name = lab.name or lab.id
    permits = set(USES)
    prohibits: set[str] = set()
    duties: list[str] = list(lab.duties)
    constraints: list[str] = []
    steps: list[str] = []

    # 1. data space link
    if terms.data_space is None:
        tr.add("data-space", "review", "dataset names no data space, so no lab link can be checked")
    elif terms.data_space in lab.data_spaces:
        how = (
            f" (inferred from {terms.data_space_inferred_from})"
            if terms.data_space_inferred_from
            else ""
        )
        tr.add("data-space", "ok", f"{name} is linked to the {terms.data_space} data space{how}")
    else:
        tr.add(
            "data-space",
            "block",
            f"{name} is not linked to the {terms.data_space} data space of this dataset",
        )

    # 2. licence
    lic = _licences(terms, table, tr)
    if lic is not None:
        permits &= set(lic.permits)
        prohibits |= set(lic.prohibits)
        duties += sorted(lic.requires)

    # 3. access rights -> allowed modes
    allowed = set(MODE_ORDER)
    ar = terms.access_rights
    if ar is None:
        tr.add(
            "access-rights",
            "review",
            "dataset states no access rights (PUBLIC, RESTRICTED or NON_PUBLIC)",
        )
    elif ar not in ACCESS_RIGHTS:
        tr.add("access-rights", "review", f"access rights {ar} are unknown or contradictory")
    elif ar == "PUBLIC":
        tr.add("access-rights", "ok", "dataset is PUBLIC")
    elif ar == "RESTRICTED":
        tr.add(
            "access-rights",
            "condition",
            "dataset is RESTRICTED: access only under an agreement with the data holder",
        )
        steps.append("agreement with the data holder on the restricted access")
    else:
        allowed -= {"Download"}
        tr.add(
            "access-rights",
            "condition",
            "dataset is NON_PUBLIC: no download; only controlled processing or synthetic data",
        )

    # 4. health data access route (HealthDCAT-AP / EHDS)
    if terms.health_access_route:
        allowed &= {"SecureProcessingEnvironment", "SyntheticDataOnly"}
        steps.insert(0, f"data permit from the health data access body ({terms.hdab})")
        tr.add(
            "health-route",
            "condition",
            f"health data: a data permit from {terms.hdab} is "
            "needed and processing happens only in a secure processing environment",
        )
    elif terms.personal_data and ar != "PUBLIC":
        allowed -= {"Download"}
        tr.add("personal-data", "condition", "dataset holds personal data: no download")

    # 5. dataset ODRL policies
    ctx = {"dateTime": now or datetime.now(UTC), "spatial": ["EU", *lab.eligible_countries]}
    for err in terms.policy_errors:
        tr.add("policy", "review", f"dataset policy cannot be read: {err}")
    for pol in terms.policies:
        permitted = {a for r in pol.permissions for a in r.actions if not r.constraints}
        banned = {a for r in pol.prohibitions for a in r.actions if not r.constraints}
        clash = permitted & banned
        if clash:
            tr.add(
                "policy",
                "review",
                f"dataset policy both permits and prohibits "
                f"{', '.join(sorted(clash))}: contradictory terms",
            )
        for r in pol.prohibitions:
            if {"distribute", "Distribution", "reproduce"} & set(r.actions):
                allowed -= {"Download"}
                permits.discard("distribution")
                tr.add("policy", "condition", "dataset policy prohibits distribution: no download")
            elif "use" in r.actions and not r.constraints and "use" not in clash:
                tr.add("policy", "block", "dataset policy prohibits any use")
        for r in pol.permissions:
            for c in r.constraints:
                st = evaluate_constraint(c, ctx)
                if st == NOT_SATISFIED and c.left in ("dateTime", "spatial"):
                    tr.add(
                        "policy",
                        "block",
                        f"dataset policy constraint {c.describe()} is not met by {name}",
                    )
                elif st != SATISFIED:
                    constraints.append(c.describe())
            duties += [a for d in r.duties for a in d.actions]
        if any(r.constraints for r in pol.permissions) and constraints:
            tr.add(
                "policy",
                "condition",
                "dataset policy constraints carried into the offer: " + "; ".join(constraints),
            )

    # 6. text-and-data-mining rights reservation
    if terms.tdm_reserved:
        permits -= {"tdm", "ai-training"}
        prohibits |= {"tdm", "ai-training"}
        tr.add(
            "tdm",
            "condition",
            "rights holder reserved text and data mining (DSM Directive "
            "art. 4(3)): no mining or AI training without their licence",
        )
    if lic is not None and "ai-training" not in lic.permits | lic.prohibits:
        tr.add("ai-training", "review", f"whether {lic.label} allows AI training is unsettled")

    # 7. the lab's access modes
    mode = next((m for m in MODE_ORDER if m in allowed and m in lab.access_modes), None)
    if mode == "SyntheticDataOnly" and "derivatives" not in permits:
        mode = None
        tr.add(
            "access-mode",
            "block",
            f"{name} only offers synthetic data, which the licence's no-derivatives term rules out",
        )
    elif mode is None:
        runs = ", ".join(MODE_LABEL[m] for m in lab.access_modes) or "no access mode"
        need = ", ".join(MODE_LABEL[m] for m in MODE_ORDER if m in allowed) or "none"
        what = (
            "dataset is RESTRICTED health data"
            if terms.health_access_route
            else f"dataset allows {need}"
        )
        tr.add("access-mode", "block", f"{what}; {name} runs {runs}")
    else:
        outcome = "ok" if mode == "Download" else "condition"
        tr.add("access-mode", outcome, f"{name} offers it by {MODE_LABEL[mode]}")
        if mode == "SyntheticDataOnly":
            permits -= {"distribution"}

    # 8. the lab's own policy
    for p in lab.prohibited_purposes:
        prohibits.add(p)
        permits.discard(p)
        tr.add("lab-policy", "condition", f"{name}'s own policy excludes {p} use")

    # 9. requester profile
    if profile is not None:
        _profile_rules(profile, lab, terms, permits, prohibits, tr)

    lab_steps = [s.label for s in lab.procedure if s.applies_to in (None, mode)]
    procedure = (
        [*steps[:1], *lab_steps, *steps[1:]] if terms.health_access_route else [*steps, *lab_steps]
    )
    verdict = _VERDICT[tr.worst]
    if verdict == MAY_OFFER and (set(duties) - _DUTY_ACTIONS - {"attribution"} or constraints):
        verdict = CONDITIONS
    return Offer(
        terms.dataset_id or terms.iri,
        lab,
        verdict,
        tr.reasons,
        permissions=sorted(permits - prohibits) if verdict in (MAY_OFFER, CONDITIONS) else [],
        prohibitions=sorted(prohibits),
        duties=sorted(set(duties)),
        constraints=constraints,
        access_mode=mode if verdict in (MAY_OFFER, CONDITIONS) else None,
        procedure=procedure if verdict in (MAY_OFFER, CONDITIONS) else [],
    )


def _profile_rules(
    profile: RequesterProfile,
    lab: DataLab,
    terms: DatasetTerms,
    permits: set[str],
    prohibits: set[str],
    tr: _Trace,
) -> None:
    name = lab.name or lab.id
    if profile.org_type:
        if profile.org_type in lab.eligible_org_types:
            tr.add("eligibility", "ok", f"{name} serves {profile.org_type} requesters")
        else:
            tr.add("eligibility", "block", f"{name} does not serve {profile.org_type} requesters")
    if profile.country:
        countries = set(lab.eligible_countries)
        ok = profile.country in countries or ("EU" in countries and profile.country in EU_MEMBERS)
        tr.add(
            "eligibility",
            "ok" if ok else "block",
            f"requesters from {profile.country} are {'' if ok else 'not '}eligible at {name}",
        )
    p = profile.purpose
    if p is None:
        return
    if p.commercial and "commercial" not in permits:
        tr.add(
            "purpose",
            "block",
            f"purpose '{p.label}' is commercial; commercial use is not permitted",
        )
    if p.ai_training and "ai-training" not in permits:
        tr.add(
            "purpose",
            "block",
            f"purpose '{p.label}' needs AI training, which is not "
            "permitted" + (" (text-and-data-mining reserved)" if terms.tdm_reserved else ""),
        )
    if terms.health_access_route and not p.ehds_allowed:
        tr.add("purpose", "block", f"'{p.label}' is a purpose the EHDS prohibits for secondary use")
    if not any(r.rule == "purpose" and r.outcome == "block" for r in tr.reasons):
        tr.add("purpose", "ok", f"purpose '{p.label}' is compatible with the terms")
