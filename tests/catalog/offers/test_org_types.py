"""Organisation types: parsing, and matching ODRL party constraints.

DPV rows can be checked against DPV 2.1's entities taxonomy (https://w3id.org/dpv, module
entities-organisation); the reading of each is explained in catalog/offers/org_types.py.
"""

from __future__ import annotations

import pytest

from catalog.errors import InvalidInput
from catalog.labs import model
from catalog.offers.org_types import (
    ORG_TYPE_ALIASES,
    ORG_TYPE_LABELS,
    ORG_TYPES,
    is_known,
    org_type_matches,
    parse_org_type,
)

DPV = "https://w3id.org/dpv#"
DLAB = "https://w3id.org/datalab/ns#"


def test_types_and_labels() -> None:
    assert ORG_TYPES == (
        "Research",
        "StartUp",
        "SME",
        "LargeCompany",
        "PublicSector",
        "HealthcareProvider",
        "NonProfit",
    )
    assert set(ORG_TYPE_LABELS) == set(ORG_TYPES)
    assert set(ORG_TYPE_ALIASES.values()) <= set(ORG_TYPES)


def test_every_registry_type_is_known_here() -> None:
    assert set(model.ORG_TYPES) <= set(ORG_TYPES)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Research", "Research"),
        ("research", "Research"),
        ("SME", "SME"),
        (" sme ", "SME"),
        ("start-up", "StartUp"),
        ("startup", "StartUp"),
        ("StartUp", "StartUp"),
        ("large-company", "LargeCompany"),
        ("industry", "LargeCompany"),
        ("LARGECOMPANY", "LargeCompany"),
        ("public-sector", "PublicSector"),
        ("publicsector", "PublicSector"),
        ("healthcare-provider", "HealthcareProvider"),
        ("hospital", "HealthcareProvider"),
        ("non-profit", "NonProfit"),
        ("ngo", "NonProfit"),
        ("NonProfit", "NonProfit"),
    ],
)
def test_parse_org_type(value: str, expected: str) -> None:
    assert parse_org_type(value) == expected


@pytest.mark.parametrize("value", ["company", "", "dpv:SMEOrganisation", "dlab:SME", "SMEs"])
def test_parse_org_type_rejects(value: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_org_type(value)
    assert err.value.where == "org_type"
    assert "HealthcareProvider" in err.value.message
    assert "ngo" in err.value.message


@pytest.mark.parametrize(
    ("org_type", "value", "expected"),
    [
        # the project's own types, in every written form
        ("SME", DLAB + "SME", True),
        ("SME", "dlab:SME", True),
        ("SME", "SME", True),
        ("SME", "sme", True),
        ("StartUp", "SME", False),
        ("LargeCompany", "dlab:StartUp", False),
        ("NonProfit", DLAB + "NonProfit", True),
        ("HealthcareProvider", "hospital", True),
        ("hospital", "dlab:HealthcareProvider", True),
        # dpv:ForProfitOrganisation: "aims to achieve profit as its primary goal"
        ("StartUp", "dpv:ForProfitOrganisation", True),
        ("SME", DPV + "ForProfitOrganisation", True),
        ("LargeCompany", "ForProfitOrganisation", True),
        ("PublicSector", "dpv:ForProfitOrganisation", False),
        ("NonProfit", "dpv:ForProfitOrganisation", False),
        ("Research", "dpv:ForProfitOrganisation", None),
        ("HealthcareProvider", "dpv:ForProfitOrganisation", None),
        # dpv:NonProfitOrganisation: "does not aim to achieve profit as its primary goal"
        ("NonProfit", "dpv:NonProfitOrganisation", True),
        ("PublicSector", "dpv:NonProfitOrganisation", True),
        ("LargeCompany", "dpv:NonProfitOrganisation", False),
        ("Research", "dpv:NonProfitOrganisation", None),
        ("HealthcareProvider", "dpv:NonProfitOrganisation", None),
        # dpv:AcademicScientificOrganisation: "universities, schools, research bodies"
        ("Research", "dpv:AcademicScientificOrganisation", True),
        ("SME", "dpv:AcademicScientificOrganisation", False),
        ("Research", "dpv:EducationalOrganisation", None),
        ("PublicSector", "dpv:GovernmentalOrganisation", True),
        ("PublicSector", "dpv:PublicSectorBody", True),
        ("NonProfit", "dpv:GovernmentalOrganisation", False),
        ("SME", "dpv:PublicSectorBody", False),
        ("Research", "dpv:PublicSectorBody", None),
        ("NonProfit", "dpv:NonGovernmentalOrganisation", True),
        ("PublicSector", "dpv:NonGovernmentalOrganisation", False),
        ("SME", "dpv:PrivateSectorBody", True),
        ("PublicSector", "dpv:PrivateSectorBody", False),
        # DPV's SME term is dpv:SMEOrganisation
        ("SME", "dpv:SMEOrganisation", True),
        ("LargeCompany", "dpv:SMEOrganisation", False),
        ("StartUp", "dpv:SMEOrganisation", None),
        ("StartUp", "dpv:StartupOrganisation", True),
        ("SME", "dpv:StartupOrganisation", None),
        ("LargeCompany", "dpv:StartupOrganisation", False),
        ("HealthcareProvider", "dpv:HealthcareOrganisation", True),
        ("SME", "dpv:HealthcareOrganisation", False),
        ("HealthcareProvider", "dpv:Hospital", None),
        ("Research", "dpv:Hospital", False),
        # every requester is an organisation and a legal entity
        ("LargeCompany", "dpv:Organisation", True),
        ("PublicSector", DPV + "LegalEntity", True),
        # DPV's namespace before w3id.org
        ("SME", "http://www.w3.org/ns/dpv#ForProfitOrganisation", True),
        # not an organisation type this module knows
        ("SME", "dpv:SME", None),
        ("SME", "https://example.org/types/SME", None),
        ("SME", "company", None),
        ("SME", "dlab:Company", None),
        ("SME", "dpv:EmergencyServiceProvider", None),
        ("SME", "", None),
    ],
)
def test_org_type_matches(org_type: str, value: str, expected: bool | None) -> None:
    assert org_type_matches(org_type, value) is expected


def test_org_type_matches_rejects_an_unknown_requester_type() -> None:
    with pytest.raises(InvalidInput):
        org_type_matches("Company", "dpv:ForProfitOrganisation")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("dpv:NonProfitOrganisation", True),
        (DLAB + "HealthcareProvider", True),
        ("ngo", True),
        ("dpv:Purpose", False),
        ("https://example.org/x", False),
    ],
)
def test_is_known(value: str, expected: bool) -> None:
    assert is_known(value) is expected
