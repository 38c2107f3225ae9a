"""The running catalogue's offers, answered from the stored offers every replica shares.

>>> live = LiveOffers.start(catalogue)                   # doctest: +SKIP
>>> live.dataset_offers("abc", profile=None)              # stored rows when built, else direct

:class:`LiveOffers` reads the tables of :mod:`catalog.offers.stored`, which the offers
follower (:mod:`catalog.offers.follower`) keeps in step with the change feed. Who runs the
follower depends on ``DATALAB_WORKERS``:

- ``inline`` (the embedded default): this process. :meth:`~LiveOffers.on_publish` must be
  first among ``catalogue.on_publish`` (so the search index, which asks for offer facets in
  its own listener, sees fresh offers) and applies the feed at once, except after a lab
  edit, which it applies on a thread of its own (the request that made it returns at once;
  an answer meanwhile catches up first); every answer first catches up with what was
  published behind the listener's back (another process, a harvest override, a licence
  mapping). The first build, when nothing is stored yet, runs in a background thread (or
  before the API answers with ``offers_index=eager``); until it is done answers come from
  direct resolution;
- ``queue``: the workers (an ``offers`` job, queued deduped on every publish here and by
  the workers themselves whenever the feed moves past the stored position). This process
  only writes what it publishes and reads the tables: a replica answers from them as soon
  as it starts, and sees other replicas' changes within the follower's lag.

Answers read an in-process mirror of the tables (:mod:`catalog.offers.mirror`): loaded once
on a thread of its own (until then answers ask the stored rows through their indexes, so
the first answer after a restart does not wait for every row to load), kept in step with
what this process's follower writes, and compared with the stored rows at most once per
``offers_freshness_s`` (or at once after a publish here); the freshness check and the
``inline`` catch-up with publishes made elsewhere run at that pace, not on every answer.
A requester's profile is evaluated at request time, from the stored facts. There is no
registry of running instances: whoever needs the offers is handed the :class:`LiveOffers`
(or ``None``), e.g. :func:`answer_offers` and the search facet provider
:meth:`LiveOffers.facets`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from catalog.errors import DatalabError
from catalog.facts import DatasetFacts
from catalog.facts.read import record_facts
from catalog.jobs.background import Coalesced
from catalog.labs import DataLab
from catalog.offers.facets import offer_facets
from catalog.offers.follower import REGISTRY_SOURCES, OffersFollower, enqueue_follow
from catalog.offers.mirror import OffersMirror
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import Offer, resolve
from catalog.offers.service import DatasetOffers, lab_datasets, offers_for, sort_offers
from catalog.offers.stored import OfferStore
from catalog.service import Catalogue

log = logging.getLogger(__name__)


class StoredIndex:
    """What tests and status pages read of the stored offers (each read queries them)."""

    def __init__(self, live: LiveOffers) -> None:
        self._live = live

    @property
    def terms(self) -> dict[str, DatasetFacts]:
        """Every stored dataset's facts, by id."""
        return self._live.store.all_terms()

    @property
    def labs(self) -> dict[str, DataLab]:
        return self._live.store.labs()

    @property
    def recomputed(self) -> int:
        """(dataset, lab) offers this process resolved again."""
        return self._live.follower.recomputed


