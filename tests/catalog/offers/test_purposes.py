"""Requester purposes: DPV coverage, EHDS points, parsing.

Each coverage row can be checked against DPV 2.1 (https://w3id.org/dpv, the purposes
module's skos:broader column) and each EHDS row against Regulation (EU) 2025/327, art. 53(1)
(allowed purposes), art. 54 (prohibited uses) and art. 61(2) (third parties).
"""

from __future__ import annotations

import re

import pytest

from catalog.errors import InvalidInput
from catalog.offers.purposes import (
    EHDS_PUBLIC_BODY_POINTS,
    EHDS_REGULATION,
    PURPOSES,
    broader,
    covers,
    is_known,
    parse_purpose,
)

DPV = "https://w3id.org/dpv#"
DLAB = "https://w3id.org/datalab/ns#"
FIN = "https://w3id.org/dpv/sector/finance#"
EDU = "https://w3id.org/dpv/sector/education#"


def test_the_six_original_keys_are_kept() -> None:
    for key in (
        "academic-research",
        "non-commercial-ai-training",
        "commercial-ai-training",
        "commercial-product",
        "public-interest",
        "advertising",
    ):
        assert key in PURPOSES


@pytest.mark.parametrize(
    ("value", "key", "expected"),
    [
        # dpv:AcademicResearch skos:broader dpv:ResearchAndDevelopment
        ("dpv:ResearchAndDevelopment", "academic-research", True),
        # dpv:NonCommercialResearch skos:broader dpv:ResearchAndDevelopment
        (DPV + "ResearchAndDevelopment", "non-commercial-ai-training", True),
        ("ResearchAndDevelopment", "non-commercial-fine-tuning", True),
        # commercial model work is not filed under research and development
        ("dpv:ResearchAndDevelopment", "commercial-ai-training", False),
        ("dpv:ResearchAndDevelopment", "commercial-fine-tuning", False),
        ("dpv:ResearchAndDevelopment", "commercial-product", False),
        # ... but a company's research is: dpv:CommercialResearch broader R&D
        ("dpv:ResearchAndDevelopment", "commercial-research", True),
        ("dpv:ResearchAndDevelopment", "advertising", False),
        # siblings under R&D do not cover each other
        ("dpv:AcademicResearch", "non-commercial-research", False),
        ("dpv:NonCommercialResearch", "academic-research", False),
        ("dpv:CommercialResearch", "academic-research", False),
        ("dpv:ScientificResearch", "academic-research", True),
        # dpv:Advertising skos:broader dpv:Marketing
        ("dpv:Marketing", "advertising", True),
        ("dpv:Advertising", "advertising", True),
        ("dpv:DirectMarketing", "advertising", False),
        ("dpv:Marketing", "commercial-product", False),
        # dpv:ImproveHealthcare, ProvideOfficialStatistics, PublicPolicyMaking < PublicBenefit
        ("dpv:PublicBenefit", "care-improvement", True),
        ("dpv:PublicBenefit", "official-statistics", True),
        ("dpv:PublicBenefit", "policy-making", True),
        ("dpv:PublicBenefit", "academic-research", False),
        ("dpv:ImproveHealthcare", "public-interest", False),
        # the project's AI terms: fine-tuning is training, evaluation is not
        ("dlab:AITraining", "commercial-fine-tuning", True),
        (DLAB + "AITraining", "non-commercial-ai-training", True),
        ("AITraining", "commercial-ai-training", True),
        ("dlab:AITraining", "commercial-ai-evaluation", False),
        ("dlab:AIEvaluation", "non-commercial-ai-evaluation", True),
        ("dlab:AITraining", "academic-research", False),
        # sector extensions: education's ServiceProvision < dpv:ServiceProvision
        ("dpv:ServiceProvision", "education", True),
        (EDU + "EducationManagement", "education", True),
        # DPV: PersonnelHiring < PersonnelManagement < HumanResourceManagement
        ("dpv:HumanResourceManagement", "job-or-service-decisions", True),
        (FIN + "InsuranceManagement", "insurance-or-credit-decisions", True),
        (FIN + "CreditChecking", "insurance-or-credit-decisions", True),
        (FIN + "CreditChecking", "job-or-service-decisions", False),
        ("dlab:DetrimentalDecision", "insurance-or-credit-decisions", True),
        ("dlab:DetrimentalDecision", "job-or-service-decisions", True),
        # DPV's namespace before w3id.org
        ("http://www.w3.org/ns/dpv#Marketing", "advertising", True),
        ("<https://w3id.org/dpv#Marketing>", "advertising", True),
        # not a purpose concept of the table: the caller answers "needs review"
        ("dpv:NoSuchPurpose", "academic-research", None),
        ("https://example.org/purposes/research", "academic-research", None),
        ("research", "academic-research", None),
        ("ex:Research", "academic-research", None),
        ("dpv:ForProfitOrganisation", "commercial-product", None),
        ("", "advertising", None),
    ],
)
def test_covers(value: str, key: str, expected: bool | None) -> None:
    assert covers(value, PURPOSES[key]) is expected


