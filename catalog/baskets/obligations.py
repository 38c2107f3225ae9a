"""What the developer owes for the basket: a credit line per dataset, the union of the
duties, and the strictest constraints (non-commercial, share-alike, place, time).

Duties, prohibitions and constraints are the offers' (of the lab the chosen cover takes
each dataset from, else the dataset's best offer); the credit line is the record's
publisher, title, year and address with the licence's label from the licence table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog.baskets.cover import Cover
from catalog.baskets.gather import Gathered, Item
from catalog.offers.resolution import MODE_LABEL, Offer
from catalog.offers.service import sort_offers

_PLACE_MODES = ("SecureProcessingEnvironment", "FederatedExecution")


@dataclass
class Credit:
    """The exact credit line of one dataset, with its parts."""

    dataset_id: str
    publisher: str | None
    title: str
    licence: str | None
    year: str | None
    url: str

    @property
    def line(self) -> str:
        parts = [self.publisher or "Unknown publisher", f"“{self.title}”"]
        if self.year:
            parts.append(self.year)
        parts.append(f"licensed under {self.licence}" if self.licence else "licence not stated")
        parts.append(self.url)
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset_id,
            "publisher": self.publisher,
            "title": self.title,
            "licence": self.licence,
            "year": self.year,
            "url": self.url,
            "line": self.line,
        }


def licence_label(item: Item) -> str | None:
    """The licence as people name it: the table's labels, else the record's IRI or text."""
    if item.licences:
        return " / ".join(t.label for t in item.licences)
    if item.facts is not None and item.facts.licences:
        return " / ".join(item.facts.licences)
    if item.facts is not None and item.facts.licence_texts:
        return " / ".join(item.facts.licence_texts)
    return None


def credit(item: Item, public_url: str) -> Credit:
    record = item.record
    year = None
    if record is not None:
        for value in (record.issued, record.modified, record.created):
            if value is not None and value.lexical[:4].isdigit():
                year = value.lexical[:4]
                break
    url = f"{public_url.rstrip('/')}/ui/datasets/{item.dataset_id}"
    if record is not None and record.landing_page:
        url = record.landing_page[0]
    elif item.facts is not None and item.facts.iri.startswith("http"):
        url = item.facts.iri
    return Credit(item.dataset_id, item.publisher, item.title, licence_label(item), year, url)


def taken_offer(item: Item, chosen: Cover) -> Offer | None:
    """The offer the basket would use: the chosen lab's, else the best one there is."""
    lab = chosen.assignment.get(item.dataset_id)
    if lab is not None:
        return item.offer(lab)
    ordered = sort_offers(item.offers)
    return ordered[0] if ordered else None


@dataclass
class Obligations:
    credits: list[Credit]
    duties: dict[str, list[str]]  # duty -> datasets
    non_commercial: list[str]
    share_alike: dict[str, list[str]]  # licence key -> datasets
    place: list[dict[str, Any]]
    time: list[dict[str, Any]]
    other: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "credits": [c.to_dict() for c in self.credits],
            "duties": [{"duty": d, "datasets": ds} for d, ds in sorted(self.duties.items())],
            "strictest": {
                "non_commercial": self.non_commercial,
                "share_alike": [
                    {"licence": k, "datasets": v} for k, v in sorted(self.share_alike.items())
                ],
                "place": self.place,
                "time": self.time,
                "other": self.other,
            },
        }


def obligations(gathered: Gathered, chosen: Cover, public_url: str) -> Obligations:
    """The union of what the basket's datasets require (see the module)."""
    out = Obligations([], {}, [], {}, [], [])
    for item in gathered.found():
        out.credits.append(credit(item, public_url))
        offer = taken_offer(item, chosen)
        if offer is None:
            continue
        d = item.dataset_id
        for duty in offer.duties:
            out.duties.setdefault(duty, []).append(d)
        if "commercial" in offer.prohibitions or "non-commercial" in offer.duties:
            out.non_commercial.append(d)
        if "share-alike" in offer.duties:
            keys = [t.key for t in item.licences if "share-alike" in t.requires] or ["unknown"]
            for key in keys:
                out.share_alike.setdefault(key, []).append(d)
        if offer.access_mode in _PLACE_MODES:
            lab = offer.lab
            where = f" ({lab.processing_country})" if lab.processing_country else ""
            out.place.append(
                {
                    "dataset": d,
                    "text": f"processed only at {lab.name}{where}, by "
                    f"{MODE_LABEL[offer.access_mode]}; nothing leaves but approved results",
                }
            )
        for c in offer.constraints:
            entry = {"dataset": d, "text": c}
            if "dateTime" in c:
                out.time.append(entry)
            elif "spatial" in c:
                out.place.append(entry)
            else:
                out.other.append(entry)
    return out


__all__ = ["Credit", "Obligations", "credit", "licence_label", "obligations", "taken_offer"]
