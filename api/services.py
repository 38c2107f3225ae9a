"""The app's services: built once at start-up, handed to routes and pages, closed once.

>>> services = Services.open(settings, throttle=throttle)   # doctest: +SKIP  (in the lifespan)
>>> services.samples.overview(principal, "abc")
>>> services.close()

Routes and pages never build a service: they declare what they need through the typed
dependencies of :mod:`api.deps` (``CatalogueDep``, ``SamplesDep``, ``SearchDep``...),
which read this one object. Everything here is opened in :meth:`Services.open` and closed
in :meth:`Services.close`, in reverse order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.middleware.throttle import AuthThrottle
from api.web.session_store import SessionStore
from catalog.access_requests import AccessRequests
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.dsp import DspProvider
from catalog.errors import ConfigurationError, DatalabError
from catalog.federation.dcat_conformance import ExportConformance
from catalog.federation.sparql_endpoint import PublicSparql, open_endpoint
from catalog.field_limits import FieldLimits
from catalog.harvest import Harvester, HarvestSources, JobStore
from catalog.harvest.validate import ValidationWorker, start_validation_worker
from catalog.jobs import JobQueue
from catalog.long_lived import freeze_long_lived
from catalog.offers.live import LiveOffers
from catalog.oidc import OidcClient, PendingLogins
from catalog.passwords import PasswordPolicy
from catalog.quality import ConformanceCache
from catalog.samples import SampleStore
from catalog.samples import graph as sample_graph
from catalog.samples.service import SampleService
from catalog.search import FacetProvider, SearchService, snapshots
from catalog.search.follow import FeedStatus
from catalog.search.follow import status as feed_status
from catalog.search.index import IndexFile, index_path
from catalog.search.providers import OfferFacets, sample_facets
from catalog.service import Catalogue
from catalog.settings import Settings

log = logging.getLogger("datalab.api")
#: Datasets from which a first offers build waits for the search index to be built (below,
#: reading the records costs less than building the index early).
SEARCH_FIRST_FROM = 20_000


class LazySearch:
    """The search service, opened (verified, or rebuilt) on the first search and owned here.

    Opening may rebuild the index, which would slow start-up; so it waits for the first
    use, unless a replica without an index can restore a snapshot: then it opens on a
    thread at start-up (:meth:`open_in_background`). Its publish listener is attached at
    start-up (see :meth:`Services.open`) and forwards to the service once it is open;
    until then there is nothing to update (the index catches up with the graph when it
    opens).
    """

    def __init__(self, catalogue: Catalogue, providers: tuple[FacetProvider, ...]) -> None:
        self.catalogue = catalogue
        self.providers = providers
        self._service: SearchService | None = None
        self._guard = threading.Lock()

    def get(self) -> SearchService:
        """The open service (opened now on the first call)."""
        with self._guard:
            if self._service is None:
                self._service = SearchService.open(self.catalogue, self.providers, attach=False)
            return self._service

    def open_in_background(self) -> threading.Thread | None:
        """Start opening the service on a thread when it would restore a snapshot (a
        snapshot location is configured and this replica has no index yet), so searches
        are answered soon after start while ``/health`` answers meanwhile; ``None`` when
        the first search opens it, as before."""
        settings = self.catalogue.settings
        if not settings.search_snapshot_restore or snapshots.storage_for(settings) is None:
            return None
        if index_path(settings.home).exists():
            return None
        thread = threading.Thread(target=self._open_quietly, name="search-open", daemon=True)
        thread.start()
        return thread

    def first_build(self) -> Callable[[], None] | None:
        """What a first offers build runs before it starts, on its thread, when this replica
        has no index yet: opening the service (building the index) once the catalogue
        holds :data:`SEARCH_FIRST_FROM` datasets. The build stores every dataset's facts,
        which the offers build then copies instead of reading every record again (at 2M,
        seconds instead of most of an hour); the first search would build it anyway."""
        if index_path(self.catalogue.settings.home).exists():
            return None

        def first() -> None:
            if self.catalogue.count() >= SEARCH_FIRST_FROM:
                self.get()
                # what the build leaves (the index's caches) lives as long as the server:
                # out of the collector's full passes too, as the start's objects are
                freeze_long_lived(collect=True)

        return first

    def _open_quietly(self) -> None:
        try:
            self.get()
        except Exception:  # the first search tries again and reports the error
            log.exception("opening the search index in the background failed")

    def origin(self) -> tuple[str | None, int | None]:
        """Where the open index came from and the snapshot position it was restored from
        (``(None, None)`` before it is open)."""
        service = self._service
        if service is None:
            return None, None
        restored = service.restored
        return service.origin, None if restored is None else restored.position

    def on_publish(self, source: str, changed: set[str] | None) -> None:
        """Listener for :attr:`Catalogue.on_publish`."""
        service = self._service
        if service is not None:
            service.on_publish(source, changed)

    def feed_status(self) -> FeedStatus:
        """How far the index is behind the change feed; before the first search, read from
        the index file on disk (nothing is opened or rebuilt for it)."""
        service = self._service
        if service is not None:
            return service.feed_status()
        settings = self.catalogue.settings
        index = IndexFile(index_path(settings.home), settings.search_text_engine)
        return feed_status(self.catalogue, index.read_feed_position())

    def close(self) -> None:
        with self._guard:
            if self._service is not None:
                self._service.close()
                self._service = None


@dataclass(frozen=True)
class Services:
    """Everything the routes and pages use, built once per app by :meth:`open`."""

    settings: Settings
    catalogue: Catalogue
    database: Database
    accounts: Accounts
    #: Failed sign-ins and bearer tokens per address (shared with the middleware).
    throttle: AuthThrottle
    web_sessions: SessionStore
    #: The gated sample service over the app's one sample store; ``None`` when the store
    #: could not be opened at start-up (sample requests then say so, 503).
    samples: SampleService | None
    access_requests: AccessRequests
    #: The Dataspace Protocol's negotiations and transfers, and their courier's thread.
    dsp: DspProvider
    #: The materialised offers; ``None`` when ``settings.offers_index`` is ``off``.
    offers: LiveOffers | None
    search: LazySearch
    sparql: PublicSparql
    conformance: ConformanceCache
    #: What ``/catalog`` may list (DCAT-AP 3 conformance of each dataset's description);
    #: ``None`` when ``settings.catalog_conformant_only`` is off.
    export_conformance: ExportConformance | None
    harvest_sources: HarvestSources
    harvest_jobs: JobStore
    #: The server's validation drainer; None in queue mode (the workers drain).
    validation: ValidationWorker | None
    #: Single sign-on through the factory's OpenID Connect provider; ``None`` when
    #: ``settings.oidc_issuer`` is unset. Its sign-ons under way are in ``oidc_logins``.
    oidc: OidcClient | None
    oidc_logins: PendingLogins
    #: Run at :meth:`close`, last first.
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        throttle: AuthThrottle,
        catalogue: Catalogue | None = None,
        on_startup: Callable[[Catalogue], None] | None = None,
    ) -> Services:
        """Open the catalogue (unless given), run ``on_startup`` on it, build every service
        and attach the publish listeners in their order."""
        closers: list[Callable[[], None]] = []
        try:
            return cls._open(settings, throttle, catalogue, on_startup, closers)
        except BaseException:
            _close_all(closers)
            raise

    @classmethod
    def _open(
        cls,
        settings: Settings,
        throttle: AuthThrottle,
        given: Catalogue | None,
        on_startup: Callable[[Catalogue], None] | None,
        closers: list[Callable[[], None]],
    ) -> Services:
        if settings.workers == "queue" and settings.store_backend == "oxigraph":
            raise ConfigurationError(
                "DATALAB_WORKERS=queue leaves harvests to `datalab worker` processes, which "
                "cannot open the embedded Oxigraph store while this server holds it: use a "
                "store they share (DATALAB_STORE_BACKEND=sparql), or DATALAB_WORKERS=inline",
                where="DATALAB_WORKERS",
            )
        cat = given or Catalogue.open(settings)
        if given is None:
            closers.append(cat.close)
        if on_startup is not None:
            on_startup(cat)
        # Operational state (users, tokens, grants, audit, web sessions, access requests,
        # harvest state, change feed): the catalogue's database, opened (and checked
        # against the code's schema) with the catalogue.
        database = cat.database
        accounts = Accounts(
            database, FieldLimits.from_settings(settings), PasswordPolicy.from_settings(settings)
        )
        store = _sample_store(settings)  # removes what killed uploads left in staging
        offers = None if settings.offers_index == "off" else LiveOffers(cat)
        providers: tuple[FacetProvider, ...] = (sample_facets, OfferFacets(offers))
        search = LazySearch(cat, providers)
        closers.append(search.close)

        # Publish listeners, called in this order after every write (Catalogue.on_publish):
        # 1. the offers first, because the search index (3) asks them for its offer facets
        #    of the same publish; they must already hold it;
        # 2. the samples: keep the sample distributions' checksums in step with access
        #    levels (may publish again, which runs the list once more);
        # 3. the search index: re-project the changed datasets (after a lab edit, the offer
        #    facets it moved, and both 1 and 3 on threads of their own: the request that
        #    edited the lab does not wait);
        # 4. the SPARQL endpoint: its snapshot of the public graphs is stale.
        if offers is not None:
            cat.on_publish.insert(0, offers.on_publish)  # first, even before earlier apps'
            closers.append(offers.close)  # detaches, stops a build still running
        if store is not None:
            sample_graph.follow_access(cat, store)  # once per catalogue
        cat.on_publish.append(search.on_publish)
        closers.append(lambda: _detach(cat, search.on_publish))
        search.open_in_background()  # only to restore a snapshot (search_snapshot_*)
        # appends its listener; a worker process starts on first use (embedded store only)
        sparql = open_endpoint(cat)
        closers.append(sparql.close)

        if offers is not None:  # materialised in the background unless told otherwise
            background = settings.offers_index == "background"
            offers.build(background=background, first=search.first_build() if background else None)
        # queued SHACL validation of harvests; jobs of dead runs settled (harvest/validate.py);
        # in queue mode, `datalab worker` processes do both (catalog/jobs/worker.py)
        validation = None
        if settings.workers == "inline":
            validation = start_validation_worker(cat, database)
            closers.append(validation.close)
        if store is not None:
            _reconcile_samples(cat, store)
        export_conformance = None
        if settings.catalog_conformant_only:
            export_conformance = ExportConformance(settings)
            closers.append(export_conformance.close)
        # access requests, and the DSP negotiations that follow them (the courier delivers
        # what is owed to consumers on a thread of its own)
        access_requests = AccessRequests(cat, accounts)
        dsp = DspProvider(cat, access_requests, store)
        dsp.start()
        closers.append(dsp.close)
        return cls(
            settings=settings,
            catalogue=cat,
            database=database,
            accounts=accounts,
            throttle=throttle,
            web_sessions=SessionStore(database, settings.web_session_hours),
            samples=None if store is None else SampleService(cat, store, accounts),
            access_requests=access_requests,
            dsp=dsp,
            offers=offers,
            search=search,
            sparql=sparql,
            conformance=ConformanceCache(cat),
            export_conformance=export_conformance,
            harvest_sources=HarvestSources(database),
            harvest_jobs=JobStore(settings, database=database),
            validation=validation,
            oidc=OidcClient(settings) if settings.oidc_issuer else None,
            oidc_logins=PendingLogins(database, settings.oidc_login_minutes),
            _closers=closers,
        )

    @property
    def jobs(self) -> JobQueue:
        """The job queue in the operational database (queue mode hands harvests to it)."""
        return JobQueue(self.database)

    def harvester(self) -> Harvester:
        """A harvester for one run (it keeps the validation threads of its own runs)."""
        return Harvester(self.catalogue, database=self.database)

    def close(self) -> None:
        """Close what :meth:`open` opened, in reverse order (the catalogue last, if owned)."""
        _close_all(self._closers)


def _sample_store(settings: Settings) -> SampleStore | None:
    try:
        return SampleStore(settings)
    except OSError as exc:  # e.g. a read-only samples folder: sample requests will say so
        log.warning("the sample store cannot be opened at start-up: %s", exc)
        return None


def _reconcile_samples(catalogue: Catalogue, store: SampleStore) -> None:
    """Re-write, once every listener is attached, the sample distributions stored with
    absolute URLs (older versions) or under another base IRI (catalog/samples/graph.py)."""
    try:
        sample_graph.reconcile_all(catalogue, store)
    except DatalabError as exc:  # the API serves anyway; the next publish tries again
        log.warning("the sample distributions could not be brought in step: %s", exc)


def _detach(catalogue: Catalogue, listener: Any) -> None:
    if listener in catalogue.on_publish:
        catalogue.on_publish.remove(listener)


def _close_all(closers: list[Callable[[], None]]) -> None:
    while closers:
        closer = closers.pop()
        try:
            closer()
        except Exception:  # one failing close must not keep the others open
            log.exception("closing %r failed", closer)
