"""The FastAPI app factory: ``create_app(settings)``; no import-time singletons."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.middleware import install_middleware
from api.routers import (
    access_requests,
    baskets,
    catalog_endpoint,
    ckan_api,
    croissant,
    data_spaces,
    dataset_writes,
    datasets,
    dsp,
    dsp_negotiations,
    dsp_transfers,
    factories,
    harvest,
    health,
    labs,
    offers,
    quality,
    samples,
    search,
    sparql,
    synthetic,
)
from api.services import Services
from api.web import routes as web
from catalog.long_lived import freeze_long_lived, thaw
from catalog.service import Catalogue
from catalog.settings import Settings

#: Routers in the order their paths are matched.
ROUTERS = [health.router, datasets.router, dataset_writes.router, samples.router]
ROUTERS += [synthetic.router]  # synthetic previews of samples (catalog/samples/synthetic.py)
ROUTERS += [factories.router, labs.router, offers.router]
ROUTERS += [data_spaces.router]  # the common European data spaces (catalog/dataspaces.py)
ROUTERS += [catalog_endpoint.router, sparql.router, ckan_api.router]  # federation
ROUTERS += [search.router]
ROUTERS += [harvest.router]
ROUTERS += [access_requests.router, web.router]  # access requests, web pages
ROUTERS += [dsp.router, dsp.well_known, croissant.router]  # federation: DSP, Croissant
ROUTERS += [dsp_negotiations.router, dsp_transfers.router, dsp_transfers.data]  # DSP provider
ROUTERS += [quality.router]  # metadata quality with SHACL conformance
ROUTERS += [baskets.router]  # training baskets (catalog/baskets/)


def create_app(
    settings: Settings,
    *,
    catalogue: Catalogue | None = None,
    on_startup: Callable[[Catalogue], None] | None = None,
) -> FastAPI:
    """Build the API over the catalogue the settings name (or over ``catalogue``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the one Services of this app (api/services.py): built here, closed here
        services = Services.open(
            settings, throttle=throttle, catalogue=catalogue, on_startup=on_startup
        )
        app.state.services = services
        freeze_long_lived()  # the modules and services: no full collection walks them
        try:
            yield
        finally:
            services.close()
            thaw()

    app = FastAPI(
        title="Data Lab Catalogue",
        summary="Which dataset can I train on, which AI Factory data lab can give it to me, "
        "and on what terms?",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    throttle = install_middleware(app, settings)
    for router in ROUTERS:
        app.include_router(router)
    return app
