"""Purposes a requester states, what DPV calls them, and what the EHDS says about them.

Each :class:`Purpose` carries the DPV purpose concepts it is an instance of (``iris``), so
that an ODRL ``purpose`` constraint written with DPV terms can be evaluated with
:func:`covers`: a policy value covers a purpose when it is one of the purpose's concepts or
an ancestor of one in the DPV purpose hierarchy encoded in ``_BROADER`` (DPV 2.1,
``https://w3id.org/dpv``, ``skos:broader``). Where DPV has no concept the project's own
``dlab:`` terms stand in (``dlab:AITraining`` is declared in ``schemas/vocab/datalab.ttl``).

Reading choices (tested in ``tests/catalog/offers/test_purposes.py``):

- A purpose is the conjunction of its concepts, so a policy value covers it when it covers
  any of them: non-commercial AI training is both ``dlab:AITraining`` and
  ``dpv:NonCommercialResearch``, so ``purpose eq dpv:ResearchAndDevelopment`` covers it.
- Commercial AI model training, fine-tuning and evaluation, and commercial product work, are
  *not* filed under ``dpv:ResearchAndDevelopment``: a holder who permits "research and
  development" is read as permitting research, not product building. A company doing
  research states ``commercial-research`` (``dpv:CommercialResearch``), which R&D covers.
- ``ai_training`` is the broad text-and-data-mining flag (training, fine-tuning *or*
  evaluating a model), while the hierarchy is narrower: ``dlab:AIFineTuning`` is a kind of
  ``dlab:AITraining`` but ``dlab:AIEvaluation`` is not, so a policy naming
  ``dlab:AITraining`` does not by itself name evaluation.

EHDS (Regulation (EU) 2025/327), secondary use of electronic health data:

- ``ehds_allowed`` names the point of art. 53(1) a purpose *can* fall under when the data
  are health data and the work relates to health or care; the health data access body still
  judges each application. Points (a) to (c) are reserved by art. 53 for public sector
  bodies and Union institutions (see :data:`EHDS_PUBLIC_BODY_POINTS`). Point (e) is
  scientific research related to health or care that contributes to public health or health
  technology assessment, or ensures high quality and safety of healthcare, medicinal
  products or medical devices, "including" (i) development and innovation activities for
  products or services and (ii) training, testing and evaluation of algorithms, including
  in medical devices, in vitro diagnostic medical devices, AI systems and digital health
  applications. Commercial AI training, fine-tuning and evaluation therefore fall under
  (e)(ii) and commercial product work under (e)(i): the regulation opens secondary use to
  private entities, but only inside (e)'s research conditions, which the body checks.
- ``ehds_prohibited`` names the point that forbids it. Art. 54 has no numbered paragraphs
  in the final text, so its points are cited as ``art. 54(a)`` to ``art. 54(e)``: (a)
  detrimental decisions, (b) decisions on job offers, terms for goods or services,
  insurance or credit, (c) advertising or marketing, (d) harmful products or services,
  (e) activities against ethical provisions of national law. Giving access to third
  parties not named in the permit is not in art. 54 of the final text (it was in the
  Commission proposal's list); it is a duty of health data users in art. 61(2).
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.errors import InvalidInput
from catalog.namespaces import DLAB, DPV

EHDS_REGULATION = "Regulation (EU) 2025/327"
#: Art. 53(1) points reserved for public sector bodies and Union institutions.
EHDS_PUBLIC_BODY_POINTS = frozenset({"art. 53(1)(a)", "art. 53(1)(b)", "art. 53(1)(c)"})

_DPV = str(DPV)
_DLAB = str(DLAB)
_LEGACY_DPV = "http://www.w3.org/ns/dpv#"  # DPV's namespace before it moved to w3id.org
#: Namespaces of the table below; ``edu:`` and ``fin:`` are DPV 2.1's sector extensions.
_TABLE_PREFIXES = {
    "dpv": _DPV,
    "dlab": _DLAB,
    "edu": "https://w3id.org/dpv/sector/education#",
    "fin": "https://w3id.org/dpv/sector/finance#",
}
#: Prefixes accepted in values from outside (policies, API, CLI).
_INPUT_PREFIXES = {"dpv": _DPV, "dlab": _DLAB}

#: concept -> its direct broader concepts. DPV 2.1 rows are as DPV states them; ``dlab:``
#: rows are the project's own and sit directly under ``dpv:Purpose`` unless stated.
_BROADER_TABLE: dict[str, tuple[str, ...]] = {
    "dpv:Purpose": (),
    # research
    "dpv:ResearchAndDevelopment": ("dpv:Purpose",),
    "dpv:AcademicResearch": ("dpv:ResearchAndDevelopment",),
    "dpv:ScientificResearch": ("dpv:ResearchAndDevelopment",),
    "dpv:CommercialResearch": ("dpv:ResearchAndDevelopment", "dpv:CommercialPurpose"),
    "dpv:NonCommercialResearch": ("dpv:ResearchAndDevelopment", "dpv:NonCommercialPurpose"),
    "dpv:CommercialPurpose": ("dpv:Purpose",),
    "dpv:NonCommercialPurpose": ("dpv:Purpose",),
    # public benefit
    "dpv:PublicBenefit": ("dpv:Purpose",),
    "dpv:ImproveHealthcare": ("dpv:PublicBenefit",),
    "dpv:ImprovePublicServices": ("dpv:PublicBenefit",),
    "dpv:ProvideOfficialStatistics": ("dpv:PublicBenefit",),
    "dpv:PublicPolicyMaking": ("dpv:PublicBenefit",),
    "dpv:DataAltruism": ("dpv:PublicBenefit",),
    # marketing
    "dpv:Marketing": ("dpv:Purpose",),
    "dpv:Advertising": ("dpv:Marketing",),
    "dpv:DirectMarketing": ("dpv:Marketing",),
    "dpv:SocialMediaMarketing": ("dpv:Marketing",),
    "dpv:PublicRelations": ("dpv:Marketing",),
    "dpv:Personalisation": ("dpv:Purpose",),
    "dpv:PersonalisedAdvertising": ("dpv:Personalisation", "dpv:Advertising"),
    "dpv:TargetedAdvertising": ("dpv:PersonalisedAdvertising",),
    # services and products
    "dpv:ServiceProvision": ("dpv:Purpose",),
    "dpv:ServiceOptimisation": ("dpv:ServiceProvision",),
    "dpv:OptimisationForController": ("dpv:ServiceOptimisation",),
    "dpv:ImproveExistingProductsAndServices": ("dpv:OptimisationForController",),
    "dpv:SellProducts": ("dpv:ServiceProvision",),
    "dpv:SellDataToThirdParties": ("dpv:SellProducts",),
    "dpv:SellInsightsFromData": ("dpv:SellProducts",),
    # people and customers
    "dpv:HumanResourceManagement": ("dpv:Purpose",),
    "dpv:PersonnelManagement": ("dpv:HumanResourceManagement",),
    "dpv:PersonnelHiring": ("dpv:PersonnelManagement",),
    "dpv:CustomerManagement": ("dpv:Purpose",),
    "dpv:CustomerSolvencyMonitoring": ("dpv:CustomerManagement",),
    # DPV 2.1 sector extensions
    "edu:EducationManagement": ("dpv:Purpose",),
    "edu:ServiceProvision": ("edu:EducationManagement", "dpv:ServiceProvision"),
    "fin:FinancialServiceManagement": ("dpv:Purpose",),
    "fin:CreditChecking": ("fin:FinancialServiceManagement",),
    "fin:InsuranceManagement": ("dpv:Purpose",),
    "fin:InsuranceEligibilityAssessment": ("fin:InsuranceManagement",),
    "fin:InsurancePricingManagement": ("fin:InsuranceManagement",),
    # the project's own purposes (no DPV concept)
    "dlab:AITraining": ("dpv:Purpose",),
    "dlab:AIFineTuning": ("dlab:AITraining",),
    "dlab:AIEvaluation": ("dpv:Purpose",),
    "dlab:DetrimentalDecision": ("dpv:Purpose",),
    "dlab:DiscriminatoryDecision": ("dlab:DetrimentalDecision",),
    "dlab:InsuranceOrCreditDecision": ("dlab:DiscriminatoryDecision",),
    "dlab:HarmfulProductDevelopment": ("dpv:Purpose",),
    "dlab:ActivityAgainstNationalEthics": ("dpv:Purpose",),
    "dlab:UnlistedThirdPartyAccess": ("dpv:Purpose",),
}


def _from_table(curie: str) -> str:
    prefix, name = curie.split(":", 1)
    return _TABLE_PREFIXES[prefix] + name


_BROADER: dict[str, tuple[str, ...]] = {
    _from_table(k): tuple(_from_table(b) for b in v) for k, v in _BROADER_TABLE.items()
}


@dataclass(frozen=True)
class Purpose:
    """A purpose a requester states, with its DPV concepts and its EHDS status."""

    key: str
    label: str
    iris: tuple[str, ...]
    commercial: bool
    ai_training: bool
    ehds_allowed: str | None
    ehds_prohibited: str | None


def _p(
    key: str,
    label: str,
    iris: tuple[str, ...],
    *,
    commercial: bool,
    ai: bool = False,
    allowed: str | None = None,
    prohibited: str | None = None,
) -> Purpose:
    return Purpose(
        key, label, tuple(_from_table(i) for i in iris), commercial, ai, allowed, prohibited
    )


_E_I, _E_II = "art. 53(1)(e)(i)", "art. 53(1)(e)(ii)"
PURPOSES: dict[str, Purpose] = {
    p.key: p
    for p in (
        # research
        _p(
            "academic-research",
            "academic research",
            ("dpv:AcademicResearch", "dpv:ScientificResearch", "dpv:NonCommercialPurpose"),
            commercial=False,
            allowed="art. 53(1)(e)",
        ),
        _p(
            "non-commercial-research",
            "non-commercial research (e.g. by a non-profit)",
            ("dpv:NonCommercialResearch",),
            commercial=False,
            allowed="art. 53(1)(e)",
        ),
        _p(
            "commercial-research",
            "research by or for a company",
            ("dpv:CommercialResearch",),
            commercial=True,
            allowed="art. 53(1)(e)",
        ),
        # AI models: train, fine-tune, evaluate; each commercial or not
        _p(
            "non-commercial-ai-training",
            "train a non-commercial AI model for research",
            ("dlab:AITraining", "dpv:NonCommercialResearch"),
            commercial=False,
            ai=True,
            allowed=_E_II,
        ),
        _p(
            "commercial-ai-training",
            "train a commercial AI model",
            ("dlab:AITraining", "dpv:CommercialPurpose"),
            commercial=True,
            ai=True,
            allowed=_E_II,
        ),
        _p(
            "non-commercial-fine-tuning",
            "fine-tune an AI model for non-commercial research",
            ("dlab:AIFineTuning", "dpv:NonCommercialResearch"),
            commercial=False,
            ai=True,
            allowed=_E_II,
        ),
        _p(
            "commercial-fine-tuning",
            "fine-tune a commercial AI model",
            ("dlab:AIFineTuning", "dpv:CommercialPurpose"),
            commercial=True,
            ai=True,
            allowed=_E_II,
        ),
        _p(
            "non-commercial-ai-evaluation",
            "test or benchmark an AI model for non-commercial research",
            ("dlab:AIEvaluation", "dpv:NonCommercialResearch"),
            commercial=False,
            ai=True,
            allowed=_E_II,
        ),
        _p(
            "commercial-ai-evaluation",
            "test or benchmark a commercial AI model",
            ("dlab:AIEvaluation", "dpv:CommercialPurpose"),
            commercial=True,
            ai=True,
            allowed=_E_II,
        ),
        # products and services
        _p(
            "commercial-product",
            "build or run a commercial product or service",
            ("dpv:ServiceProvision", "dpv:CommercialPurpose"),
            commercial=True,
            allowed=_E_I,
        ),
        # public tasks and care (EHDS art. 53(1)(a)-(d), (f))
        _p(
            "public-interest",
            "public-interest work, such as public or occupational health",
            ("dpv:PublicBenefit", "dpv:NonCommercialPurpose"),
            commercial=False,
            allowed="art. 53(1)(a)",
        ),
        _p(
            "policy-making",
            "policy-making or regulatory work of a public body",
            ("dpv:PublicPolicyMaking", "dpv:NonCommercialPurpose"),
            commercial=False,
            allowed="art. 53(1)(b)",
        ),
        _p(
            "official-statistics",
            "official statistics",
            ("dpv:ProvideOfficialStatistics", "dpv:NonCommercialPurpose"),
            commercial=False,
            allowed="art. 53(1)(c)",
        ),
        _p(
            "education",
            "education or teaching at vocational or higher-education level",
            ("edu:ServiceProvision",),
            commercial=False,
            allowed="art. 53(1)(d)",
        ),
        _p(
            "care-improvement",
            "improve the delivery of care and treatment",
            ("dpv:ImproveHealthcare",),
            commercial=False,
            allowed="art. 53(1)(f)",
        ),
        # uses the EHDS prohibits (art. 54, and art. 61(2))
        _p(
            "detrimental-decisions",
            "take decisions that harm a person or group",
            ("dlab:DetrimentalDecision",),
            commercial=False,
            prohibited="art. 54(a)",
        ),
        _p(
            "job-or-service-decisions",
            "decide on job offers or on the terms of goods or services",
            ("dlab:DiscriminatoryDecision", "dpv:PersonnelHiring", "dpv:CommercialPurpose"),
            commercial=True,
            prohibited="art. 54(b)",
        ),
        _p(
            "insurance-or-credit-decisions",
            "decide on insurance or credit, premiums or loan conditions",
            (
                "dlab:InsuranceOrCreditDecision",
                "fin:InsuranceEligibilityAssessment",
                "fin:InsurancePricingManagement",
                "fin:CreditChecking",
                "dpv:CommercialPurpose",
            ),
            commercial=True,
            prohibited="art. 54(b)",
        ),
        _p(
            "advertising",
            "advertising or marketing",
            ("dpv:Advertising", "dpv:CommercialPurpose"),
            commercial=True,
            prohibited="art. 54(c)",
        ),
        _p(
            "harmful-products",
            "develop harmful products (e.g. tobacco, alcohol, weapons, addictive products)",
            ("dlab:HarmfulProductDevelopment", "dpv:CommercialPurpose"),
            commercial=True,
            prohibited="art. 54(d)",
        ),
        _p(
            "against-national-ethics",
            "activities against the ethical provisions of national law",
            ("dlab:ActivityAgainstNationalEthics",),
            commercial=False,
            prohibited="art. 54(e)",
        ),
        _p(
            "unlisted-third-party-access",
            "give access to third parties not named in the permit",
            ("dlab:UnlistedThirdPartyAccess",),
            commercial=False,
            prohibited="art. 61(2)",
        ),
    )
}


def _normalise(value: str) -> str:
    """A full IRI for a full IRI, ``dpv:X``/``dlab:X``, or a bare local name we know."""
    s = str(value).strip().removeprefix("<").removesuffix(">")
    if s.startswith(_LEGACY_DPV):
        return _DPV + s[len(_LEGACY_DPV) :]
    if s.startswith(("http://", "https://")):
        return s
    prefix, sep, name = s.partition(":")
    if sep:
        base = _INPUT_PREFIXES.get(prefix.lower())
        return base + name if base else s
    for base in (_DPV, _DLAB):
        if base + s in _BROADER:
            return base + s
    return s


def broader(iri: str) -> frozenset[str]:
    """The concept and all its ancestors in the encoded DPV purpose hierarchy."""
    start = _normalise(iri)
    seen = {start}
    todo = [start]
    while todo:
        for parent in _BROADER.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return frozenset(seen)


def is_known(value: str) -> bool:
    """True when the value names a purpose concept of the encoded hierarchy."""
    return _normalise(value) in _BROADER


def covers(policy_value: str, purpose: Purpose) -> bool | None:
    """Does a policy's purpose value cover the requester's purpose? None: not a known concept."""
    value = _normalise(policy_value)
    if value not in _BROADER:
        return None
    return any(value in broader(iri) for iri in purpose.iris)


def _by_primary_iri() -> dict[str, Purpose]:
    table: dict[str, list[Purpose]] = {}
    for p in PURPOSES.values():
        table.setdefault(p.iris[0], []).append(p)
    return {iri: ps[0] for iri, ps in table.items() if len(ps) == 1}


_BY_IRI = _by_primary_iri()


def parse_purpose(value: str) -> Purpose:
    """A purpose from its key (any case), or from its main DPV IRI (full or ``dpv:X``)."""
    s = value.strip()
    found = PURPOSES.get(s.lower()) or _BY_IRI.get(_normalise(s))
    if found is None:
        raise InvalidInput(
            f"unknown purpose {value!r}; known: " + ", ".join(PURPOSES), where="purpose"
        )
    return found


__all__ = [
    "EHDS_PUBLIC_BODY_POINTS",
    "EHDS_REGULATION",
    "PURPOSES",
    "Purpose",
    "broader",
    "covers",
    "is_known",
    "parse_purpose",
]
