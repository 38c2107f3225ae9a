"""The typed dependencies of routes and pages: parts of the app's one :class:`Services`.

Each alias reads the object built at start-up (``app.state.services``, set by the lifespan
in :mod:`api.app`); none builds anything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.services import Services
from catalog.access_requests import AccessRequests
from catalog.accounts import Accounts
from catalog.dsp import DspProvider
from catalog.errors import StoreError
from catalog.federation.sparql_endpoint import PublicSparql
from catalog.offers.live import LiveOffers
from catalog.quality import ConformanceCache
from catalog.samples.service import SampleService
from catalog.search import SearchService
from catalog.service import Catalogue
from catalog.settings import Settings


def get_services(request: Request) -> Services:
    """The app's services (see :mod:`api.services`)."""
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


def get_catalogue(services: ServicesDep) -> Catalogue:
    return services.catalogue


def get_settings_dep(services: ServicesDep) -> Settings:
    return services.settings


def get_accounts(services: ServicesDep) -> Accounts:
    return services.accounts


def get_samples(services: ServicesDep) -> SampleService:
    """The sample service; 503 when the sample store could not be opened at start-up."""
    if services.samples is None:
        raise StoreError(
            "the sample store could not be opened at start-up; see the server's log",
            where="samples",
        )
    return services.samples


def get_access_requests(services: ServicesDep) -> AccessRequests:
    return services.access_requests


def get_search(services: ServicesDep) -> SearchService:
    """The search service, opened (verified, or rebuilt) on the first search."""
    return services.search.get()


def get_dsp(services: ServicesDep) -> DspProvider:
    return services.dsp


def get_offers(services: ServicesDep) -> LiveOffers | None:
    return services.offers


def get_conformance(services: ServicesDep) -> ConformanceCache:
    return services.conformance


def get_sparql(services: ServicesDep) -> PublicSparql:
    return services.sparql


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
SamplesDep = Annotated[SampleService, Depends(get_samples)]
AccessRequestsDep = Annotated[AccessRequests, Depends(get_access_requests)]
DspDep = Annotated[DspProvider, Depends(get_dsp)]
SearchDep = Annotated[SearchService, Depends(get_search)]
OffersDep = Annotated[LiveOffers | None, Depends(get_offers)]
ConformanceDep = Annotated[ConformanceCache, Depends(get_conformance)]
SparqlDep = Annotated[PublicSparql, Depends(get_sparql)]
