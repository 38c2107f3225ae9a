"""A replica's in-process mirror of the stored offers: answers without a database round trip.

>>> mirror = OffersMirror(store, freshness_s=1.0)      # doctest: +SKIP
>>> mirror.check()                                       # loads the tables once: True if built
>>> mirror.dataset("abc")                                # facts and offers, from memory

The mirror loads every row of :mod:`catalog.offers.stored` once (no resolution: the offers
are decoded, each dataset's facts when first asked for). With ``background`` (what
:class:`~catalog.offers.live.LiveOffers` uses) a check reads only the stored state and labs
(two small reads, whatever the size) and the rows load on a thread of their own: until they
are in memory every read asks the stored rows through their indexes (one dataset's row by
its id, a lab's datasets by its offerable signatures), so the first answer after a restart
does not wait for a load that grows with the catalogue. Once loaded, it keeps in step two
ways:

- what this process's follower writes is applied as it commits (the store's ``on_write``
  listeners get each :class:`~catalog.offers.stored.Plan`), when the write started from the
  generation the mirror holds;
- what other processes write is found by comparing the stored ``generation`` (one small
  query) at most once per ``freshness_s`` seconds (:meth:`OffersMirror.due`), or at the next
  check after :meth:`OffersMirror.expire`; a different generation loads the tables again.

So an answer costs no database round trip in the common case, and another replica's change
is seen within the freshness window (``DATALAB_OFFERS_FRESHNESS_S``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import replace
from typing import Any

from catalog.facts import DatasetFacts
from catalog.labs import DataLab
from catalog.offers.licence_store import table_of
from catalog.offers.licences import LicenceTable
from catalog.offers.resolution import CONDITIONS, MAY_OFFER, Offer
from catalog.offers.stored import OfferState, OfferStore, Plan, Snapshot

log = logging.getLogger(__name__)


def _offerable(offer: Offer) -> bool:
    return offer.verdict in (MAY_OFFER, CONDITIONS)


#: Snapshots a background load reads before giving up until the next check (each one
#: raced a write: under a steady stream of writes the rows are read from the tables).
_LOAD_ATTEMPTS = 5


class OffersMirror:
    """The stored offers of one :class:`OfferStore`, held in memory (thread-safe)."""

    def __init__(
        self, store: OfferStore, freshness_s: float = 1.0, *, background: bool = False
    ) -> None:
        self.store = store
        self.freshness_s = freshness_s
        #: Whether the rows load on a thread of their own (reads meanwhile ask the tables).
        self.background = background
        #: How many times the tables were loaded whole (for tests and benchmarks).
        self.loads = 0
        self.state: OfferState | None = None
        self._lock = threading.RLock()
        #: Whether the state (and labs) are known; the rows too unless ``background``.
        self._known = False
        #: Whether the rows are in memory (reads answer from them).
        self._loaded = False
        self._rows_loaded = threading.Event()
        self._writes = 0  # plans of this process seen (a snapshot that raced one is read again)
        self._loader: threading.Thread | None = None
        self._closed = False
        #: Why the last background load failed (reads go on asking the tables).
        self.error: str | None = None
        self._stale = True
        self._checked = float("-inf")
        #: dataset id -> (signature key, its facts: stored text until first decoded)
        self._terms: dict[str, tuple[str, str | DatasetFacts]] = {}
        self._counts: dict[str, int] = {}
        self._labs: dict[str, DataLab] = {}
        self._resolutions: dict[str, dict[str, Offer]] = {}
        self._sorted: list[str] | None = None
        self._applied = 0  # plans applied (a load that raced one is read again)
        #: (licence mappings as stored, as JSON, their table)
        self._table: tuple[list[Any], str, LicenceTable] | None = None
        store.on_write.append(self._written)

    # -- freshness ---------------------------------------------------------------------------
    @property
    def generation(self) -> int | None:
        return None if self.state is None else self.state.generation

    def due(self) -> bool:
        """Whether the next answer should check freshness (window passed, or expired)."""
        return self._stale or time.monotonic() - self._checked >= self.freshness_s

    def expire(self) -> None:
        """Check at the next answer (after a publish in this process)."""
        self._checked = float("-inf")

    def check(self) -> bool:
        """Compare the stored generation with the mirror's and load again if they differ
        (with ``background``: the state and labs now, the rows on a thread); ``True`` when
        there are stored offers to answer from."""
        stored = self.store.generation()
        with self._lock:
            self._checked = time.monotonic()
            current = not self._stale and self._known and stored == self.generation
            if not self.background:
                if not current:
                    self.load()
                return self.state is not None
            if current:
                if not self._loaded:
                    self._start_loader()  # a load that gave up: try again
                return self.state is not None
        self._peek()
        return self.state is not None

    @property
    def loaded(self) -> bool:
        """Whether the rows are in memory (else reads ask the stored tables)."""
        return self._loaded

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Wait until the rows are in memory (``True``) or ``timeout`` seconds passed."""
        return self._rows_loaded.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Stop a background load (waits at most ``timeout`` seconds for it)."""
        self._closed = True
        loader = self._loader
        if loader is not None and loader is not threading.current_thread():
            loader.join(timeout)

    def load(self) -> None:
        """Read every stored row (the whole tables, in one read)."""
        applied = self._applied
        snapshot = self.store.snapshot()
        with self._lock:
            if self._loaded and self._applied != applied:
                # this process's follower wrote (and applied) meanwhile: the snapshot may be
                # older than the mirror, so read again at the next check
                self._stale = True
                return
            self._install(snapshot)

    def _install(self, snapshot: Snapshot | None) -> None:
        self.loads += 1
        self._known, self._loaded, self._stale = True, True, False
        self._terms, self._counts, self._sorted = {}, {}, None
        self._rows_loaded.set()
        if snapshot is None:
            self.state, self._labs, self._resolutions = None, {}, {}
            return
        self.state, self._labs = snapshot.state, snapshot.labs
        self._resolutions = snapshot.resolutions
        for ident, (sig, text) in snapshot.terms.items():
            self._terms[ident] = (sig, text)
            self._counts[sig] = self._counts.get(sig, 0) + 1

    def _unload(self) -> None:
        """Drop the rows (reads ask the tables until they are loaded again)."""
        self._loaded = False
        self._rows_loaded.clear()
        self._terms, self._counts, self._resolutions, self._sorted = {}, {}, {}, None

    # -- loading in the background --------------------------------------------------------------
    def _peek(self) -> None:
        """Take the stored state and labs (rows to load on the loader thread), unless this
        process already holds a newer generation or the rows in memory are current."""
        found = self.store.peek()
        with self._lock:
            theirs = None if found is None else found[0].generation
            ours = self.generation if self._known else None
            if ours is not None and (theirs is None or theirs < ours):
                return  # a write of this process, applied meanwhile, is newer
            if self._loaded and not self._stale and theirs == ours:
                return
            if found is None:  # nothing stored (yet): nothing to load
                self._install(None)
                return
            self._unload()
            self.state, self._labs = found[0], dict(found[1])
            self._known, self._stale = True, False
            self._start_loader()

    def _start_loader(self) -> None:
        if self._closed or (self._loader is not None and self._loader.is_alive()):
            return
        self._loader = threading.Thread(target=self._load_rows, name="offers-mirror", daemon=True)
        self._loader.start()

    def _load_rows(self) -> None:
        """The loader thread: read every row and install them, unless a write of this
        process (or a newer generation found by a check) came meanwhile, then read again."""
        try:
            for _ in range(_LOAD_ATTEMPTS):
                with self._lock:
                    if self._loaded or self._closed:
                        return
                    writes = self._writes
                snapshot = self.store.snapshot()
                with self._lock:
                    if self._loaded or self._closed:
                        return
                    got = None if snapshot is None else snapshot.state.generation
                    known = self.generation
                    if self._writes != writes or (
                        known is not None and (got is None or got < known)
                    ):
                        continue  # older than what this process knows: read again
                    self._install(snapshot)
                    self.error = None
                    return
        except Exception as exc:  # reads go on asking the tables; the next check retries
            self.error = f"{type(exc).__name__}: {exc}"
            log.warning("loading the offers mirror failed: %s", self.error)

    def _written(self, plan: Plan) -> None:
        """The store's listener: apply a plan this process wrote, if it started from the
        mirror's generation (else load again at the next check)."""
        with self._lock:
            self._writes += 1
            if plan.generations is None or not self._known:
                return
            before, after = plan.generations
            if before != self.generation or plan.copied:  # (copied rows are not in the plan)
                self._stale = True
                return
            if self._loaded or plan.since is None:  # a first build holds every row
                self._apply(plan, after)
                if not self._loaded:
                    self._loaded = True
                    self._rows_loaded.set()
            else:  # the rows are still loading: the state and labs now, the rows when read
                self._apply_labs(plan)
                self.state = OfferState(plan.position, plan.licences, dict(plan.sources), after)

    def _apply(self, plan: Plan, generation: int) -> None:
        self._applied += 1
        if plan.since is None:
            self._terms, self._counts, self._labs, self._resolutions = {}, {}, {}, {}
        changed = plan.dropped | set(plan.terms)
        for ident in changed:
            old = self._terms.pop(ident, None)
            if old is not None:
                self._counts[old[0]] -= 1
        for ident, (sig, facts) in plan.terms.items():
            self._terms[ident] = (sig, facts)
            self._counts[sig] = self._counts.get(sig, 0) + 1
        if changed:
            self._sorted = None
        for by_lab in self._resolutions.values():
            for lab_id in plan.labs_removed:
                by_lab.pop(lab_id, None)
        self._apply_labs(plan)
        for (sig, lab_id), offer in plan.resolutions.items():
            self._resolutions.setdefault(sig, {})[lab_id] = offer
        for sig in plan.orphans:
            if not self._counts.get(sig):
                self._resolutions.pop(sig, None)
        self._counts = {sig: n for sig, n in self._counts.items() if n}
        self.state = OfferState(plan.position, plan.licences, dict(plan.sources), generation)

    def _apply_labs(self, plan: Plan) -> None:
        for lab_id in plan.labs_removed:
            self._labs.pop(lab_id, None)
        for lab in plan.labs:
            self._labs[lab.id] = lab
        self._labs = dict(sorted(self._labs.items()))

    # -- reading -----------------------------------------------------------------------------
    def table(self) -> LicenceTable:
        """The licence table of the mappings the stored offers reflect (what a requester's
        profile is resolved with, as the profile-free offers were)."""
        with self._lock:
            body = [] if self.state is None else self.state.licences
            if self._table is None or self._table[0] is not body:
                key = json.dumps(body, sort_keys=True)
                if self._table is None or self._table[1] != key:
                    self._table = (body, key, table_of(body))
                else:
                    self._table = (body, key, self._table[2])
            return self._table[2]

    def labs(self) -> dict[str, DataLab]:
        """The labs the stored resolutions saw, by id."""
        with self._lock:
            return dict(self._labs)

    # Each read below answers from memory when the rows are loaded (checked under the lock,
    # so rows dropped meanwhile are never read half) and asks the stored tables otherwise,
    # outside the lock.
    def facts(self, dataset_id: str) -> DatasetFacts | None:
        """One dataset's stored facts (``None``: not stored)."""
        with self._lock:
            if self._loaded:
                return self._held_facts(dataset_id)
        return self.store.facts(dataset_id)

    def _held_facts(self, dataset_id: str) -> DatasetFacts | None:
        found = self._terms.get(dataset_id)
        if found is None:
            return None
        sig, facts = found
        if isinstance(facts, str):
            facts = self.store.read_facts(dataset_id, sig, facts)
            self._terms[dataset_id] = (sig, facts)
        return facts

    def terms(self, dataset_ids: list[str]) -> dict[str, DatasetFacts]:
        """The stored facts of those of ``dataset_ids`` that have them."""
        with self._lock:
            if self._loaded:
                out: dict[str, DatasetFacts] = {}
                for ident in dataset_ids:
                    facts = self._held_facts(ident)
                    if facts is not None:
                        out[ident] = facts
                return out
        return {ident: t.facts for ident, t in self.store.terms(dataset_ids).items()}

    def dataset(self, dataset_id: str) -> tuple[DatasetFacts, list[Offer]] | None:
        """One dataset's facts and its profile-free offers, one per stored lab."""
        with self._lock:
            if self._loaded:
                facts = self._held_facts(dataset_id)
                if facts is None:
                    return None
                by_lab = self._resolutions.get(self._terms[dataset_id][0], {})
                return facts, [replace(o, dataset=dataset_id) for o in by_lab.values()]
        return self.store.dataset(dataset_id)

    def offerable(self, dataset_ids: list[str]) -> dict[str, list[tuple[str, bool]]]:
        """For each of ``dataset_ids`` with stored terms: the (lab id, usable for AI
        training) of the labs that may offer it (under conditions or not)."""
        out: dict[str, list[tuple[str, bool]]] = {}
        of_signature: dict[str, list[tuple[str, bool]]] = {}  # datasets share signatures
        with self._lock:
            if self._loaded:
                for ident in dataset_ids:
                    found = self._terms.get(ident)
                    if found is None:
                        continue
                    hits = of_signature.get(found[0])
                    if hits is None:
                        by_lab = self._resolutions.get(found[0], {})
                        hits = of_signature[found[0]] = [
                            (lab_id, o.usable_for_ai_training)
                            for lab_id, o in sorted(by_lab.items())
                            if _offerable(o)
                        ]
                    out[ident] = list(hits)
                return out
        stored = self.store.offerable(dataset_ids)
        return {ident: sorted(hits) for ident, hits in stored.items()}

    @property
    def position(self) -> int | None:
        """The change-feed position the held offers reflect (``None``: nothing stored)."""
        return None if self.state is None else self.state.position

    def lab_members(self, lab_id: str) -> set[str]:
        """The ids of the datasets ``lab_id`` may offer (under conditions or not)."""
        with self._lock:
            if self._loaded:
                sigs = {
                    sig
                    for sig, by_lab in self._resolutions.items()
                    if lab_id in by_lab and _offerable(by_lab[lab_id])
                }
                return {ident for ident, (sig, _) in self._terms.items() if sig in sigs}
        return self.store.lab_members(lab_id)

    def lab_offers(self, lab_id: str, limit: int | None) -> tuple[list[Offer], int]:
        """The datasets ``lab_id`` may offer (ordered by id, at most ``limit``) and their
        total."""
        with self._lock:
            if self._loaded:
                sigs = {
                    sig: by_lab[lab_id]
                    for sig, by_lab in self._resolutions.items()
                    if lab_id in by_lab and _offerable(by_lab[lab_id])
                }
                if self._sorted is None:
                    self._sorted = sorted(self._terms)
                hits = [i for i in self._sorted if self._terms[i][0] in sigs]
                shown = hits if limit is None else hits[:limit]
                offers = [replace(sigs[self._terms[i][0]], dataset=i) for i in shown]
                return offers, len(hits)
        return self.store.lab_offers(lab_id, limit)


__all__ = ["OffersMirror"]
