"""Which share-alike licences can be honoured together, read from the licences' texts.

A share-alike (copyleft) licence says under which licences an adaptation may be released.
Material under several of them can go into one adaptation (one model, one output) only if
some licence is allowed by every one: the intersection of their *outlets*. Each row of
:data:`OUTLETS` lists the licences an adaptation of the keyed licence may carry, with the
clause it rests on; :func:`outlets` closes them transitively (CC BY-SA 3.0 -> 4.0 -> GPLv3).

Whether a trained model is an "adaptation", a "Derivative Database" or a "Produced Work" is
not settled by these texts; the catalogue answers the question a cautious developer asks:
*if* the model or its outputs are adaptations, can all these licences be honoured at once?
"""

from __future__ import annotations

from functools import cache

#: licence key -> (licences an adaptation may be released under, the clause that says so)
OUTLETS: dict[str, tuple[frozenset[str], str]] = {
    # CC BY-SA 1.0 §4(b): a Derivative Work only "under the terms of this License".
    "CC-BY-SA-1.0": (frozenset({"CC-BY-SA-1.0"}), "CC BY-SA 1.0 §4(b)"),
    # CC BY-SA 2.0 / 2.5 §4(b): this License, "a later version of this License with the
    # same License Elements", or an iCommons licence with the same elements.
    "CC-BY-SA-2.0": (
        frozenset({"CC-BY-SA-2.0", "CC-BY-SA-2.5", "CC-BY-SA-3.0", "CC-BY-SA-4.0"}),
        "CC BY-SA 2.0 §4(b)",
    ),
    "CC-BY-SA-2.5": (
        frozenset({"CC-BY-SA-2.5", "CC-BY-SA-3.0", "CC-BY-SA-4.0"}),
        "CC BY-SA 2.5 §4(b)",
    ),
    # CC BY-SA 3.0 §4(b): this License, a later version with the same elements, a port,
    # or a "Creative Commons Compatible License" (none declared for 3.0).
    "CC-BY-SA-3.0": (frozenset({"CC-BY-SA-3.0", "CC-BY-SA-4.0"}), "CC BY-SA 3.0 §4(b)"),
    # CC BY-SA 4.0 §3(b)(1): this licence, a later version, or a "BY-SA Compatible
    # License"; Creative Commons declared GPLv3 one (one-way) on 8 October 2015.
    "CC-BY-SA-4.0": (
        frozenset({"CC-BY-SA-4.0", "GPL-3.0-only"}),
        "CC BY-SA 4.0 §3(b)(1) and the BY-SA compatible licences (GPLv3)",
    ),
    # CC BY-NC-SA x §4(c)/§3(b): this licence or a later one with the same elements.
    "CC-BY-NC-SA-1.0": (frozenset({"CC-BY-NC-SA-1.0"}), "CC BY-NC-SA 1.0 §4(b)"),
    "CC-BY-NC-SA-2.0": (
        frozenset({"CC-BY-NC-SA-2.0", "CC-BY-NC-SA-2.5", "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0"}),
        "CC BY-NC-SA 2.0 §4(b)",
    ),
    "CC-BY-NC-SA-2.5": (
        frozenset({"CC-BY-NC-SA-2.5", "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0"}),
        "CC BY-NC-SA 2.5 §4(b)",
    ),
    "CC-BY-NC-SA-3.0": (
        frozenset({"CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0"}),
        "CC BY-NC-SA 3.0 §4(b)",
    ),
    "CC-BY-NC-SA-4.0": (frozenset({"CC-BY-NC-SA-4.0"}), "CC BY-NC-SA 4.0 §3(b)(1)"),
    # ODbL 1.0 §4.4: a publicly used Derivative Database under this License, a later
    # version "similar in spirit", or a licence ODC declares compatible (none declared).
    "ODbL-1.0": (frozenset({"ODbL-1.0"}), "ODbL 1.0 §4.4"),
    # GPLv3 §5(c): the whole work under this License; §13 only lets it be combined with
    # AGPLv3 code, which keeps its own licence.
    "GPL-3.0-only": (frozenset({"GPL-3.0-only"}), "GPL 3.0 §5(c)"),
    # LGPLv3 is GPLv3 plus additional permissions, which GPLv3 §7 lets a recipient remove:
    # it may be conveyed under GPLv3.
    "LGPL-3.0-only": (
        frozenset({"LGPL-3.0-only", "GPL-3.0-only"}),
        "LGPL 3.0 (additional permissions to GPL 3.0, removable under GPL 3.0 §7)",
    ),
    # GFDL 1.3 §5: combined only with documents released under this License (the §11
    # relicensing to CC BY-SA 3.0 is limited to wikis' content of before November 2008).
    "GFDL-1.3-only": (frozenset({"GFDL-1.3-only"}), "GFDL 1.3 §5"),
    # EUPL 1.0 and 1.1 §5: derivatives under this Licence or a compatible licence of their
    # appendix (GPLv2, OSL, EPL, CPL, CeCILL), none of them in the licence table.
    "EUPL-1.0": (frozenset({"EUPL-1.0"}), "EUPL 1.0 §5 and appendix"),
    "EUPL-1.1": (frozenset({"EUPL-1.1"}), "EUPL 1.1 §5 and appendix"),
    # EUPL 1.2 §5 "Compatibility clause" and its appendix: GPLv2/v3, AGPLv3, OSL, EPL,
    # CeCILL, MPL 2.0, LGPL 2.1/3.0, CC BY-SA 3.0 (for works other than software), EUPL
    # 1.1, LiLiQ-R/R+.
    "EUPL-1.2": (
        frozenset({"EUPL-1.2", "EUPL-1.1", "GPL-3.0-only", "LGPL-3.0-only", "CC-BY-SA-3.0"}),
        "EUPL 1.2 §5 compatibility clause and appendix",
    ),
    # IODL 1.0: derived data shared alike, under the same licence.
    "IODL-1.0": (frozenset({"IODL-1.0"}), "IODL 1.0 share-alike condition"),
}


@cache
def outlets(key: str) -> frozenset[str]:
    """Every licence an adaptation of ``key`` may end up under (transitively)."""
    if key not in OUTLETS:
        return frozenset({key})
    seen = set(OUTLETS[key][0]) | {key}
    todo = list(seen)
    while todo:
        for nxt in OUTLETS.get(todo.pop(), (frozenset(),))[0]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


def clause(key: str) -> str:
    return OUTLETS[key][1] if key in OUTLETS else f"{key} (no compatibility clause recorded)"


def common_licences(keys: set[str]) -> frozenset[str]:
    """The licences every one of ``keys`` lets an adaptation carry (empty: a clash)."""
    sets = [outlets(k) for k in keys]
    return frozenset.intersection(*sets) if sets else frozenset()


__all__ = ["OUTLETS", "clause", "common_licences", "outlets"]
