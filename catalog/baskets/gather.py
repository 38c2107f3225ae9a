"""What the answers read of each dataset in a basket: its record, its facts, its offers.

Each dataset is read once per answer: the record (:class:`~catalog.model.Dataset`, for
titles, publishers, languages, dates and sizes), its :class:`~catalog.facts.DatasetFacts`
(the one derivation of its terms) and every lab's offer for the basket's profile, from the
stored offers when they are built (:func:`~catalog.offers.live.answer_offers`). Nothing
here re-derives a term: verdicts, permissions, duties and procedures are the offers'.
A dataset no longer in the catalogue is kept, marked ``missing``, so the answer says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef

from catalog.errors import NotFound
from catalog.facts import DatasetFacts
from catalog.facts.read import record_facts
from catalog.labs import DataLab, ensure_registry, list_labs
from catalog.model import Dataset
from catalog.offers.licence_store import licence_table
from catalog.offers.licences import LicenceTable, LicenceTerms
from catalog.offers.live import LiveOffers, answer_offers
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import CONDITIONS, MAY_OFFER, Offer
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue

OFFERABLE = (MAY_OFFER, CONDITIONS)
_LANGS = ["en"]


@dataclass
class Item:
    """One dataset of the basket, as the answers read it."""

    dataset_id: str
    missing: bool = False
    facts: DatasetFacts | None = None
    record: Dataset | None = None
    offers: list[Offer] = field(default_factory=list)
    #: the licences the dataset names that the licence table knows, in the record's order
    licences: list[LicenceTerms] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.record is not None:
            return self.record.title.best(_LANGS) or self.dataset_id
        return self.dataset_id

    @property
    def publisher(self) -> str | None:
        if self.facts is not None and self.facts.publisher_name:
            return self.facts.publisher_name
        if self.record is not None and self.record.publisher is not None:
            return self.record.publisher.name.best(_LANGS)
        return None

    def offer(self, lab_id: str) -> Offer | None:
        return next((o for o in self.offers if o.lab.id == lab_id), None)

    def offerable(self) -> list[Offer]:
        return [o for o in self.offers if o.verdict in OFFERABLE]


@dataclass
class Gathered:
    """The basket's datasets, read, with the labs and licence table they were read with."""

    items: list[Item]
    labs: dict[str, DataLab]
    table: LicenceTable
    profile: RequesterProfile | None

    def found(self) -> list[Item]:
        return [i for i in self.items if not i.missing]


def gather(
    catalogue: Catalogue,
    dataset_ids: list[str],
    profile: RequesterProfile | None,
    live: LiveOffers | None,
) -> Gathered:
    """Read every dataset of a basket (see the module)."""
    ensure_registry(catalogue)
    table = licence_table(catalogue.documents)
    labs = {lab.id: lab for lab in list_labs(catalogue)}
    items: list[Item] = []
    for dataset_id in dataset_ids:
        try:
            record = catalogue.get(dataset_id)
            facts = record_facts(catalogue, dataset_id)
            offers = answer_offers(catalogue, dataset_id, profile, live=live).offers
        except NotFound:
            items.append(Item(dataset_id, missing=True))
            continue
        model = Dataset.from_graph(to_rdflib_graph(record.triples), URIRef(record.ref.iri))
        known = [t for t in (table.lookup(iri) for iri in facts.licences) if t is not None]
        unique = list({t.key: t for t in known}.values())
        items.append(Item(dataset_id, False, facts, model, offers, unique))
    return Gathered(items, labs, table, profile)


__all__ = ["OFFERABLE", "Gathered", "Item", "gather"]
