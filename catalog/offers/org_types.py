"""Organisation types of requesters, and how ODRL party constraints about them are read.

The catalogue files each requester under one primary type (:data:`ORG_TYPES`, the
``dlab:`` organisation types). Policies may name those types or the organisation types of
DPV 2.1 (``https://w3id.org/dpv#``, the entities taxonomy: ``dpv:ForProfitOrganisation``,
``dpv:NonProfitOrganisation``, ``dpv:SMEOrganisation``, ...). :func:`org_type_matches`
answers whether a requester of a given type is an instance of the named type: True, False,
or None when the value is not a type this module knows *or* when the requester's type does
not settle the question (the caller then answers "needs review").

Reading choices, one per row of ``_DPV_TYPES``:

- The types are exclusive primary categories: an SME is not an academic organisation even
  if it does research. ``StartUp``, ``SME`` and ``LargeCompany`` are companies, so
  for-profit and private.
- ``dpv:NonProfitOrganisation`` is "an organisation that does not aim to achieve profit as
  its primary goal" (DPV); that holds for ``NonProfit`` and for ``PublicSector`` bodies.
  A ``Research`` organisation may be a public university, a non-profit institute or a
  company's lab, and a ``HealthcareProvider`` a public, non-profit or private hospital, so
  for them the profit-based types give None.
- ``dpv:NonGovernmentalOrganisation`` is read in its usual sense, a civil-society
  organisation: it matches ``NonProfit`` and not companies or public bodies.
- DPV has no plain ``SME`` type; its term is ``dpv:SMEOrganisation``. Most start-ups are
  SMEs, but the ``StartUp`` type does not say, so ``StartUp`` against it gives None (and
  ``SME`` against ``dpv:StartupOrganisation`` likewise).
"""

from __future__ import annotations

from catalog.errors import InvalidInput
from catalog.namespaces import DLAB, DPV

ORG_TYPES = (
    "Research",
    "StartUp",
    "SME",
    "LargeCompany",
    "PublicSector",
    "HealthcareProvider",
    "NonProfit",
)
ORG_TYPE_LABELS: dict[str, str] = {
    "Research": "research organisation (university or research institute)",
    "StartUp": "start-up",
    "SME": "small or medium-sized enterprise (SME)",
    "LargeCompany": "large company",
    "PublicSector": "public sector body",
    "HealthcareProvider": "healthcare provider (hospital, clinic, care provider)",
    "NonProfit": "non-profit organisation",
}
#: Aliases a person may type (the API's ``?org_type=``, the CLI), lower case -> type.
#: The canonical names are accepted too, in any case.
ORG_TYPE_ALIASES: dict[str, str] = {
    "research": "Research",
    "start-up": "StartUp",
    "startup": "StartUp",
    "sme": "SME",
    "large-company": "LargeCompany",
    "industry": "LargeCompany",
    "public-sector": "PublicSector",
    "healthcare-provider": "HealthcareProvider",
    "hospital": "HealthcareProvider",
    "non-profit": "NonProfit",
    "ngo": "NonProfit",
}
_ALIASES = {t.lower(): t for t in ORG_TYPES} | ORG_TYPE_ALIASES

_ALL = frozenset(ORG_TYPES)
_COMPANIES = frozenset({"StartUp", "SME", "LargeCompany"})
_PUBLIC = frozenset({"PublicSector"})
_NON_PROFIT = frozenset({"NonProfit"})
_NONE: frozenset[str] = frozenset()

