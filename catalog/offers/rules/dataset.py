"""The dataset's side of an offer: data space, access rights, the EHDS route, licence."""

from __future__ import annotations

from catalog.dataspaces import builtin_data_spaces
from catalog.facts import ACCESS_CODES
from catalog.offers.geography import describe_area
from catalog.offers.rules.state import State

EHDS = "Regulation (EU) 2025/327 (EHDS)"


def _space_label(space: str) -> str:
    known = builtin_data_spaces().get(space)
    return known.label("en") if known else space


def data_space(s: State) -> None:
    """The lab must be linked to a data space the dataset belongs to."""
    links = s.facts.data_spaces
    if not links:
        s.add(
            "data-space",
            "review",
            "the dataset names no data space (neither its source nor its themes place it in "
            "one), so no lab link can be checked",
        )
        return
    linked = [link for link in links if link.space in s.lab.data_spaces]
    if linked:
        link = linked[0]
        s.add(
            "data-space",
            "ok",
            f"{s.name} is linked to the {_space_label(link.space)} ({link.space}), "
            f"which the dataset belongs to: {link.how}",
        )
        return
    names = ", ".join(f"{_space_label(x.space)} ({x.how})" for x in links)
    s.add("data-space", "block", f"{s.name} is not linked to the dataset's data space: {names}")


def access_rights(s: State) -> None:
    """PUBLIC, RESTRICTED or NON_PUBLIC; contradictions and unknown values need review."""
    f = s.facts
    if f.access_conflict:
        s.add(
            "access-rights",
            "review",
            "the record states contradictory access rights ("
            + " and ".join(f.access_values)
            + f"); the most closed one ({ACCESS_CODES.get(f.access_level, f.access_level)}) "
            "holds until a person resolves the contradiction",
        )
    elif f.access_level == "unknown":
        s.add(
            "access-rights",
            "review",
            f"the access rights {', '.join(f.access_values)} are not understood"
            if f.access_values
            else "the dataset states no access rights (PUBLIC, RESTRICTED or NON_PUBLIC)",
        )
    if f.access_level == "public":
        if not f.access_conflict:
            s.add("access-rights", "ok", "the dataset is public")
    elif f.access_level == "restricted":
        s.add(
            "access-rights",
            "condition",
            "the dataset is restricted: access only under an agreement with the data holder",
        )
        if not f.health_route:
            s.steps_first.append("agree the restricted access with the data holder")
    else:  # non_public or unknown: never a download
        s.allowed.discard("Download")
        if f.access_level == "non_public":
            s.add(
                "access-rights",
                "condition",
                "the dataset is non-public: no download; only controlled processing",
            )
    if f.personal_data and f.access_level != "public" and not f.health_route:
        s.allowed.discard("Download")
        s.add("personal-data", "condition", "the dataset holds personal data: no download")


def health_route(s: State) -> None:
    """Health data held through a health data access body: the EHDS data permit route."""
    f = s.facts
    if not f.health_route or f.health is None:
        return
    h = f.health
    s.route = "ehds-data-permit"
    s.allowed &= {"SecureProcessingEnvironment"}
    s.forbid({"distribution"})
    where = (
        f"the health data access body of {describe_area(h.holder_country)}, where the data "
        "holder is established"
        if h.holder_country
        else "the health data access body of the member state where the data holder is established"
    )
    s.steps_first.append(
        f"apply to {h.body} ({where}) for a data permit; for anonymised statistics only, "
        "a health data request to the same body is enough"
    )
    requester = s.profile.country if s.profile else None
    if requester and h.holder_country and requester != h.holder_country:
        s.steps_first.append(
            f"as a requester established in {describe_area(requester)}, submit one application "
            f"through HealthData@EU (or to one of the bodies concerned), which passes it to "
            f"{h.body}"
        )
    s.steps_last.append(
        f"process the pseudonymised data only inside {s.name}'s secure processing "
        "environment; only anonymised results leave it"
    )  # the lab's own step for that mode, if any, comes first (see State.procedure)
    s.add(
        "health-route",
        "condition",
        f"health data under the {EHDS}: access by a data permit from {h.body}, processed only "
        "in a secure processing environment; the permit, not a licence, sets the terms",
    )
    if s.profile is None or s.profile.purpose is None:
        s.constraints.append(
            f"only for a secondary-use purpose the {EHDS} allows (art. 53(1)) and never for "
            "one it prohibits (art. 54)"
        )


def licence(s: State) -> None:
    """The licence (of the dataset and its distributions) from the licence table."""
    f = s.facts
    if f.licence_texts:
        quoted = "; ".join(f"“{t[:200]}”" for t in f.licence_texts)
        s.add(
            "licence",
            "review",
            f"the licence is given only as text ({quoted}): a person must read it",
        )
        return
    if not f.licences:
        if f.health_route:
            s.add("licence", "ok", "no licence is needed: the data permit sets the terms")
        elif f.policies:
            s.add(
                "licence", "ok", "the dataset declares no licence; its ODRL policy sets the terms"
            )
        else:
            s.add("licence", "review", "the dataset declares no licence, so its terms are unknown")
        return
    mapped = [(iri, s.table.lookup(iri)) for iri in f.licences]
    unknown = [iri for iri, m in mapped if m is None]
    if unknown:
        s.add("licence", "review", f"licence {', '.join(unknown)} is not in the licence table")
        return
    known = [m for _, m in mapped if m is not None]
    if len({(m.permits, m.prohibits, m.requires) for m in known}) > 1:
        s.add(
            "licence",
            "review",
            "the dataset and its distributions declare contradictory licences: "
            + ", ".join(m.label for m in known),
        )
        return
    lic = s.licence = known[0]
    s.permits &= set(lic.permits)
    s.prohibits |= set(lic.prohibits)
    s.duties += sorted(lic.requires)
    s.add(
        "licence",
        "ok",
        f"licence {lic.label} permits {', '.join(sorted(lic.permits)) or 'nothing'}"
        + (f"; prohibits {', '.join(sorted(lic.prohibits))}" if lic.prohibits else "")
        + (f"; requires {', '.join(sorted(lic.requires))}" if lic.requires else ""),
    )