class LiveOffers:
    """A catalogue's stored offers, followed here (``inline``) or by the workers."""

    def __init__(self, catalogue: Catalogue, *, follow: bool | None = None) -> None:
        self.catalogue = catalogue
        self.store = OfferStore(catalogue.database)
        self.follower = OffersFollower(catalogue, self.store)
        #: What answers read: the stored rows, in memory once loaded on a thread of their
        #: own, asked of the tables until then (see :mod:`catalog.offers.mirror`).
        self.mirror = OffersMirror(
            self.store, catalogue.settings.offers_freshness_s, background=True
        )
        #: Whether this process applies the feed (else ``offers`` jobs in the workers do).
        self.follows = catalogue.settings.workers != "queue" if follow is None else follow
        self.index = StoredIndex(self)
        self.error: str | None = None
        self._ready = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        #: Lab edits followed on a thread of their own (``inline``).
        self.later = Coalesced(self._follow, name="offers-follow-labs")

    # -- life cycle -----------------------------------------------------------------------
    @classmethod
    def start(cls, catalogue: Catalogue, *, background: bool = True) -> LiveOffers:
        """Attach first among ``catalogue``'s publish listeners and catch up (in a thread
        unless ``background`` is false). For callers that wire nothing else; the API
        declares its listeners, in order, in ``api/services.py``."""
        live = cls(catalogue)
        catalogue.on_publish.insert(0, live.on_publish)
        live.build(background=background)
        return live

    def build(self, *, background: bool = True, first: Callable[[], object] | None = None) -> None:
        """Catch up with the feed (building the stored offers when there are none), in a
        thread unless ``background`` is false; with the workers following, queue a job.

        ``first`` runs before a first build (none stored yet), on the same thread: the API
        opens the search index with it, whose build stores every dataset's facts
        (:mod:`catalog.facts.table`), so that the first build copies them instead of reading
        every record from the graph store again. Should it fail, the build reads them."""
        if not self.follows:
            self._enqueue()
            return
        if background:
            self._thread = threading.Thread(
                target=self._build, args=(first,), name="offers-follow", daemon=True
            )
            self._thread.start()
        else:
            self._build(first)

    def close(self, timeout: float = 30.0) -> None:
        """Detach, and wait for a catch-up still running (at most ``timeout`` seconds)."""
        self._closed.set()
        if self.on_publish in self.catalogue.on_publish:
            self.catalogue.on_publish.remove(self.on_publish)
        self.later.close(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        self.mirror.close(timeout)

    @property
    def ready(self) -> bool:
        """Whether answers come from the stored offers (built, by anyone)."""
        if self._closed.is_set():
            return False
        if not self._ready.is_set() and self.error is None and self._stored():
            self._became_ready()
        return self._ready.is_set()

    def _became_ready(self) -> None:
        """Answer from the stored offers from now on, the first answer catching up first:
        the check that found them consumed the freshness window, and what was published
        while they were being built (a registry loaded by the first request writes no feed
        row) is not in them yet."""
        self._ready.set()
        self.mirror.expire()

    def _stored(self) -> bool:
        try:
            return self.mirror.check()
        except DatalabError as exc:
            log.warning("the stored offers cannot be read: %s", exc)
            return False

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def _build(self, first: Callable[[], object] | None = None) -> None:
        try:
            # load what is stored first (nothing, on a first start): the mirror then applies
            # the follower's writes as they commit, instead of reading them back
            if not self.mirror.check() and first is not None:
                self._first(first)
            report = self.follower.catch_up()
            if not self._closed.is_set() and self.mirror.check():
                self._became_ready()
            log.info("offers followed to position %s (%s rows)", report.position, report.rows)
        except Exception as exc:  # answers keep coming from direct resolution
            if not self._closed.is_set():
                self.error = f"{type(exc).__name__}: {exc}"
                log.exception("following the offers failed; answering by direct resolution")

    def _first(self, first: Callable[[], object]) -> None:
        try:
            first()
        except Exception:  # the build reads what it would have copied
            log.exception("preparing the first offers build failed; it reads every record")

    def _enqueue(self) -> None:
        try:
            enqueue_follow(
                self.catalogue.database, max_attempts=self.catalogue.settings.worker_max_attempts
            )
        except DatalabError as exc:  # the workers' own sweep queues it later
            log.warning("could not queue an offers job: %s", exc)

    # -- keeping fresh --------------------------------------------------------------------
    def on_publish(self, source: str, changed: set[str] | None) -> None:
        """Listener for :attr:`Catalogue.on_publish`: apply the feed (``inline``; a lab
        edit on a thread of its own), or queue an ``offers`` job for the workers."""
        if self._closed.is_set() or self.error is not None:
            return
        if not self.follows:
            self._enqueue()
        elif self._ready.is_set():  # else the build in progress reads the feed at its end
            if source in REGISTRY_SOURCES:
                self.later.request()  # every stored signature against the lab: not here
            else:
                self._follow()
        self.mirror.expire()

    def _follow(self) -> None:
        self.follower.catch_up(sources=False)  # the mirror applies what it writes

    def reached(self, position: int) -> bool:
        """Whether the stored offers answers read reflect the change feed up to
        ``position``: following it here first (``inline``), else comparing with the stored
        rows (the workers follow it)."""
        if _at_least(self.mirror.position, position):
            return True
        if self.follows:
            self._follow()
        self.mirror.check()
        return _at_least(self.mirror.position, position)

    def position(self, wanted: int | None = None) -> int:
        """The change-feed position the stored offers answers read reflect now (following
        the feed here first with ``inline``; else as the workers left it). One already at
        ``wanted`` or past it is answered without asking the database."""
        known = self.mirror.position
        if wanted is not None and _at_least(known, wanted):
            return known or 0
        if self.follows:
            self._follow()
        self.mirror.check()
        return self.mirror.position or 0

    def sync(self) -> None:
        """At most once per ``offers_freshness_s`` (or at once after a publish here): catch
        up with publishes made behind the listener's back and with licence edits (``inline``
        only), and compare the mirror with the stored rows (another process's writes)."""
        if not self.mirror.due():
            return
        if self.follows:
            self.follower.catch_up()
        self.mirror.check()

    # -- answering ------------------------------------------------------------------------
    def facets(self, catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The search index's offer facet provider (see :mod:`catalog.search.providers`),
        answered from the stored offers once they are built."""
        return offer_facets(catalogue, dataset_ids, live=self)

    def dataset_offers(
        self, dataset_id: str, profile: RequesterProfile | None = None
    ) -> DatasetOffers:
        """Every lab's offer for one dataset: from the stored offers, else directly."""
        if not self.ready:
            return offers_for(self.catalogue, dataset_id, profile)
        self.sync()
        found = self.mirror.dataset(dataset_id) if profile is None else None
        if found is not None:
            facts, offers = found
        else:  # a requester's profile, or a dataset not followed yet: from the facts
            stored, labs = self.mirror.facts(dataset_id), self.mirror.labs()
            facts = stored if stored is not None else record_facts(self.catalogue, dataset_id)
            table = self.mirror.table()  # the mappings the stored offers reflect
            offers = [resolve(facts, lab, table, profile) for lab in labs.values()]
        return DatasetOffers(dataset_id, facts.iri, profile, sort_offers(offers))

    def lab_datasets(self, lab_id: str, limit: int = 1000) -> tuple[list[Offer], int | None]:
        """The datasets a lab may offer and their total (``None`` when not counted)."""
        if not self.ready:
            return lab_datasets(self.catalogue, lab_id, limit=limit), None
        self.sync()
        if lab_id not in self.mirror.labs():  # unknown, or not followed yet
            return lab_datasets(self.catalogue, lab_id, limit=limit), None
        offers, total = self.mirror.lab_offers(lab_id, limit)
        return offers, total


def _at_least(position: int | None, wanted: int) -> bool:
    return position is not None and position >= wanted


def answer_offers(
    catalogue: Catalogue,
    dataset_id: str,
    profile: RequesterProfile | None = None,
    *,
    live: LiveOffers | None,
) -> DatasetOffers:
    """One dataset's offers: from the stored offers ``live`` when there are, else directly."""
    if live is None:
        return offers_for(catalogue, dataset_id, profile)
    return live.dataset_offers(dataset_id, profile)


def answer_lab_datasets(
    catalogue: Catalogue, lab_id: str, limit: int = 1000, *, live: LiveOffers | None
) -> tuple[list[Offer], int | None]:
    """The datasets a lab may offer (and their total when known), stored offers first."""
    if live is None:
        return lab_datasets(catalogue, lab_id, limit=limit), None
    return live.lab_datasets(lab_id, limit)


__all__ = ["LiveOffers", "StoredIndex", "answer_lab_datasets", "answer_offers"]