#: DPV 2.1 organisation type -> (types it describes, types it excludes); others: None.
_DPV_TYPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Entity": (_ALL, _NONE),
    "LegalEntity": (_ALL, _NONE),
    "Organisation": (_ALL, _NONE),
    "AcademicScientificOrganisation": (frozenset({"Research"}), _ALL - {"Research"}),
    "EducationalOrganisation": (_NONE, _ALL - {"Research"}),
    "ForProfitOrganisation": (_COMPANIES, _PUBLIC | _NON_PROFIT),
    "NonProfitOrganisation": (_PUBLIC | _NON_PROFIT, _COMPANIES),
    "CharityOrganisation": (_NONE, _COMPANIES | _PUBLIC),
    "NonGovernmentalOrganisation": (_NON_PROFIT, _COMPANIES | _PUBLIC),
    "GovernmentalOrganisation": (_PUBLIC, _COMPANIES | _NON_PROFIT),
    "PublicSectorBody": (_PUBLIC, _COMPANIES | _NON_PROFIT),
    "PrivateSectorBody": (_COMPANIES | _NON_PROFIT, _PUBLIC),
    "SMEOrganisation": (frozenset({"SME"}), frozenset({"LargeCompany", "PublicSector"})),
    "StartupOrganisation": (frozenset({"StartUp"}), _ALL - {"StartUp", "SME"}),
    "HealthcareOrganisation": (frozenset({"HealthcareProvider"}), _COMPANIES),
    "Hospital": (_NONE, _ALL - {"HealthcareProvider"}),
    "Clinic": (_NONE, _ALL - {"HealthcareProvider"}),
    "IndustryConsortium": (_NONE, _ALL - _COMPANIES),
    "InternationalOrganisation": (_NONE, _COMPANIES | _NON_PROFIT | {"HealthcareProvider"}),
    "JudicialOrganisation": (_NONE, _ALL - _PUBLIC),
    "LawEnforcementOrganisation": (_NONE, _ALL - _PUBLIC),
    "ReligiousAssociations": (_NONE, _ALL - _NON_PROFIT),
}
_DPV_BY_LOWER = {name.lower(): name for name in _DPV_TYPES}
_DPV = str(DPV)
_DLAB = str(DLAB)
_LEGACY_DPV = "http://www.w3.org/ns/dpv#"


def parse_org_type(value: str) -> str:
    """The canonical organisation type from its name or an alias, in any case."""
    found = _ALIASES.get(value.strip().lower())
    if found is None:
        accepted = ", ".join([*ORG_TYPES, *ORG_TYPE_ALIASES])
        raise InvalidInput(
            f"unknown organisation type {value!r}; accepted: {accepted}", where="org_type"
        )
    return found


def _resolve(value: str) -> tuple[str, str] | None:
    """("dlab", type) or ("dpv", DPV local name) for a constraint value, else None."""
    s = str(value).strip().removeprefix("<").removesuffix(">")
    for base, kind in ((_DLAB, "dlab"), (_DPV, "dpv"), (_LEGACY_DPV, "dpv")):
        if s.startswith(base):
            s = f"{kind}:{s[len(base) :]}"
            break
    prefix, sep, name = s.partition(":")
    if sep and prefix.lower() == "dlab":
        return ("dlab", name) if name in ORG_TYPES else None
    if sep and prefix.lower() == "dpv":
        return ("dpv", name) if name in _DPV_TYPES else None
    if sep:
        return None
    if s.lower() in _ALIASES:
        return ("dlab", _ALIASES[s.lower()])
    if s.lower() in _DPV_BY_LOWER:
        return ("dpv", _DPV_BY_LOWER[s.lower()])
    return None


def is_known(value: str) -> bool:
    """True when the value names an organisation type this module can compare."""
    return _resolve(value) is not None


def org_type_matches(org_type: str, value: str) -> bool | None:
    """Does the constraint value describe a requester of ``org_type``? None: cannot tell."""
    own = parse_org_type(org_type)
    resolved = _resolve(value)
    if resolved is None:
        return None
    kind, name = resolved
    if kind == "dlab":
        return name == own
    describes, excludes = _DPV_TYPES[name]
    if own in describes:
        return True
    if own in excludes:
        return False
    return None


__all__ = [
    "ORG_TYPES",
    "ORG_TYPE_ALIASES",
    "ORG_TYPE_LABELS",
    "is_known",
    "org_type_matches",
    "parse_org_type",
]
