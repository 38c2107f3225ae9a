"""The worker loop behind ``datalab worker``: queue due schedules, claim jobs, run them.

Each turn a worker queues the harvests whose schedule is due
(:meth:`catalog.jobs.schedules.Schedules.enqueue_due`), then claims one job
(:meth:`catalog.jobs.queue.JobQueue.claim`) and runs it while a thread renews its lease:

* ``harvest`` (payload ``source``, ``full``): :meth:`catalog.harvest.Harvester.run`; the
  harvest job's id is written into the queued job's ``result`` as soon as the run starts,
  so the API can follow it. A published run queues a ``validate`` job for its records.
* ``validate`` (payload ``job``: a harvest job id, or none for everything queued, which a
  worker queues itself every minute when validation was left queued): settles
  jobs of dead processes, then drains the SHACL validation queue
  (:func:`catalog.harvest.validate.drain`).
* ``offers`` (no payload; one active at a time): the offers follower
  (:meth:`catalog.offers.follower.OffersFollower.catch_up`) applies the change feed to the
  stored offers every replica reads. Queued by the API on every publish, and by each
  worker turn when the feed's head is past the stored position (a harvest published here).
* ``search-snapshot`` (no payload; one active at a time): the worker's own search index
  (``<home>/search-worker``, restored from the latest snapshot or built when missing)
  catches up with the change feed and is published to the object storage
  (:func:`catalog.search.snapshots.publish`). Queued by a worker turn, at most once a
  minute, when ``LATEST`` is older than ``search_snapshot_every_s``.

A job that raises is retried with backoff (:meth:`JobQueue.fail`); an error that another
attempt cannot mend (an unknown source or connector, bad input) fails it at once. A harvest
that ran to its end is ``done`` whatever the harvest's own status: its job says what it
published. The catalogue is opened when a job first needs it; with the embedded Oxigraph
store (one process at a time) it is closed after each job, and a job that finds the store
held by another process is handed back untried.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.db import Database
from catalog.errors import (
    ConfigurationError,
    Conflict,
    DatalabError,
    ObjectStorageError,
    StoreError,
)
from catalog.jobs.queue import FAILED, JobQueue, QueuedJob
from catalog.jobs.schedules import HARVEST, Schedules
from catalog.service import Catalogue
from catalog.settings import Settings

log = logging.getLogger(__name__)

VALIDATE = "validate"
OFFERS = "offers"  # catalog.offers.follower.OFFERS_JOB
SNAPSHOT = "search-snapshot"
KINDS = (HARVEST, VALIDATE, OFFERS, SNAPSHOT)
#: A worker looks this often (seconds) for validation left queued outside its own jobs
#: (by a killed CLI run, ``datalab harvest --no-wait``), and queues a job to finish it.
SWEEP_S = 60.0


def default_worker_id() -> str:
    """``host:pid``, the id a worker gives when none is set."""
    return f"{socket.gethostname()}:{os.getpid()}"


def validate_key(job: str | None) -> str:
    return f"{VALIDATE}:{job or '*'}"


class WorkerInterrupted(BaseException):
    """Raised in the worker's thread to abandon the job in hand (a second stop signal);
    the job is handed back to the queue untried."""


@dataclass
class Turn:
    """What one turn of the loop did."""

    scheduled: list[str]
    job: QueuedJob | None = None
    outcome: str | None = None  # done, retry, failed, released


class Worker:
    """One worker: ``step`` runs one turn, ``run`` loops until ``stop`` is set."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        worker_id: str | None = None,
        queue: JobQueue | None = None,
        open_catalogue: Callable[[Settings], Catalogue] = Catalogue.open,
    ) -> None:
        self.settings = settings
        self.database = database
        self.id = worker_id or default_worker_id()
        self.queue = queue or JobQueue(database)
        self.schedules = Schedules(database, clock=self.queue.clock)
        self.stop = threading.Event()
        self._open_catalogue = open_catalogue
        self._sweep_at = 0.0
        self._snapshot_check_at = 0.0
        self._catalogue: Catalogue | None = None
        self._handlers: dict[str, Callable[[QueuedJob], dict[str, Any]]] = {
            HARVEST: self._harvest,
            VALIDATE: self._validate,
            OFFERS: self._offers,
            SNAPSHOT: self._search_snapshot,
        }

    # -- the loop ----------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> list[Turn]:
        """Turn until ``stop`` is set; with ``once``, until nothing is due. Returns the
        turns that did something."""
        turns: list[Turn] = []
        try:
            while not self.stop.is_set():
                turn = self.step()
                if turn.job is not None or turn.scheduled:
                    turns.append(turn)
                if turn.job is None:
                    if once:
                        break
                    self.stop.wait(self.settings.worker_poll_s)
        finally:
            self.close()
        return turns

    def step(self) -> Turn:
        """Queue due schedules, then claim and run one job (if any is due)."""
        scheduled = self.schedules.enqueue_due(
            self.queue, max_attempts=self.settings.worker_max_attempts
        )
        for source in scheduled:
            log.info("queued the scheduled harvest of %s", source)
        self._sweep()
        self._follow_feed()
        self._queue_snapshot()
        job = self.queue.claim(self.id, KINDS, self.settings.worker_lease_s)
        if job is None:
            return Turn(scheduled)
        return Turn(scheduled, job, self._run(job))

    def _sweep(self) -> None:
        if time.monotonic() < self._sweep_at:
            return
        self._sweep_at = time.monotonic() + SWEEP_S
        from catalog.harvest.queue import ValidationQueue

        if ValidationQueue(self.settings, self.queue.database).waiting() > 0:
            self.queue.enqueue(
                VALIDATE,
                {"job": None},
                max_attempts=self.settings.worker_max_attempts,
                dedupe_key=validate_key(None),
            )
        self._sweep_samples()

    def _sweep_samples(self) -> None:
        """Remove what killed uploads left in the shared sample store (S3 only: a local
        store is swept by the process that uploads)."""
        if not self.settings.samples_s3_endpoint:
            return
        from catalog.samples import SampleStore

        try:
            removed = SampleStore(self.settings).sweep()
        except DatalabError as exc:
            log.warning("the sample store could not be swept: %s", exc)
            return
        if removed:
            log.info("removed %d unpublished or replaced sample version(s)", removed)

    def _follow_feed(self) -> None:
        """Queue an ``offers`` job (deduped) when the change feed moved past the stored
        offers: two small queries a turn, so replicas see changes within a poll or two.
        The first build is queued by the API (:meth:`LiveOffers.build`), not here."""
        if self.settings.offers_index == "off":
            return
        from catalog.db.feed import ChangeFeed
        from catalog.offers.stored import OfferStore

        state = OfferStore(self.database).state()
        if state is not None and state.position < ChangeFeed(self.database).head():
            self.queue.enqueue(
                OFFERS, {}, max_attempts=self.settings.worker_max_attempts, dedupe_key=OFFERS
            )

    def _queue_snapshot(self) -> None:
        """Queue a ``search-snapshot`` job (deduped) when the latest snapshot is older than
        ``search_snapshot_every_s``: one small read of ``LATEST``, at most once a minute."""
        every = self.settings.search_snapshot_every_s
        if every <= 0 or time.monotonic() < self._snapshot_check_at:
            return
        self._snapshot_check_at = time.monotonic() + min(SWEEP_S, every)
        from catalog.search import snapshots

        storage = snapshots.storage_for(self.settings)
        if storage is None:
            return
        try:
            due = snapshots.due(storage, every, self.queue.clock())
        except ObjectStorageError as exc:
            log.warning("search snapshots: cannot read the latest one: %s", exc)
            return
        if due:
            self.queue.enqueue(
                SNAPSHOT, {}, max_attempts=self.settings.worker_max_attempts, dedupe_key=SNAPSHOT
            )

    def close(self) -> None:
        """Close the catalogue if this worker opened it."""
        if self._catalogue is not None:
            catalogue, self._catalogue = self._catalogue, None
            catalogue.close()

    # -- one job -----------------------------------------------------------------------------

    def _run(self, job: QueuedJob) -> str:
        log.info("job %s (%s, attempt %s): %s", job.id, job.kind, job.attempts, job.payload)
        beat = _Heartbeat(self.queue, job.id, self.id, self.settings.worker_lease_s)
        try:
            result = self._handlers[job.kind](job)
        except WorkerInterrupted:
            self.queue.release(job.id, self.id)
            log.info("job %s handed back to the queue: the worker was stopped", job.id)
            raise
        except _StoreBusy as busy:
            self.queue.release(job.id, self.id, delay_s=self.settings.worker_poll_s)
            log.info("job %s handed back: %s", job.id, busy)
            return "released"
        except Exception as exc:  # every failure is recorded on the job, and retried
            after = self.queue.fail(job.id, self.id, _message(exc), retry=_retryable(exc))
            level = logging.WARNING if isinstance(exc, DatalabError) else logging.ERROR
            log.log(level, "job %s failed (attempt %s): %s", job.id, job.attempts, exc,
                    exc_info=not isinstance(exc, DatalabError))  # fmt: skip
            return "failed" if after.state == FAILED else "retry"
        finally:
            beat.stop()
            if self.settings.store_backend == "oxigraph":
                self.close()  # the embedded store: leave it to other processes between jobs
        if not self.queue.complete(job.id, self.id, result):
            log.warning("job %s ended after its lease was lost; another worker had it", job.id)
        return "done"

    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            try:
                self._catalogue = self._open_catalogue(self.settings)
            except StoreError as exc:
                raise _StoreBusy(str(exc)) from exc
        return self._catalogue

    def _harvest(self, job: QueuedJob) -> dict[str, Any]:
        from catalog.harvest import Harvester

        source = str(job.payload["source"])
        catalogue = self.catalogue()
        harvester = Harvester(catalogue, drain=False)

        def started(run: Any) -> None:
            self.queue.update_result(job.id, self.id, {"harvest_job": run.id, "source": source})

        run = harvester.run(source, full=bool(job.payload.get("full")), on_start=started)
        result: dict[str, Any] = {"harvest_job": run.id, "source": source, "status": run.status}
        if run.published and run.validate:
            queued, _ = self.queue.enqueue(
                VALIDATE,
                {"job": run.id},
                max_attempts=self.settings.worker_max_attempts,
                dedupe_key=validate_key(run.id),
            )
            result["validate_job"] = queued.id
        return result

    def _validate(self, job: QueuedJob) -> dict[str, Any]:
        from catalog.harvest import JobStore
        from catalog.harvest.validate import drain

        catalogue = self.catalogue()
        settled = JobStore(self.settings, catalogue, database=self.queue.database).reconcile()
        target = job.payload.get("job")
        handled = drain(catalogue, job=str(target) if target else None, stop=self.stop)
        return {"validated": handled, "settled": [j.id for j in settled]}

    def _offers(self, job: QueuedJob) -> dict[str, Any]:
        from catalog.offers.follower import OffersFollower

        follower = OffersFollower(self.catalogue())
        report = follower.catch_up()
        return {
            "rows": report.rows,
            "pages": report.pages,
            "position": report.position,
            "rebuilt": report.rebuilt,
            "records_read": follower.records_read,
            "recomputed": follower.recomputed,
        }

    def _search_snapshot(self, job: QueuedJob) -> dict[str, Any]:
        from catalog.search import SearchService, snapshots
        from catalog.search.providers import DEFAULT_PROVIDERS

        storage = snapshots.storage_for(self.settings)
        if storage is None:
            raise ConfigurationError(
                "no object storage for search snapshots: set DATALAB_SEARCH_SNAPSHOT_S3_ENDPOINT "
                "or DATALAB_SAMPLES_S3_ENDPOINT",
                where="DATALAB_SEARCH_SNAPSHOT_S3_ENDPOINT",
            )
        folder = snapshots.worker_folder(self.settings)
        with _exclusive(folder.with_name(folder.name + ".lock")):
            service = SearchService.open(
                self.catalogue(), DEFAULT_PROVIDERS, attach=False, folder=folder
            )
            try:
                published = snapshots.publish(service, storage, self.settings.search_snapshot_keep)
            finally:
                service.close()
        return {**published.to_dict(), "index_origin": service.origin}


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (another worker sharing this home folder
    may hold it: the job is then retried later)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"another worker holds {path}", where=str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class _StoreBusy(DatalabError):
    """The embedded store is held by another process; the job waits for it."""


class _Heartbeat:
    """Renews a job's lease every third of the lease on a daemon thread."""

    def __init__(self, queue: JobQueue, job_id: int, worker_id: str, lease_s: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat,
            args=(queue, job_id, worker_id, lease_s),
            daemon=True,
            name=f"lease-{job_id}",
        )
        self._thread.start()

    def _beat(self, queue: JobQueue, job_id: int, worker_id: str, lease_s: float) -> None:
        while not self._stop.wait(lease_s / 3):
            try:
                if not queue.heartbeat(job_id, worker_id, lease_s):
                    log.warning("lost the lease of job %s: another worker took it over", job_id)
                    return
            except DatalabError as exc:  # the database is away: try again at the next beat
                log.warning("could not renew the lease of job %s: %s", job_id, exc)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def _retryable(exc: Exception) -> bool:
    """Whether another attempt may succeed: not for a client error (unknown source or
    connector, bad input), except a conflict (the source is being harvested elsewhere)."""
    if isinstance(exc, DatalabError) and 400 <= exc.status < 500:
        return isinstance(exc, Conflict)
    return True


def _message(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if isinstance(exc, DatalabError) else f"{type(exc).__name__}: {text}"