@pytest.mark.parametrize("key", sorted(PURPOSES))
def test_dpv_purpose_covers_every_purpose(key: str) -> None:
    assert covers("dpv:Purpose", PURPOSES[key]) is True


@pytest.mark.parametrize("key", sorted(PURPOSES))
def test_commercial_purpose_covers_exactly_the_commercial_ones(key: str) -> None:
    p = PURPOSES[key]
    assert covers("dpv:CommercialPurpose", p) is p.commercial
    if covers("dpv:NonCommercialPurpose", p):
        assert not p.commercial


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        (
            "dpv:AcademicResearch",
            {"AcademicResearch", "ResearchAndDevelopment", "Purpose"},
        ),
        (
            DPV + "CommercialResearch",
            {"CommercialResearch", "ResearchAndDevelopment", "CommercialPurpose", "Purpose"},
        ),
        (
            "dpv:TargetedAdvertising",
            {
                "TargetedAdvertising",
                "PersonalisedAdvertising",
                "Personalisation",
                "Advertising",
                "Marketing",
                "Purpose",
            },
        ),
        ("dpv:Purpose", {"Purpose"}),
    ],
)
def test_broader_is_transitive(iri: str, expected: set[str]) -> None:
    assert broader(iri) == {DPV + name for name in expected}


def test_broader_of_an_unknown_iri_is_itself() -> None:
    assert broader("https://example.org/p") == {"https://example.org/p"}


@pytest.mark.parametrize("key", sorted(PURPOSES))
def test_every_purpose_iri_is_in_the_hierarchy(key: str) -> None:
    for iri in PURPOSES[key].iris:
        assert iri.startswith("https://w3id.org/")
        assert is_known(iri)
        assert DPV + "Purpose" in broader(iri)


@pytest.mark.parametrize(
    ("key", "allowed", "prohibited"),
    [
        ("academic-research", "art. 53(1)(e)", None),
        ("non-commercial-research", "art. 53(1)(e)", None),
        ("commercial-research", "art. 53(1)(e)", None),
        # (e)(ii): training, testing and evaluation of algorithms, incl. AI systems
        ("non-commercial-ai-training", "art. 53(1)(e)(ii)", None),
        ("commercial-ai-training", "art. 53(1)(e)(ii)", None),
        ("non-commercial-fine-tuning", "art. 53(1)(e)(ii)", None),
        ("commercial-fine-tuning", "art. 53(1)(e)(ii)", None),
        ("non-commercial-ai-evaluation", "art. 53(1)(e)(ii)", None),
        ("commercial-ai-evaluation", "art. 53(1)(e)(ii)", None),
        # (e)(i): development and innovation activities for products or services
        ("commercial-product", "art. 53(1)(e)(i)", None),
        ("public-interest", "art. 53(1)(a)", None),
        ("policy-making", "art. 53(1)(b)", None),
        ("official-statistics", "art. 53(1)(c)", None),
        ("education", "art. 53(1)(d)", None),
        ("care-improvement", "art. 53(1)(f)", None),
        ("detrimental-decisions", None, "art. 54(a)"),
        ("job-or-service-decisions", None, "art. 54(b)"),
        ("insurance-or-credit-decisions", None, "art. 54(b)"),
        ("advertising", None, "art. 54(c)"),
        ("harmful-products", None, "art. 54(d)"),
        ("against-national-ethics", None, "art. 54(e)"),
        # not in art. 54 of the final text: a duty of health data users
        ("unlisted-third-party-access", None, "art. 61(2)"),
    ],
)
def test_ehds_points(key: str, allowed: str | None, prohibited: str | None) -> None:
    p = PURPOSES[key]
    assert (p.ehds_allowed, p.ehds_prohibited) == (allowed, prohibited)


