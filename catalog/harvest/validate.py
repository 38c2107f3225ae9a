"""SHACL validation of harvested records, off the harvest's critical path, from a durable
queue (:mod:`catalog.harvest.queue`) that survives the process.

:func:`drain` claims batches of queued records, finds the version graph their job
published (by its marker, :func:`catalog.harvest.jobs.published_graph`), validates each
record dataset by dataset with its own deadline (:mod:`catalog.validation_runs`) and
writes every record's outcome back. Records of a job that never published are marked
skipped; those of a job still running elsewhere are left for later.

Who drains: ``datalab harvest`` after its runs (unless ``--no-wait``: then it says the
validation stays queued), ``datalab validation``, a harvest run inside the server (a thread
per run), and the server's :class:`ValidationWorker`, which at start-up and then every
minute also settles jobs that dead processes left ``running``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from catalog import records
from catalog.db import Database
from catalog.errors import DatalabError
from catalog.harvest.jobs import JobStore, published_graph
from catalog.harvest.queue import DONE, SKIPPED, UNFINISHED, Queued
from catalog.service import Catalogue
from catalog.skolem import GENID, unskolemise

log = logging.getLogger(__name__)
#: The server worker looks for queued work this often, in seconds.
POLL_S = 5.0
#: … and settles jobs left running by dead processes every this many polls.
RECONCILE_EVERY = 12
Outcome = tuple[Queued, str, list[str] | None, str | None]


def drain(
    catalogue: Catalogue,
    *,
    job: str | None = None,
    stop: threading.Event | None = None,
    on_batch: Callable[[int], None] | None = None,
    database: Database | None = None,
) -> int:
    """Validate queued records (of ``job``, or all) until none is left or ``stop`` is set;
    returns how many records got an outcome. ``on_batch`` is told each batch's size. The
    queue is in ``database`` (default: the catalogue's)."""
    from catalog.validation import load_shapes
    from catalog.validation_runs import ShaclWorker

    settings = catalogue.settings
    jobs = JobStore(settings, catalogue, database=database or catalogue.database)
    queue = jobs.queue
    if queue.waiting(job) == 0:
        return 0
    deferred: set[str] = set()
    handled = 0
    with ShaclWorker(load_shapes(settings.shapes_path)) as worker:
        while stop is None or not stop.is_set():
            claimed = queue.claim(settings.validation_batch_datasets, job=job, skip=deferred)
            if not claimed:
                break
            try:
                outcomes = _validate(catalogue, jobs, claimed, worker, deferred)
            except BaseException:
                queue.release(claimed)  # for the next drainer
                raise
            queue.finish(outcomes)
            handled += len(outcomes)
            if on_batch is not None and outcomes:
                on_batch(len(outcomes))
    return handled


def _validate(
    catalogue: Catalogue,
    jobs: JobStore,
    claimed: list[Queued],
    worker: object,
    deferred: set[str],
) -> list[Outcome]:
    from catalog.validation_runs import Unit, validate_units

    first = claimed[0]
    graph = published_graph(catalogue.store, first.source, first.job)
    if graph is None:
        if jobs.lock(first.source).held_elsewhere():
            jobs.queue.release(claimed)  # the run may still publish: later
            deferred.add(first.job)
            return []
        note = "not validated: the run's version was never published (it failed or was killed)"
        return [(q, SKIPPED, None, note) for q in claimed]
    outcomes: list[Outcome] = []
    units: dict[str, tuple[Queued, Unit]] = {}
    public = catalogue.settings.public_url
    for q in claimed:
        # the record and what it points to (agents, licences, its series): as exported
        ref = records.DatasetRef("", q.record, q.source, graph)
        triples = records.describe(catalogue.store, ref)
        triples += records.known_agents(catalogue.store, records.unnamed_agents(triples))
        if not triples:
            outcomes.append((q, SKIPPED, None, "not validated: the record was not stored"))
            continue
        key = "_:" + q.record[len(GENID) :] if q.record.startswith(GENID) else q.record
        units[key] = (q, Unit(key, list(unskolemise(triples, public_url=public))))
    s = catalogue.settings
    for unit, outcome in validate_units(
        (u for _q, u in units.values()),
        worker,  # type: ignore[arg-type]
        timeout_s=s.validation_timeout_s,
        batch=s.validation_batch_datasets,
    ):
        q = units[unit.key][0]
        if outcome.unfinished is not None:
            outcomes.append((q, UNFINISHED, None, outcome.unfinished))
            continue
        violations = [
            f"{f.path}: {f.message}" if f.path else f.message
            for f in outcome.findings
            if f.severity == "violation"
        ]
        outcomes.append((q, DONE, violations[:20] or None, None))
    return outcomes


def drain_in_background(
    catalogue: Catalogue, job: str, *, database: Database | None = None
) -> threading.Thread:
    """Drain one job's records on a daemon thread (a harvest run inside a server)."""

    def work() -> None:
        try:
            drain(catalogue, job=job, database=database)
        except Exception as exc:  # a background thread: what is left stays queued
            level = logging.WARNING if isinstance(exc, DatalabError | OSError) else logging.ERROR
            log.log(level, "validation of job %s stopped (%s); the rest stays queued", job, exc)

    thread = threading.Thread(target=work, daemon=True, name=f"validate-{job}")
    thread.start()
    return thread


class ValidationWorker:
    """The server's background drainer (see the module's docstring), on ``database``
    (default: the catalogue's)."""

    def __init__(self, catalogue: Catalogue, database: Database | None = None) -> None:
        self.catalogue = catalogue
        self.database = database or catalogue.database
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="validation")
        self._thread.start()

    def poke(self) -> None:
        """Look at the queue now rather than at the next poll."""
        self._wake.set()

    def close(self) -> None:
        """Stop after the batch in hand (whatever is left stays queued)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(10)

    def _loop(self) -> None:
        polls = 0
        while not self._stop.is_set():
            try:
                if polls % RECONCILE_EVERY == 0:
                    jobs = JobStore(self.catalogue.settings, self.catalogue, database=self.database)
                    for job in jobs.reconcile():
                        log.info("settled job %s of %s: %s", job.id, job.source, job.status)
                drain(self.catalogue, stop=self._stop, database=self.database)
            except Exception:  # the worker must outlive any one failure; it is logged
                log.exception("the validation worker hit an error; it goes on")
            polls += 1
            self._wake.wait(POLL_S)
            self._wake.clear()


def start_validation_worker(
    catalogue: Catalogue, database: Database | None = None
) -> ValidationWorker:
    """Start the server's background drainer (stop it with ``close()``)."""
    return ValidationWorker(catalogue, database)
