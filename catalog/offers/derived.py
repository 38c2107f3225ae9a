"""Whether a dataset's terms allow data derived from it: the one reading, for synthetic previews.

A synthetic preview (:mod:`catalog.samples.synthetic`) is data derived from the real sample.
Whether the dataset's terms allow that is decided here, once, from the facts every part of the
catalogue reads (:class:`~catalog.facts.DatasetFacts`) and the licence table; the steward's
switch (refused with the reasons) and every serving of a preview (refused even when a stale
switch says on) both call :func:`derived_data_terms`.

Derived data are **refused** when:

* a licence prohibits derivatives (``CC BY-ND``, ``CC BY-NC-ND``, ELRA evaluation, META-SHARE
  ``-ND``...), or is mapped but does not grant them; a licence IRI the table does not know,
  or a licence given only as text, cannot be read here, so it is refused too (map it with
  ``datalab licence add``);
* an ODRL policy prohibits an action that covers derivatives (``odrl:derive``,
  ``odrl:modify``, ``cc:DerivativeWorks``, ``odrl:use``), even under a constraint: a preview
  is shown to every visitor, so a prohibition that applies to some of them applies; a
  policy that grants permissions, none of them covering derivatives without a constraint,
  grants none; a policy the catalogue cannot read is refused;
* the EHDS applies (Regulation (EU) 2025/327, health data reached through a health data
  access body, or non-public data under the EHDS): secondary use of electronic health data,
  which generating data from them is, happens only under a data permit or an approved
  health data request (art. 61(1), 68, 69), inside a secure processing environment from
  which only non-personal data leave (art. 73, recital 77). A steward's switch on a public
  page is neither, so the catalogue never makes one.

With no licence and no policy nothing forbids it: the data holder's steward decides.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from catalog.facts import DatasetFacts
from catalog.offers.licences import LicenceTable
from catalog.offers.odrl import Rule
from catalog.offers.rules.policy import rule_uses

EHDS = "Regulation (EU) 2025/327 (EHDS)"
#: The Creative Commons rights vocabulary ODRL policies borrow (``cc:DerivativeWorks``).
CC = "http://creativecommons.org/ns#"


def _derives(rule: Rule) -> bool:
    """Whether the rule's actions cover derivatives (the offers' one action mapping, with
    ``cc:`` IRIs read as their local names)."""
    actions = tuple(a.removeprefix(CC) for a in rule.actions)
    return "derivatives" in rule_uses(replace(rule, actions=actions))[0]


@dataclass(frozen=True)
class DerivedDataTerms:
    """Whether the terms allow derived data, and why (every reason that refuses, or the one
    that allows)."""

    allowed: bool
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def to_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "reasons": list(self.reasons)}


def _licence_reasons(facts: DatasetFacts, table: LicenceTable) -> list[str]:
    out: list[str] = []
    for iri in facts.licences:
        terms = table.lookup(iri)
        if terms is None:
            out.append(
                f"the licence {iri} is not in the licence table, so whether it allows derived "
                "data cannot be read here (an operator may map it: datalab licence add)"
            )
        elif "derivatives" in terms.prohibits:
            out.append(f"the licence {terms.label} prohibits derivative works")
        elif "derivatives" not in terms.permits:
            out.append(f"the licence {terms.label} does not grant derivative works")
    for text in facts.licence_texts:
        out.append(
            f"the licence is given only as text (“{text[:200]}”): a person must read whether "
            "it allows derived data"
        )
    return out


def _policy_reasons(facts: DatasetFacts) -> list[str]:
    out = [f"the dataset's policy cannot be read ({e})" for e in facts.policy_errors]
    for policy in facts.policies:
        for rule in policy.prohibitions:
            if _derives(rule):
                when = " under a constraint" if rule.constraints else ""
                out.append(
                    f"the dataset's ODRL policy prohibits {', '.join(rule.actions)}{when}, "
                    "which covers derived data"
                )
        if policy.permissions and not any(
            _derives(rule) and not rule.constraints for rule in policy.permissions
        ):
            granted = sorted({a for rule in policy.permissions for a in rule.actions})
            out.append(
                f"the dataset's ODRL policy permits {', '.join(granted)} but no derivation "
                "for everyone"
            )
    return out


def _ehds_reasons(facts: DatasetFacts) -> list[str]:
    if not facts.ehds_applies:
        return []
    body = facts.health.body if facts.health else "the health data access body"
    return [
        f"the data are electronic health data under the {EHDS}: generating data from them is "
        f"secondary use, allowed only under a data permit or health data request from {body} "
        "(art. 61(1), 68, 69) inside a secure processing environment (art. 73)"
    ]


def derived_data_terms(facts: DatasetFacts, table: LicenceTable) -> DerivedDataTerms:
    """Whether the dataset's terms allow data derived from its sample (see the module)."""
    reasons = [*_ehds_reasons(facts), *_licence_reasons(facts, table), *_policy_reasons(facts)]
    if reasons:
        return DerivedDataTerms(False, tuple(reasons))
    if facts.licences:
        why = "every licence of the dataset grants derivative works"
    elif facts.policies:
        why = "the dataset's ODRL policy permits derivation"
    else:
        why = "the dataset states no licence or policy that forbids derived data"
    return DerivedDataTerms(True, (why,))
