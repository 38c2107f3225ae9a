"""Offers over a catalogue, resolved directly: one dataset's offers, a lab's datasets.

Every path (the CLI, the API, the pages, the materialised index and its live updates)
resolves a dataset's :class:`~catalog.facts.DatasetFacts` (read by :mod:`catalog.facts.read`)
with :func:`~catalog.offers.resolution.resolve`; nothing else reads a dataset's terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.facts.read import record_facts
from catalog.labs import get_lab, list_labs
from catalog.offers.jsonld import offer_to_odrl
from catalog.offers.licence_store import licence_table
from catalog.offers.licences import LicenceTable
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import CONDITIONS, MAY_OFFER, Offer, resolve
from catalog.service import Catalogue


@dataclass
class DatasetOffers:
    """Every lab's offer for one dataset."""

    dataset_id: str
    dataset_iri: str
    profile: RequesterProfile | None
    offers: list[Offer]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset_id,
            "iri": self.dataset_iri,
            "profile": self.profile.to_dict() if self.profile else None,
            "usable_for_ai_training": any(o.usable_for_ai_training for o in self.offers),
            "offers": [
                {**o.to_dict(), "odrl": offer_to_odrl(o, self.dataset_iri)} for o in self.offers
            ],
        }

    def odrl(self) -> list[dict[str, Any]]:
        return [
            offer_to_odrl(o, self.dataset_iri)
            for o in self.offers
            if o.verdict in (MAY_OFFER, CONDITIONS)
        ]


#: Verdicts, best first: the order offers are listed in.
ORDER = {MAY_OFFER: 0, CONDITIONS: 1, "needs_review": 2, "may_not_offer": 3}


def sort_offers(offers: list[Offer]) -> list[Offer]:
    """Offers in display order: best verdict first, then by lab id."""
    return sorted(offers, key=lambda o: (ORDER[o.verdict], o.lab.id))


def offers_for(
    catalogue: Catalogue,
    dataset_id: str,
    profile: RequesterProfile | None = None,
    table: LicenceTable | None = None,
) -> DatasetOffers:
    """One dataset's offers by every lab, computed directly (no materialisation)."""
    facts = record_facts(catalogue, dataset_id)
    tbl = table or licence_table(catalogue.documents)
    offers = [resolve(facts, lab, tbl, profile) for lab in list_labs(catalogue)]
    return DatasetOffers(dataset_id, facts.iri, profile, sort_offers(offers))


def lab_datasets(
    catalogue: Catalogue, lab_id: str, table: LicenceTable | None = None, limit: int = 1000
) -> list[Offer]:
    """The datasets a lab can offer (may offer, or under conditions)."""
    lab = get_lab(catalogue, lab_id)
    tbl = table or licence_table(catalogue.documents)
    out: list[Offer] = []
    cursor = None
    while len(out) < limit:
        page = catalogue.datasets(cursor=cursor, limit=catalogue.settings.max_page_size)
        for item in page.items:
            o = resolve(record_facts(catalogue, item.id), lab, tbl)
            if o.verdict in (MAY_OFFER, CONDITIONS):
                out.append(o)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return out[:limit]


__all__ = [
    "DatasetOffers",
    "lab_datasets",
    "offers_for",
    "sort_offers",
]
