"""The running catalogue's materialised offers: built in the background, kept fresh on publish.

>>> live = LiveOffers.start(catalogue)                   # doctest: +SKIP
>>> live.dataset_offers("abc", profile=None)              # index when ready, else direct

:class:`LiveOffers` wraps one :class:`~catalog.offers.index.OfferIndex` per catalogue:

- it listens on ``catalogue.on_publish`` (first in the list, so the search index, which
  asks for offer facets in its own listener, sees fresh offers): a publish of changed
  dataset ids re-reads those datasets; a whole source (``None``) is re-read and diffed; a
  publish of the ``labs`` or ``registry`` source diffs the labs;
- while the index builds (in a background thread, so start-up stays fast), publishes are
  queued and replayed once it is built, and every answer comes from direct resolution;
- before each answer it catches up with publishes made behind its back (another process,
  a harvest override) by comparing each source's current graph with the one it read, and
  with a changed licence mappings file (``datalab licence add``).

``live_offers(catalogue)`` finds the running instance (``None`` when there is none); the
search provider :func:`catalog.offers.facets.offer_facets` uses it.
"""

from __future__ import annotations

import logging
import threading
import weakref

from catalog.graphs import META_GRAPH, source_iri
from catalog.namespaces import DLAB
from catalog.offers.index import OfferIndex
from catalog.offers.licence_store import licence_table
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import Offer
from catalog.offers.service import DatasetOffers, lab_datasets, offers_for
from catalog.service import Catalogue

log = logging.getLogger(__name__)
#: Above this many changed datasets, a publish re-reads its whole source in bulk (a few
#: SPARQL queries) instead of each dataset's record; only changed terms still recompute.
BULK_CHANGES = 200
_running: weakref.WeakKeyDictionary[Catalogue, LiveOffers] = weakref.WeakKeyDictionary()
_running_guard = threading.Lock()


def live_offers(catalogue: Catalogue) -> LiveOffers | None:
    """The materialised offers attached to ``catalogue``, if any."""
    with _running_guard:
        return _running.get(catalogue)


