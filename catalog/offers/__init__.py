"""Terms of datasets, data labs' offers: licence table, ODRL evaluator, resolution, output."""

from catalog.offers.dataset_terms import DatasetTerms, extract_terms
from catalog.offers.index import OfferIndex
from catalog.offers.licence_store import licence_table
from catalog.offers.licences import LicenceTable, LicenceTerms
from catalog.offers.profiles import PURPOSES, RequesterProfile
from catalog.offers.resolve import CONDITIONS, MAY_NOT, MAY_OFFER, REVIEW, Offer, resolve
from catalog.offers.service import DatasetOffers, lab_datasets, offers_for

__all__ = [
    "CONDITIONS",
    "MAY_NOT",
    "MAY_OFFER",
    "PURPOSES",
    "REVIEW",
    "DatasetOffers",
    "DatasetTerms",
    "LicenceTable",
    "LicenceTerms",
    "Offer",
    "OfferIndex",
    "RequesterProfile",
    "extract_terms",
    "lab_datasets",
    "licence_table",
    "offers_for",
    "resolve",
]
