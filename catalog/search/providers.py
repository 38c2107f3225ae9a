"""Facet providers: facts about datasets that are not in their records.

A provider is ``provider(catalogue, dataset_ids) -> {dataset_id: {facet: value(s)}}``,
called by the projection once per batch of datasets:

- :func:`offer_facets` asks the offers engine (:mod:`catalog.offers`) which data labs may
  offer each dataset (verdict *may offer* or *under conditions*, without a requester
  profile) and whether any of those offers permits AI training;
- :func:`sample_facets` asks the sample store whether a dataset has a sample.

Both are recomputed when the dataset's source publishes; a lab edit (a row of the source
``labs`` in the change feed) re-runs them for every dataset, and
:meth:`SearchService.refresh` re-runs them for datasets whose sample changed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalog.service import Catalogue

log = logging.getLogger(__name__)

#: Sources whose publishes change what providers answer for every dataset.
PROVIDER_SOURCES = ("labs", "registry")
#: Of those, the sources whose publishes name no dataset or lab in the change feed (the
#: registry holds factories): a publish of this process re-projects everything for them.
UNFOLLOWED_SOURCES = ("registry",)


def offer_facets(catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
    """``{id: {"lab": [lab ids that may offer it], "ai_training": bool}}``.

    Delegates to :func:`catalog.offers.facets.offer_facets` (default requester profile),
    which reads the materialised offers when the API runs them and resolves directly else.
    """
    from catalog.offers.facets import offer_facets as facets_of_offers

    return facets_of_offers(catalogue, dataset_ids)


def sample_facets(catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
    """``{id: {"has_sample": bool}}`` from the sample store."""
    from catalog.samples.store import SampleStore

    store = SampleStore(catalogue.settings)
    return {ident: {"has_sample": store.has_sample(ident)} for ident in dataset_ids}


#: What the API and the CLI use.
DEFAULT_PROVIDERS = (sample_facets, offer_facets)