class LiveOffers:
    """A catalogue's :class:`OfferIndex`, built once and updated through ``on_publish``."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.index = OfferIndex(catalogue, licence_table(catalogue.settings))
        self.error: str | None = None
        self._ready = threading.Event()
        self._closed = threading.Event()
        self._guard = threading.Lock()
        self._pending: list[tuple[str, set[str] | None]] = []
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------
    @classmethod
    def start(cls, catalogue: Catalogue, *, background: bool = True) -> LiveOffers:
        """Attach to ``catalogue`` and build the index (in a thread unless ``background`` is
        false); replaces an instance already attached to it."""
        previous = live_offers(catalogue)
        if previous is not None:
            previous.close()
        live = cls(catalogue)
        catalogue.on_publish.insert(0, live.on_publish)
        with _running_guard:
            _running[catalogue] = live
        if background:
            live._thread = threading.Thread(target=live._build, name="offers-index", daemon=True)
            live._thread.start()
        else:
            live._build()
        return live

    def close(self, timeout: float = 30.0) -> None:
        """Detach, and stop a build still running (waits at most ``timeout`` seconds)."""
        self._closed.set()
        if self.on_publish in self.catalogue.on_publish:
            self.catalogue.on_publish.remove(self.on_publish)
        with _running_guard:
            if _running.get(self.catalogue) is self:
                del _running[self.catalogue]
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def ready(self) -> bool:
        """Whether answers come from the materialised index."""
        return self._ready.is_set() and not self._closed.is_set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def _build(self) -> None:
        try:
            if not self.index.rebuild(cancelled=self._closed.is_set):
                return
            while True:
                with self._guard:
                    batch, self._pending = self._pending, []
                    if not batch:
                        self._ready.set()
                        break
                for source, changed in batch:
                    self._apply(source, changed)
            log.info(
                "offers materialised: %d datasets x %d labs",
                len(self.index.terms),
                len(self.index.labs),
            )
        except Exception as exc:  # answers keep coming from direct resolution
            if not self._closed.is_set():
                self.error = f"{type(exc).__name__}: {exc}"
                log.exception("materialising offers failed; answering by direct resolution")

    # -- keeping fresh --------------------------------------------------------------------
    def on_publish(self, source: str, changed: set[str] | None) -> None:
        """Listener for :attr:`Catalogue.on_publish`."""
        if self._closed.is_set() or self.error is not None:
            return  # not materialising: answers come from direct resolution
        with self._guard:
            if not self._ready.is_set():
                self._pending.append((source, None if changed is None else set(changed)))
                return
        self._apply(source, changed)

    def _apply(self, source: str, changed: set[str] | None) -> None:
        index = self.index
        with index._lock:
            current, previous = self._graphs(source)
            if changed is None or current is None or len(changed) > BULK_CHANGES:
                index.source_changed(source)
                return
            was_in_step = index.versions.get(source) == previous
            for dataset_id in sorted(changed):
                index.dataset_changed(dataset_id)
            if was_in_step:  # else the next sync re-reads the whole source
                index.versions[source] = current

    def _graphs(self, source: str) -> tuple[str | None, str | None]:
        """The source's current graph and the one its last publish replaced."""
        rows = self.catalogue.store.select(
            f"SELECT ?g ?p WHERE {{ GRAPH <{META_GRAPH}> {{ "
            f"OPTIONAL {{ <{source_iri(source)}> <{DLAB.currentGraph}> ?g }} "
            f"OPTIONAL {{ <{source_iri(source)}> <{DLAB.previousGraph}> ?p }} }} }}"
        )
        r = rows[0] if rows else {}
        return (r["g"].value if "g" in r else None, r["p"].value if "p" in r else None)

    def sync(self) -> None:
        """Catch up with publishes made behind the listener's back and with licence edits."""
        table = licence_table(self.catalogue.settings)
        if table is not self.index.table:
            self.index.set_table(table)
        self.index.sync()

    # -- answering ------------------------------------------------------------------------
    def dataset_offers(
        self, dataset_id: str, profile: RequesterProfile | None = None
    ) -> DatasetOffers:
        """Every lab's offer for one dataset: from the index when built, else directly."""
        if not self.ready:
            return offers_for(self.catalogue, dataset_id, profile)
        self.sync()
        return self.index.for_dataset(dataset_id, profile)

    def lab_datasets(self, lab_id: str, limit: int = 1000) -> tuple[list[Offer], int | None]:
        """The datasets a lab may offer and their total (``None`` when not counted)."""
        if not self.ready:
            return lab_datasets(self.catalogue, lab_id, limit=limit), None
        self.sync()
        return self.index.for_lab(lab_id, limit)


def start_offers(catalogue: Catalogue) -> LiveOffers | None:
    """Start the materialised offers as ``settings.offers_index`` says (API start-up)."""
    mode = catalogue.settings.offers_index
    if mode == "off":
        return None
    return LiveOffers.start(catalogue, background=mode == "background")


def answer_offers(
    catalogue: Catalogue, dataset_id: str, profile: RequesterProfile | None = None
) -> DatasetOffers:
    """One dataset's offers: from the running index when there is one, else directly."""
    live = live_offers(catalogue)
    if live is None:
        return offers_for(catalogue, dataset_id, profile)
    return live.dataset_offers(dataset_id, profile)


def answer_lab_datasets(
    catalogue: Catalogue, lab_id: str, limit: int = 1000
) -> tuple[list[Offer], int | None]:
    """The datasets a lab may offer (and their total when known), index first."""
    live = live_offers(catalogue)
    if live is None:
        return lab_datasets(catalogue, lab_id, limit=limit), None
    return live.lab_datasets(lab_id, limit)


__all__ = ["LiveOffers", "answer_lab_datasets", "answer_offers", "live_offers", "start_offers"]
