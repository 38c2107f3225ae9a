"""The facts of one dataset that every part of the catalogue reads: one derivation, one value.

A :class:`DatasetFacts` is derived once from a stored record (see :mod:`catalog.facts.derive`)
and read by the sample gate, search, offers, quality, the pages and the exports. Nothing else
reads ``dct:accessRights``, licences, policies, data spaces or the HealthDCAT-AP route from
the graph: a second reading of the same fact is how restricted rows once leaked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

from catalog.offers.odrl import Policy

#: The access scale, most open first. ``unknown`` (nothing stated, or a value this catalogue
#: does not know) is treated as the most closed: rows need a grant.
ACCESS_LEVELS = ("public", "restricted", "non_public", "unknown")
#: The access categories people see, most open first: the scale's levels, plus the EHDS
#: route (``health-data-permit``) and CLARIN's academic use only (``academic``). One value per
#: dataset (:attr:`DatasetFacts.access_category`), read by the search facet and the pages
#: alike; its labels, in several languages, are the search vocabulary's
#: (``catalog.search.vocab.ACCESS_LEVELS``).
ACCESS_CATEGORIES = (
    "public",
    "academic",
    "restricted",
    "health-data-permit",
    "non-public",
    "unknown",
)
#: The EU access-right codes of the scale's levels (for reasons and exports).
ACCESS_CODES = {"public": "PUBLIC", "restricted": "RESTRICTED", "non_public": "NON_PUBLIC"}


@dataclass(frozen=True)
class DataSpaceLink:
    """One data space a dataset belongs to, and how that was decided."""

    space: str
    how: str  # "declared by its source", "HealthDCAT-AP properties", "theme HEAL", ...


@dataclass(frozen=True)
class HealthRoute:
    """Secondary use under the EHDS (Regulation (EU) 2025/327) through a health data access
    body: a data permit (pseudonymised data in a secure processing environment) or a data
    request (anonymised statistics)."""

    body: str  # the health data access body's name (or IRI when it has no name)
    body_iri: str | None = None
    holder_country: str | None = None  # where the data holder is established (alpha-2)
    legal_bases: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()  # purposes the record declares (DPV IRIs)


@dataclass(frozen=True)
class DatasetFacts:
    """Everything the catalogue decides about one dataset, derived once from its record."""

    dataset_id: str
    iri: str
    source: str | None = None
    #: every stated access-right value (EU local names, or the value as stated)
    access_values: tuple[str, ...] = ()
    #: the most closed of the stated values; ``unknown`` when none or one is not understood
    access_level: str = "unknown"
    licences: tuple[str, ...] = ()  # licence IRIs of the dataset and its distributions
    licence_texts: tuple[str, ...] = ()  # licences given only as text (no IRI)
    policies: tuple[Policy, ...] = ()
    policy_errors: tuple[str, ...] = ()
    data_spaces: tuple[DataSpaceLink, ...] = ()
    themes: tuple[str, ...] = ()  # EU data-theme codes
    publisher: str | None = None  # IRI (or name when the agent has no IRI)
    publisher_name: str | None = None
    publisher_names: tuple[str, ...] = ()  # every name it is given, in any language
    health: HealthRoute | None = None
    ehds_legislation: bool = False  # dcatap:applicableLegislation names the EHDS
    personal_data: bool = False
    tdm_reserved: bool = False
    tdm_how: str | None = None  # which statement reserved text and data mining
    # The nodes a record owns are derived by one rule, catalog/ownership.py
    # (catalog.facts.derive.owned_nodes over the same index), only where they are needed.

    @property
    def access_conflict(self) -> bool:
        """Two or more different access rights stated: a contradictory record."""
        return len(set(self.access_values)) > 1

    @property
    def rows_public(self) -> bool:
        """Whether sample rows, statistics and snippets are open to anyone."""
        return self.access_level == "public"

    @property
    def access_category(self) -> str:
        """The one access category shown everywhere (the search facet, the dataset page):
        ``health-data-permit`` on the EHDS route, ``academic`` for CLARIN's academic use
        only, else the access level (``non-public``, ...)."""
        if self.health_route:
            return "health-data-permit"
        if self.access_values == ("ACA",):
            return "academic"
        return self.access_level.replace("_", "-")

    @property
    def health_route(self) -> bool:
        """Access through a health data access body (the record is not public)."""
        return self.health is not None and self.access_level != "public"

    @property
    def ehds_applies(self) -> bool:
        """EHDS secondary-use rules (allowed and prohibited purposes) apply to this data."""
        return self.health_route or (self.ehds_legislation and self.access_level != "public")

    @property
    def space_ids(self) -> tuple[str, ...]:
        return tuple(link.space for link in self.data_spaces)

    def signature(self) -> TermsSignature:
        """Everything offer resolution reads, as a hashable key (datasets sharing it share
        their resolutions). A policy's ``uid`` is not read by resolution and is left out:
        records that each carry their own copy of one policy (a node per record, as
        harvested records have) share their resolutions."""
        return TermsSignature(
            self.access_values,
            self.access_level,
            self.licences,
            self.licence_texts,
            tuple(replace(p, uid=None) if p.uid is not None else p for p in self.policies),
            self.policy_errors,
            self.data_spaces,
            self.health,
            self.ehds_legislation,
            self.personal_data,
            self.tdm_reserved,
            self.tdm_how,
        )


class TermsSignature(NamedTuple):
    """The facts offer resolution reads (see :meth:`DatasetFacts.signature`)."""

    access_values: tuple[str, ...]
    access_level: str
    licences: tuple[str, ...]
    licence_texts: tuple[str, ...]
    policies: tuple[Policy, ...]
    policy_errors: tuple[str, ...]
    data_spaces: tuple[DataSpaceLink, ...]
    health: HealthRoute | None
    ehds_legislation: bool
    personal_data: bool
    tdm_reserved: bool
    tdm_how: str | None
