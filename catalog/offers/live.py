"""The running catalogue's materialised offers: built in the background, kept fresh on publish.

>>> live = LiveOffers.start(catalogue)                   # doctest: +SKIP
>>> live.dataset_offers("abc", profile=None)              # index when ready, else direct

:class:`LiveOffers` wraps one :class:`~catalog.offers.index.OfferIndex` per catalogue:

- its :meth:`~LiveOffers.on_publish` must be first among ``catalogue.on_publish`` (so the
  search index, which asks for offer facets in its own listener, sees fresh offers): a
  publish of changed dataset ids re-reads those datasets; a whole source (``None``) is
  re-read and diffed; a publish of the ``labs`` or ``registry`` source diffs the labs. The
  API declares its listeners in ``api/services.py``; :meth:`LiveOffers.start` attaches it
  first for callers that wire nothing else (the benchmarks, tests);
- while the index builds (in a background thread, so start-up stays fast), publishes are
  queued and replayed once it is built, and every answer comes from direct resolution;
- before each answer it catches up with publishes made behind its back (another process,
  a harvest override) by comparing each source's current graph with the one it read, and
  with a changed licence mappings file (``datalab licence add``).

There is no registry of running instances: whoever needs the offers is handed the
:class:`LiveOffers` (or ``None``), e.g. :func:`answer_offers` and the search facet
provider :meth:`LiveOffers.facets`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from catalog.graphs import META_GRAPH, source_iri
from catalog.namespaces import DLAB
from catalog.offers.facets import offer_facets
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


class LiveOffers:
    """A catalogue's :class:`OfferIndex`, built once and updated through ``on_publish``."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.index = OfferIndex(catalogue, licence_table(catalogue.documents))
        self.error: str | None = None
        self._ready = threading.Event()
        self._closed = threading.Event()
        self._guard = threading.Lock()
        self._pending: list[tuple[str, set[str] | None]] = []
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------
    @classmethod
    def start(cls, catalogue: Catalogue, *, background: bool = True) -> LiveOffers:
        """Attach first among ``catalogue``'s publish listeners and build the index (in a
        thread unless ``background`` is false). For callers that wire nothing else; the API
        declares its listeners, in order, in ``api/services.py``."""
        live = cls(catalogue)
        catalogue.on_publish.insert(0, live.on_publish)
        live.build(background=background)
        return live

    def build(self, *, background: bool = True) -> None:
        """Build the index, in a thread unless ``background`` is false. Attach
        :meth:`on_publish` first: publishes made during the build are queued and replayed."""
        if background:
            self._thread = threading.Thread(target=self._build, name="offers-index", daemon=True)
            self._thread.start()
        else:
            self._build()

    def close(self, timeout: float = 30.0) -> None:
        """Detach, and stop a build still running (waits at most ``timeout`` seconds)."""
        self._closed.set()
        if self.on_publish in self.catalogue.on_publish:
            self.catalogue.on_publish.remove(self.on_publish)
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
        table = licence_table(self.catalogue.documents)
        if table is not self.index.table:
            self.index.set_table(table)
        self.index.sync()

    # -- answering ------------------------------------------------------------------------
    def facets(self, catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The search index's offer facet provider (see :mod:`catalog.search.providers`),
        answered from this index once it is built."""
        return offer_facets(catalogue, dataset_ids, live=self)

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


def answer_offers(
    catalogue: Catalogue,
    dataset_id: str,
    profile: RequesterProfile | None = None,
    *,
    live: LiveOffers | None,
) -> DatasetOffers:
    """One dataset's offers: from the running index ``live`` when there is one, else directly."""
    if live is None:
        return offers_for(catalogue, dataset_id, profile)
    return live.dataset_offers(dataset_id, profile)


def answer_lab_datasets(
    catalogue: Catalogue, lab_id: str, limit: int = 1000, *, live: LiveOffers | None
) -> tuple[list[Offer], int | None]:
    """The datasets a lab may offer (and their total when known), index first."""
    if live is None:
        return lab_datasets(catalogue, lab_id, limit=limit), None
    return live.lab_datasets(lab_id, limit)


__all__ = ["LiveOffers", "answer_lab_datasets", "answer_offers"]