def test_every_ehds_point_has_a_purpose() -> None:
    # "art. 53(1)(e)(ii)" is a sub-point of "art. 53(1)(e)"
    allowed = {
        re.sub(r"\([iv]+\)$", "", p.ehds_allowed) for p in PURPOSES.values() if p.ehds_allowed
    }
    prohibited = {p.ehds_prohibited for p in PURPOSES.values() if p.ehds_prohibited}
    assert allowed == {f"art. 53(1)({x})" for x in "abcdef"}
    assert {f"art. 54({x})" for x in "abcde"} <= prohibited
    assert allowed > EHDS_PUBLIC_BODY_POINTS


def test_ehds_regulation_is_named() -> None:
    assert EHDS_REGULATION == "Regulation (EU) 2025/327"


@pytest.mark.parametrize(
    ("key", "commercial", "ai_training"),
    [
        ("academic-research", False, False),
        ("commercial-research", True, False),
        ("non-commercial-ai-training", False, True),
        ("commercial-ai-training", True, True),
        ("non-commercial-fine-tuning", False, True),
        ("commercial-fine-tuning", True, True),
        ("non-commercial-ai-evaluation", False, True),
        ("commercial-ai-evaluation", True, True),
        ("commercial-product", True, False),
        ("public-interest", False, False),
        ("advertising", True, False),
        ("insurance-or-credit-decisions", True, False),
        ("harmful-products", True, False),
    ],
)
def test_flags(key: str, commercial: bool, ai_training: bool) -> None:
    p = PURPOSES[key]
    assert (p.commercial, p.ai_training) == (commercial, ai_training)


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("academic-research", "academic-research"),
        ("ADVERTISING", "advertising"),
        ("  Commercial-AI-Training ", "commercial-ai-training"),
        ("dpv:Advertising", "advertising"),
        (DPV + "AcademicResearch", "academic-research"),
        ("dpv:CommercialResearch", "commercial-research"),
        ("dpv:ProvideOfficialStatistics", "official-statistics"),
        (EDU + "ServiceProvision", "education"),
    ],
)
def test_parse_purpose(value: str, key: str) -> None:
    assert parse_purpose(value) is PURPOSES[key]


@pytest.mark.parametrize(
    "value",
    [
        "marketing-campaigns",
        "",
        "dpv:Marketing",  # DPV concept, but no purpose has it as its main concept
        "dpv:CommercialPurpose",  # a facet of many purposes
        "dlab:AITraining",  # commercial or not? the key says
        "https://example.org/purpose",
    ],
)
def test_parse_purpose_rejects(value: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_purpose(value)
    assert err.value.where == "purpose"
    assert "academic-research" in err.value.message
    assert "commercial-fine-tuning" in err.value.message


@pytest.mark.parametrize("key", sorted(PURPOSES))
def test_labels_are_plain_words(key: str) -> None:
    label = PURPOSES[key].label
    assert label
    assert ":" not in label
    assert "http" not in label
