"""Places in spatial constraints: country codes, the EU, the EEA, Europe.

Rows can be checked against ISO 3166-1 and the EU Publications Office authority tables
(http://publications.europa.eu/resource/authority/country/, where ``EUR`` is the European
Union, and .../continent/EUROPE).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.offers.geography import (
    EEA_MEMBERS,
    EU_MEMBERS,
    area_contains,
    country_code,
    describe_area,
)

AUTH = "http://publications.europa.eu/resource/authority/country/"
EUROPE = "http://publications.europa.eu/resource/authority/continent/EUROPE"

# The 27 member states, alpha-2 -> alpha-3 (Greece is "EL" in EU usage).
EU27 = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "HR": "HRV", "CY": "CYP", "CZ": "CZE", "DK": "DNK",
    "EE": "EST", "FI": "FIN", "FR": "FRA", "DE": "DEU", "GR": "GRC", "HU": "HUN", "IE": "IRL",
    "IT": "ITA", "LV": "LVA", "LT": "LTU", "LU": "LUX", "MT": "MLT", "NL": "NLD", "PL": "POL",
    "PT": "PRT", "RO": "ROU", "SK": "SVK", "SI": "SVN", "ES": "ESP", "SE": "SWE",
}  # fmt: skip
EEA_ONLY = {"IS": "ISL", "LI": "LIE", "NO": "NOR"}
OTHERS = {
    "US": "USA", "GB": "GBR", "CH": "CHE", "TR": "TUR", "JP": "JPN", "CN": "CHN", "CA": "CAN",
    "UA": "UKR", "IL": "ISR",
}  # fmt: skip


def test_member_lists() -> None:
    assert set(EU27) | {"EL"} == EU_MEMBERS
    assert EU_MEMBERS | set(EEA_ONLY) == EEA_MEMBERS
    assert len(EU_MEMBERS - {"EL"}) == 27


@pytest.mark.parametrize(("a2", "a3"), sorted({**EU27, **EEA_ONLY, **OTHERS}.items()))
def test_alpha3_and_authority_iri_map_to_alpha2(a2: str, a3: str) -> None:
    assert country_code(a2) == a2
    assert country_code(a2.lower()) == a2
    assert country_code(a3) == a2
    assert country_code(a3.lower()) == a2
    assert country_code(AUTH + a3) == a2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("EL", "GR"),
        ("el", "GR"),
        ("UK", "GB"),
        (" de ", "DE"),
        (f"<{AUTH}DEU>", "DE"),
        ("ZAF", "ZA"),
        ("PE", "PE"),
        ("EU", None),
        ("EUR", None),
        (AUTH + "EUR", None),
        ("XX", None),
        ("XXX", None),
        ("Germany", None),
        ("D", None),
        ("", None),
        (AUTH + "XYZ", None),
        (AUTH + "DE", None),  # the authority table is keyed by alpha-3
        ("https://www.wikidata.org/entity/Q183", None),
        ("http://sws.geonames.org/2921044/", None),
    ],
)
def test_country_code(value: str, expected: str | None) -> None:
    assert country_code(value) == expected


@pytest.mark.parametrize(
    ("area", "country", "expected"),
    [
        ("EU", "DE", True),
        ("EU", "US", False),  # a US company is outside the EU
        ("EU", "USA", False),
        ("EUR", "FR", True),
        (AUTH + "EUR", "GR", True),
        ("European Union", "EL", True),
        ("eu", "IE", True),
        ("EU", "CH", False),
        ("EU", "NO", False),
        ("EU", "GB", False),
        ("EU", "RE", True),  # Réunion: an outermost region, part of France and of the EU
        ("EU", "AX", True),  # Åland: part of Finland
        ("EU", "GL", False),  # Greenland: an overseas country, not in the EU
        ("EU", "FO", False),
        ("EEA", "NO", True),
        ("EEA", "IS", True),
        ("EEA", "LI", True),
        ("EEA", "DE", True),
        ("EEA", "CH", False),
        ("EEA", "GB", False),
        ("European Economic Area", "US", False),
        ("Europe", "CH", True),
        ("Europe", "GB", True),
        ("Europe", "CY", True),
        (EUROPE, "DE", True),
        ("Europe", "US", False),
        ("Europe", "JP", False),
        ("Europe", "TR", None),  # transcontinental
        ("Europe", "RU", None),
        ("DE", "DE", True),
        ("DEU", "de", True),
        (AUTH + "FRA", "FR", True),
        ("FR", "DE", False),
        ("GR", "EL", True),
        ("US", "US", True),
        ("US", "CA", False),
        ("Bavaria", "DE", None),
        ("https://www.wikidata.org/entity/Q458", "DE", None),
        ("EU", "XX", None),
        ("EU", "", None),
    ],
)
def test_area_contains(area: str, country: str, expected: bool | None) -> None:
    assert area_contains(area, country) is expected


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        ("EU", "the European Union"),
        (AUTH + "EUR", "the European Union"),
        ("EEA", "the European Economic Area"),
        (EUROPE, "Europe"),
        ("DE", "Germany"),
        ("DEU", "Germany"),
        ("EL", "Greece"),
        (AUTH + "FRA", "France"),
        ("US", "the United States"),
        ("NL", "the Netherlands"),
        ("Bavaria", "Bavaria"),
    ],
)
def test_describe_area(area: str, expected: str) -> None:
    assert describe_area(area) == expected


ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")


@pytest.mark.skipif(not ISO_CODES.exists(), reason="Debian's iso-codes is not installed")
def test_every_iso_3166_1_country_is_known() -> None:
    """A regression guard against the list the module's table was taken from."""
    countries = json.loads(ISO_CODES.read_text(encoding="utf-8"))["3166-1"]
    for c in countries:
        assert country_code(c["alpha_2"]) == c["alpha_2"]
        assert country_code(c["alpha_3"]) == c["alpha_2"]
