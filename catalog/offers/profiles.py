"""Requester profiles: who asks (organisation type, country) and for what purpose.

Parsed once, at the boundary (API query, form, CLI option), into typed values the rules take
as they are: the organisation type from :mod:`catalog.offers.org_types`, the country as an
ISO 3166-1 alpha-2 code, the purpose from the vocabulary of :mod:`catalog.offers.purposes`.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.errors import InvalidInput
from catalog.offers.geography import EU_MEMBERS, country_code
from catalog.offers.org_types import ORG_TYPES, parse_org_type
from catalog.offers.purposes import PURPOSES, Purpose, parse_purpose

__all__ = ["EU_MEMBERS", "FORM_ORG_TYPES", "ORG_TYPES", "PURPOSES", "Purpose", "RequesterProfile"]

#: The organisation types as the forms offer them (parse_org_type accepts every alias).
FORM_ORG_TYPES = {
    "research": "Research",
    "start-up": "StartUp",
    "sme": "SME",
    "large-company": "LargeCompany",
    "public-sector": "PublicSector",
    "healthcare-provider": "HealthcareProvider",
    "non-profit": "NonProfit",
}


@dataclass(frozen=True)
class RequesterProfile:
    """Organisation type, country (ISO alpha-2) and purpose; any may be left open."""

    org_type: str | None = None
    country: str | None = None
    purpose: Purpose | None = None

    @classmethod
    def parse(
        cls, org_type: str | None = None, country: str | None = None, purpose: str | None = None
    ) -> RequesterProfile | None:
        """A profile from user input; ``None`` when nothing was stated."""
        if not (org_type or country or purpose):
            return None
        cc = None
        if country:
            cc = country_code(country.strip())
            if cc is None:
                raise InvalidInput(
                    f"{country!r} is not an ISO 3166-1 country code", where="country"
                )
        return cls(
            parse_org_type(org_type) if org_type else None,
            cc,
            parse_purpose(purpose) if purpose else None,
        )

    def key(self) -> str:
        return f"{self.org_type}|{self.country}|{self.purpose.key if self.purpose else None}"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "org_type": self.org_type,
            "country": self.country,
            "purpose": self.purpose.key if self.purpose else None,
        }
