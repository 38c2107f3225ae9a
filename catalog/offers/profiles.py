"""Requester profiles: who asks (organisation type, country) and for what purpose."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.errors import InvalidInput
from catalog.registry.model import ORG_TYPES


@dataclass(frozen=True)
class Purpose:
    """A purpose a requester states, and what it implies for the terms."""

    key: str
    label: str
    commercial: bool
    ai_training: bool
    ehds_allowed: bool  # an EHDS secondary-use purpose (Regulation 2025/327 art. 53)


PURPOSES: dict[str, Purpose] = {
    p.key: p
    for p in (
        Purpose("academic-research", "academic research", False, False, True),
        Purpose("non-commercial-ai-training", "train a non-commercial model", False, True, True),
        Purpose("commercial-ai-training", "train a commercial model", True, True, True),
        Purpose("commercial-product", "build a commercial product or service", True, False, True),
        Purpose("public-interest", "public-interest or official statistics", False, False, True),
        Purpose("advertising", "advertising or marketing", True, False, False),
    )
}
ORG_TYPE_ALIASES = {
    "research": "Research",
    "start-up": "StartUp",
    "startup": "StartUp",
    "sme": "SME",
    "large-company": "LargeCompany",
    "industry": "LargeCompany",
    "public-sector": "PublicSector",
}
EU_MEMBERS = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "EL",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)


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
        if not (org_type or country or purpose):
            return None
        ot = None
        if org_type:
            ot = ORG_TYPE_ALIASES.get(org_type.lower(), org_type)
            if ot not in ORG_TYPES:
                raise InvalidInput(
                    f"unknown organisation type {org_type!r}; known: "
                    + ", ".join(sorted(ORG_TYPE_ALIASES)),
                    where="org_type",
                )
        cc = None
        if country:
            cc = country.upper()
            if len(cc) != 2 or not cc.isalpha():
                raise InvalidInput(
                    f"{country!r} is not an ISO 3166-1 alpha-2 code", where="country"
                )
        p = None
        if purpose:
            p = PURPOSES.get(purpose.lower())
            if p is None:
                raise InvalidInput(
                    f"unknown purpose {purpose!r}; known: " + ", ".join(PURPOSES), where="purpose"
                )
        return cls(ot, cc, p)

    def key(self) -> str:
        return f"{self.org_type}|{self.country}|{self.purpose.key if self.purpose else None}"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "org_type": self.org_type,
            "country": self.country,
            "purpose": self.purpose.key if self.purpose else None,
        }
