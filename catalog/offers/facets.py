"""Offer facts for the search index: which labs may offer a dataset, usable for AI training.

:func:`offer_facets` is the search engine's facet provider for offers (see
:mod:`catalog.search.providers`). Per dataset it answers

- ``lab``: the ids of the data labs whose verdict is *may offer* or *may offer under
  conditions*;
- ``factory`` (only with ``with_factory=True``; the search index has no such facet yet):
  the factories of those labs;
- ``ai_training``: whether at least one of those offers permits AI training.

The **default profile** (``profile=None``) is the unstated requester: any organisation type
and country the lab admits, no purpose stated. So ``ai_training`` is true when some lab may
offer the dataset and the combined terms (licence, ODRL policy, TDM reservation, the lab's
own prohibitions) permit AI training; a stated profile (e.g. an SME in DE training a
commercial model) narrows it to what that requester may do.

Given a running :class:`~catalog.offers.live.LiveOffers` whose stored offers are built, the
default-profile answers are read from the stored verdicts (no graph store access) and a
stated profile is resolved from the stored facts; otherwise every dataset is resolved
directly from the store.

:func:`lab_facets` answers the same facets for what lab edits may have moved: the
datasets those labs may offer now (the stored verdicts once they reflect the edits, else
every dataset's facts read in bulk and resolved against those labs) and those the caller
says they offered before.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from catalog.errors import DatalabError
from catalog.facts.model import DatasetFacts
from catalog.facts.read import catalogue_facts, record_facts
from catalog.labs import DataLab, list_labs
from catalog.labs.store import LABS_SOURCE, labs_version
from catalog.offers.codec import TERMS_KEPT, signature_key
from catalog.offers.licence_store import licence_table
from catalog.offers.licences import LicenceTable
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import CONDITIONS, MAY_OFFER, Offer, resolve
from catalog.records import held_twice
from catalog.service import Catalogue

if TYPE_CHECKING:
    from catalog.offers.live import LiveOffers

log = logging.getLogger(__name__)
#: The profile the search facet "usable for AI training" is computed for (see above).
DEFAULT_FACET_PROFILE: RequesterProfile | None = None


def _facts(offers: list[Offer], with_factory: bool) -> dict[str, Any]:
    usable = [o for o in offers if _offered(o)]
    out: dict[str, Any] = {
        "lab": sorted(o.lab.id for o in usable),
        "ai_training": any(o.usable_for_ai_training for o in usable),
    }
    if with_factory:
        out["factory"] = sorted({o.lab.factory for o in usable})
    return out


def _stored_facets(
    live: LiveOffers,
    dataset_ids: list[str],
    profile: RequesterProfile | None,
    with_factory: bool,
) -> dict[str, dict[str, Any]]:
    """The facets from the stored offers: the default profile from the stored verdicts, a
    stated profile resolved from the stored facts."""
    labs = live.mirror.labs()
    if not labs:
        return {}
    out: dict[str, dict[str, Any]] = {}
    if profile is None:
        for ident, hits in live.mirror.offerable(dataset_ids).items():
            out[ident] = {
                "lab": sorted(lab_id for lab_id, _ in hits),
                "ai_training": any(ai for _, ai in hits),
            }
            if with_factory:
                out[ident]["factory"] = sorted({labs[lab_id].factory for lab_id, _ in hits})
        return out
    table = live.mirror.table()
    for ident, facts in live.mirror.terms(dataset_ids).items():
        offered = [resolve(facts, lab, table, profile) for lab in labs.values()]
        out[ident] = _facts(offered, with_factory)
    return out


def offer_facets(
    catalogue: Catalogue,
    dataset_ids: list[str],
    profile: RequesterProfile | None = DEFAULT_FACET_PROFILE,
    *,
    with_factory: bool = False,
    live: LiveOffers | None = None,
) -> dict[str, dict[str, Any]]:
    """``{id: {"lab": [...], "ai_training": bool}}`` for the datasets that exist (plus
    ``"factory": [...]`` with ``with_factory``); empty when there are no labs at all. From
    ``live`` (the stored offers) once built, else resolved directly."""
    if live is not None and live.ready:
        live.sync()
        return _stored_facets(live, dataset_ids, profile, with_factory)
    labs = list_labs(catalogue)
    if not labs:
        return {}
    table = licence_table(catalogue.documents)
    direct: dict[str, dict[str, Any]] = {}
    for ident in dataset_ids:
        try:
            terms = record_facts(catalogue, ident)
        except DatalabError as exc:  # removed meanwhile, or an unreadable policy
            log.debug("no offer facets for %s: %s", ident, exc)
            continue
        direct[ident] = _facts([resolve(terms, lab, table, profile) for lab in labs], with_factory)
    return direct


#: Feed rows up to which :class:`TermsFacets` looks for a lab's row rather than reading the
#: labs again (a range of the feed's key: about a millisecond per 10,000 rows on SQLite).
LABS_SCAN = 10_000


class TermsFacets:
    """The default-profile :func:`offer_facets` of datasets whose facts are already derived
    (a projection's), without reading the graph again: each distinct terms (by signature)
    is resolved once against the labs and licence table of the moment, and remembered
    while they stay the same. An id that more than one record holds gets no facets, as
    :func:`offer_facets` resolving it directly gives none (its record is refused)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: The labs as last read, and the change feed's head read before them.
        self._labs: list[DataLab] = []
        self._labs_at: int | None = None
        self._labs_version: str | None = None
        #: What the remembered resolutions were made against: labs, table, table version.
        self._against: tuple[list[DataLab], LicenceTable, int] | None = None
        self._by_terms: dict[str, dict[str, Any]] = {}

    def __call__(
        self, catalogue: Catalogue, facts: dict[str, DatasetFacts]
    ) -> dict[str, dict[str, Any]]:
        labs = self._current_labs(catalogue)
        if not labs or not facts:
            return {}
        table = licence_table(catalogue.documents)
        twice = held_twice(catalogue.store, facts)
        with self._lock:
            if self._against != (labs, table, table.version):
                self._against = (labs, table, table.version)
                self._by_terms = {}
            remembered = self._by_terms
        out: dict[str, dict[str, Any]] = {}
        for ident, f in facts.items():
            if ident in twice:
                continue
            key = signature_key(f.signature())
            found = remembered.get(key)
            if found is None:
                if len(remembered) >= TERMS_KEPT:
                    remembered.clear()
                found = remembered[key] = _facts([resolve(f, lab, table) for lab in labs], False)
            out[ident] = found
        return out

    def _current_labs(self, catalogue: Catalogue) -> list[DataLab]:
        """The labs, read again only once the change feed holds a row of the source
        ``labs`` they were not read after: every lab write appends one (a lab edit is made
        in place, so the labs graph keeps its name). A feed that moved by more than
        :data:`LABS_SCAN` rows is not searched: the labs are read again. A build asks once
        per batch of 2,000 datasets, a publish once; reading the labs costs 50-200 ms,
        looking at a publish's rows well under one."""
        try:
            head: int | None = catalogue.changes.head()  # read before the labs
            version = labs_version(catalogue)
        except (DatalabError, SQLAlchemyError):
            head = version = None
        with self._lock:
            labs, at, read_version = self._labs, self._labs_at, self._labs_version
        if head is not None and at is not None and version == read_version:
            if head == at:
                return labs
            try:
                moved = head - at > LABS_SCAN or catalogue.changes.touched(LABS_SOURCE, at, head)
            except (DatalabError, SQLAlchemyError):
                moved = True
            if not moved:
                with self._lock:
                    if self._labs_at == at:  # no other reader moved it meanwhile
                        self._labs_at = head
                return labs
        labs = list_labs(catalogue)
        with self._lock:
            self._labs, self._labs_at, self._labs_version = labs, head, version
        return labs


def lab_facets(
    catalogue: Catalogue,
    lab_ids: list[str],
    position: int,
    before: set[str],
    *,
    live: LiveOffers | None = None,
) -> dict[str, dict[str, Any]] | None:
    """The default-profile :func:`offer_facets` of every dataset one of ``lab_ids`` may
    offer now and of those in ``before``, once the stored offers (``live``, built) reflect
    the change feed up to ``position``; ``None`` while they do not (the workers have not
    followed it yet). Without stored offers, every dataset's facts are read in bulk and
    resolved directly."""
    if live is not None and live.ready:
        if not live.reached(position):
            return None
        members = set(before)
        for lab_id in lab_ids:
            members |= live.mirror.lab_members(lab_id)
        return _stored_facets(live, sorted(members), None, False)
    return _direct_lab_facets(catalogue, lab_ids, before)


def _direct_lab_facets(
    catalogue: Catalogue, lab_ids: list[str], before: set[str]
) -> dict[str, dict[str, Any]]:
    """:func:`lab_facets` resolved from the graph: each dataset against ``lab_ids``, and
    the ones they may offer (or in ``before``) against every lab."""
    labs = list_labs(catalogue)
    if not labs:
        return {}
    edited = [lab for lab in labs if lab.id in lab_ids]
    table = licence_table(catalogue.documents)
    out: dict[str, dict[str, Any]] = {}
    for facts in catalogue_facts(catalogue):
        ident = facts.dataset_id
        if ident in before or any(_offered(resolve(facts, lab, table)) for lab in edited):
            out[ident] = _facts([resolve(facts, x, table) for x in labs], False)
    return out


def _offered(offer: Offer) -> bool:
    return offer.verdict in (MAY_OFFER, CONDITIONS)


__all__ = ["DEFAULT_FACET_PROFILE", "TermsFacets", "lab_facets", "offer_facets"]
