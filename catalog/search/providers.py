"""Facet providers: facts about datasets that are not in their records.

A provider is ``provider(catalogue, dataset_ids) -> {dataset_id: {facet: value(s)}}``,
called by the projection once per batch of datasets:

- :data:`offer_facets` (an :class:`OfferFacets`) asks the offers engine
  (:mod:`catalog.offers`) which data labs may offer each dataset (verdict *may offer* or
  *under conditions*, without a requester profile) and whether any of those offers permits
  AI training;
- :func:`sample_facets` asks the sample store whether a dataset has a sample.

Both are recomputed when the dataset's source publishes, and :meth:`SearchService.refresh`
re-runs them for datasets whose sample changed. A provider whose facets depend on the data
labs is a :class:`LabFacetProvider`: a lab edit (a row of the source ``labs`` in the change
feed) asks it for the facets of the datasets that lab may offer now or did before, once the
offers reflect the edit, and only those datasets' facet values are rewritten
(:mod:`catalog.search.labs`); nothing is re-projected. A publish of the ``registry``
(factories) still re-runs every provider for every dataset.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from catalog.labs.store import LABS_SOURCE, REGISTRY_SOURCE

if TYPE_CHECKING:
    from catalog.facts import DatasetFacts
    from catalog.offers.live import LiveOffers
    from catalog.service import Catalogue

log = logging.getLogger(__name__)

#: Sources whose publishes change what providers answer for every dataset.
PROVIDER_SOURCES = (LABS_SOURCE, REGISTRY_SOURCE)
#: Of those, the sources whose publishes name no dataset or lab in the change feed (the
#: registry holds factories): a publish of this process re-projects everything for them.
UNFOLLOWED_SOURCES = (REGISTRY_SOURCE,)


@runtime_checkable
class LabFacetProvider(Protocol):
    """A facet provider whose values depend on the data labs (capability of a provider)."""

    #: The facets it answers: a lab edit rewrites exactly these of the datasets it moved.
    fields: tuple[str, ...]

    def __call__(self, catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Facets of ``dataset_ids``, as any provider."""
        ...

    def lab_facets(
        self, catalogue: Catalogue, lab_ids: list[str], position: int, before: set[str]
    ) -> dict[str, dict[str, Any]] | None:
        """The facets (as :meth:`__call__` answers them) of every dataset one of
        ``lab_ids`` may offer now and of those in ``before`` (what the index holds they
        offered), once what it answers from reflects the change feed up to ``position``;
        ``None`` until then."""
        ...

    def answered_upto(self, catalogue: Catalogue, wanted: int) -> int | None:
        """The change-feed position its answers reflect now (asked for ``wanted``: one at
        or past it may be answered without a round trip); ``None`` when they are always
        current (resolved from the graph at each call)."""
        ...


class OfferFacets:
    """The offers facet provider: ``lab`` and ``ai_training`` per dataset, from the stored
    offers ``live`` once built (the API), else resolved directly (the CLI)."""

    fields = ("lab", "ai_training")

    def __init__(self, live: LiveOffers | None = None) -> None:
        from catalog.offers.facets import TermsFacets

        self.live = live
        self._terms = TermsFacets()

    def __call__(self, catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
        """``{id: {"lab": [lab ids that may offer it], "ai_training": bool}}``, by
        :func:`catalog.offers.facets.offer_facets` (default requester profile)."""
        from catalog.offers.facets import offer_facets as facets_of_offers

        return facets_of_offers(catalogue, dataset_ids, live=self.live)

    def of_facts(
        self, catalogue: Catalogue, facts: dict[str, DatasetFacts]
    ) -> dict[str, dict[str, Any]]:
        """The same facets from the facts a projection derived
        (:class:`~catalog.search.project.FactsFacetProvider`): from the stored offers once
        built, else each distinct terms resolved once
        (:class:`~catalog.offers.facets.TermsFacets`), never a dataset read again."""
        live = self.live
        if live is not None and live.ready:
            return self(catalogue, list(facts))
        return self._terms(catalogue, facts)

    def lab_facets(
        self, catalogue: Catalogue, lab_ids: list[str], position: int, before: set[str]
    ) -> dict[str, dict[str, Any]] | None:
        """See :class:`LabFacetProvider`; by :func:`catalog.offers.facets.lab_facets`."""
        from catalog.offers.facets import lab_facets

        return lab_facets(catalogue, lab_ids, position, before, live=self.live)

    def answered_upto(self, catalogue: Catalogue, wanted: int) -> int | None:
        """See :class:`LabFacetProvider`: the stored offers' position once they are built
        (workers may follow the feed later than this replica); resolved directly before."""
        live = self.live
        if live is None or not live.ready:
            return None
        return live.position(wanted)


#: The offers facet provider without stored offers (resolved directly).
offer_facets = OfferFacets()


def sample_facets(catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
    """``{id: {"has_sample": bool}}`` from the sample store: one listing of it per call
    (with S3, not a request per dataset), ``CURRENT`` read only where a sample folder is."""
    from catalog.samples.store import backend_for

    held = backend_for(catalogue.settings).with_samples(dataset_ids)
    return {ident: {"has_sample": ident in held} for ident in dataset_ids}


#: What the CLI uses (the API hands its stored offers to an :class:`OfferFacets`).
DEFAULT_PROVIDERS = (sample_facets, offer_facets)
