"""Data labs' offers: licence table, ODRL evaluation, resolution rules, materialised index.

The names below are imported on first use (PEP 562), so the pure parts of this package
(``odrl``, ``purposes``, ``geography``, ``licences``) can be imported by the domain's lower
layers (:mod:`catalog.facts`) without pulling in the store-backed services.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CONDITIONS": "catalog.offers.resolution",
    "MAY_NOT": "catalog.offers.resolution",
    "MAY_OFFER": "catalog.offers.resolution",
    "REVIEW": "catalog.offers.resolution",
    "Offer": "catalog.offers.resolution",
    "resolve": "catalog.offers.resolution",
    "PURPOSES": "catalog.offers.purposes",
    "RequesterProfile": "catalog.offers.profiles",
    "LicenceTable": "catalog.offers.licences",
    "LicenceTerms": "catalog.offers.licences",
    "licence_table": "catalog.offers.licence_store",
    "OfferIndex": "catalog.offers.index",
    "DatasetOffers": "catalog.offers.service",
    "lab_datasets": "catalog.offers.service",
    "offers_for": "catalog.offers.service",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'catalog.offers' has no attribute {name!r}")
    return getattr(import_module(module), name)
