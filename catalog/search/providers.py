"""Facet providers: facts about datasets that are not in their records.

A provider is ``provider(catalogue, dataset_ids) -> {dataset_id: {facet: value(s)}}``,
called by the projection once per batch of datasets:

- :func:`offer_facets` asks the offers engine (:mod:`catalog.offers`) which data labs may
  offer each dataset (verdict *may offer* or *under conditions*, without a requester
  profile) and whether any of those offers permits AI training;
- :func:`sample_facets` asks the sample store whether a dataset has a sample.

Both are recomputed when the dataset's source publishes; a lab edit (source ``labs``)
re-runs them for every dataset, and :meth:`SearchService.refresh` re-runs them for
datasets whose sample changed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from catalog.errors import DatalabError

if TYPE_CHECKING:
    from catalog.service import Catalogue

log = logging.getLogger(__name__)

#: Sources whose publishes change what providers answer for every dataset.
PROVIDER_SOURCES = ("labs", "registry")


def offer_facets(catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
    """``{id: {"lab": [lab ids that may offer it], "ai_training": bool}}``."""
    from catalog.offers.licences import LicenceTable
    from catalog.offers.resolve import CONDITIONS, MAY_OFFER, resolve
    from catalog.offers.service import dataset_terms
    from catalog.registry import list_labs

    labs = list_labs(catalogue)
    if not labs:
        return {}
    table = LicenceTable()
    out: dict[str, dict[str, Any]] = {}
    for ident in dataset_ids:
        try:
            terms = dataset_terms(catalogue, ident)
        except DatalabError as exc:  # removed meanwhile, or an unreadable policy
            log.debug("no offer facets for %s: %s", ident, exc)
            continue
        offers = [resolve(terms, lab, table) for lab in labs]
        usable = [o for o in offers if o.verdict in (MAY_OFFER, CONDITIONS)]
        out[ident] = {
            "lab": sorted(o.lab.id for o in usable),
            "ai_training": any(o.usable_for_ai_training for o in usable),
        }
    return out


def sample_facets(catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
    """``{id: {"has_sample": bool}}`` from the sample store."""
    from catalog.samples.store import SampleStore

    store = SampleStore(catalogue.settings)
    return {ident: {"has_sample": store.has_sample(ident)} for ident in dataset_ids}


#: What the API and the CLI use.
DEFAULT_PROVIDERS = (sample_facets, offer_facets)
