"""Harvest jobs: one row per run in the operational database (table ``harvest_jobs``,
the job as JSON), written whole as the run goes, whose truth about publishing is settled
by the store.

A run writes its job three times: when it starts (``running``); when its listing has
been read and its version is about to be published (still ``running``, with the
tentative outcome in ``pending``); and when it ends. The version it publishes carries a
marker triple, ``<urn:datalab:harvest-run:ID> dlab:harvestJob "ID"``, so the publish
itself records which job's version is served: whatever a job's row says, a job whose
marker is in its source's current (or previous) graph was published.

A job still ``running`` whose source lock nobody holds (:mod:`catalog.harvest.locks`)
belongs to a process that died. Read with the catalogue (:class:`JobStore` given one), it
is settled and rewritten: published (the marker is there) with the tentative outcome, or
``failed`` with nothing published. Read without it, a job that died before its
``pending`` step is certainly ``failed`` (nothing can have been published); one that died
after it is shown as ``interrupted`` until a reader with the catalogue settles it (the
server does at start-up and then every minute; ``datalab source show`` does at once). A
settled job is only written over a row that still says ``running``: a run that ended
meanwhile, or another reader's settlement, stands.
"""

from __future__ import annotations

import builtins
import json
import threading
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
import sqlalchemy as sa

from catalog.db import Database
from catalog.db.legacy_harvest import import_legacy_jobs
from catalog.db.schema import harvest_jobs
from catalog.errors import NotFound
from catalog.graphs import META_GRAPH, source_iri
from catalog.harvest.locks import HarvestLock, source_lock
from catalog.harvest.queue import ValidationQueue
from catalog.harvest.sources import HARVEST, harvest_dir
from catalog.harvest.state import by_code_point, database_of, insert
from catalog.namespaces import DLAB
from catalog.settings import Settings

if TYPE_CHECKING:
    from catalog.service import Catalogue
    from catalog.store.base import GraphStore

RUNNING, SUCCEEDED, PARTIAL, FAILED = "running", "succeeded", "partial", "failed"
#: A run whose process died while publishing, not yet settled against the store.
INTERRUPTED = "interrupted"
RUN_PREFIX = "urn:datalab:harvest-run:"
_ENDED = "its process was killed, or could not record how the run ended"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_marker(job_id: str) -> ox.NamedNode:
    """The subject of the triple a run's version carries to say which job wrote it."""
    return ox.NamedNode(RUN_PREFIX + job_id)


def published_graph(store: GraphStore, source: str, job_id: str) -> str | None:
    """The version graph ``job_id`` published, if it is the current or previous version of
    ``source`` (older versions are dropped), else None."""
    rows = store.select(
        f"SELECT ?g WHERE {{ GRAPH <{META_GRAPH}> {{ <{source_iri(source)}> ?rel ?g "
        f"VALUES ?rel {{ <{DLAB.currentGraph}> <{DLAB.previousGraph}> }} }} "
        f"GRAPH ?g {{ <{run_marker(job_id).value}> <{DLAB.harvestJob}> ?id }} }}"
    )
    return rows[0]["g"].value if rows else None


@dataclass
class Job:
    """One run of one source: when, how it ended, what it counted, what failed and why."""

    id: str
    source: str
    started: str
    finished: str | None = None
    status: str = RUNNING
    message: str | None = None
    incremental: bool = False
    pages: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("new", "updated", "unchanged", "deleted", "failed"), 0
        )
    )
    errors: list[dict[str, str]] = field(default_factory=list)
    #: Validation progress, read from the queue (waiting, done, nonconforming, reports).
    validation: dict[str, Any] = field(
        default_factory=lambda: {"waiting": 0, "done": 0, "nonconforming": 0, "reports": {}}
    )
    #: Whether this run's version was published, and which graph it is.
    published: bool = False
    graph: str | None = None
    #: The outcome recorded just before publishing ({"status", "message"}), cleared at the end.
    pending: dict[str, Any] | None = None
    #: The run's process died before it recorded how the run ended.
    interrupted: bool = False
    #: Whether the run queued its new and changed records for validation.
    validate: bool = False

    def error(self, record: str, message: str) -> None:
        self.counts["failed"] += 1
        if len(self.errors) < 1000:
            self.errors.append({"record": record, "message": message})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


_last_stamp = datetime.min.replace(tzinfo=UTC)
_stamp_lock = threading.Lock()


def _started_stamp() -> str:
    """A job id's leading stamp, in milliseconds so that ids sort in the order the runs
    started: strictly later than the last one this process gave (two runs started in one
    millisecond would otherwise sort by their random suffix)."""
    global _last_stamp
    with _stamp_lock:
        _last_stamp = max(datetime.now(UTC), _last_stamp + timedelta(milliseconds=1))
        return _last_stamp.strftime("%Y%m%dT%H%M%S%f")[:-3]


class JobStore:
    """Jobs in the operational database (table ``harvest_jobs``, one row per run).

    ``JobStore(settings)`` opens the database the settings name; ``JobStore(settings,
    catalogue, database=...)`` uses an open one. Given the catalogue, a job left
    ``running`` by a dead process is settled against the store (see the module's
    docstring); without it, only what the rows prove is said. Jobs of a catalogue from
    before the database (``<home>/harvest/jobs/<source>/<id>.json``) are imported on first
    open."""

    def __init__(
        self,
        settings: Settings,
        catalogue: Catalogue | None = None,
        *,
        database: Database | None = None,
    ) -> None:
        self.database = database_of(database or (catalogue.database if catalogue else settings))
        #: Where the source locks of the embedded database are (see :meth:`lock`).
        self.locks = harvest_dir(settings) / "locks"
        self.catalogue = catalogue
        self.queue = ValidationQueue(settings, self.database)
        if self.database.home is not None:
            import_legacy_jobs(self.database, self.database.home / HARVEST)

    def lock(self, source: str) -> HarvestLock:
        """The lock a run of ``source`` holds (advisory on PostgreSQL, else a file's)."""
        return source_lock(self.database, self.locks, source)

    def new(self, source: str, *, incremental: bool = False, validate: bool = False) -> Job:
        job = Job(
            f"{_started_stamp()}-{uuid.uuid4().hex[:8]}",
            source,
            now(),
            incremental=incremental,
            validate=validate,
        )
        self.save(job)
        return job

    def save(self, job: Job) -> None:
        """Write ``job`` whole, in one statement."""
        row = _row(job)
        query = insert(self.database, harvest_jobs).values(row)
        query = query.on_conflict_do_update(
            index_elements=[harvest_jobs.c.id],
            set_={"status": row["status"], "body": row["body"]},
        )
        with self.database.transaction() as db:
            db.execute(query)

    def get(self, source: str, job_id: str) -> Job:
        query = sa.select(harvest_jobs.c.body).where(
            harvest_jobs.c.id == job_id, harvest_jobs.c.source == source
        )
        with self.database.read() as db:
            body = db.execute(query).scalar()
        if body is None or "/" in job_id:
            raise NotFound(f"no job {job_id!r} for source {source!r}", where="job")
        return self._read(_job(body))

    def find(self, job_id: str) -> Job:
        """The job ``job_id`` of whichever source ran it."""
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise NotFound(f"no job {job_id!r}", where="job")
        query = sa.select(harvest_jobs.c.body).where(harvest_jobs.c.id == job_id)
        with self.database.read() as db:
            body = db.execute(query).scalar()
        if body is None:
            raise NotFound(f"no job {job_id!r}", where="job")
        return self._read(_job(body))

    def list(self, source: str | None = None, limit: int = 50) -> builtins.list[Job]:
        """The newest ``limit`` jobs (of ``source``, or of every source), newest first."""
        query = (
            sa.select(harvest_jobs.c.body)
            .order_by(by_code_point(self.database, harvest_jobs.c.id).desc())
            .limit(limit)
        )
        if source:
            query = query.where(harvest_jobs.c.source == source)
        with self.database.read() as db:
            bodies = db.execute(query).scalars().all()
        return [self._read(_job(b)) for b in bodies]

    def reconcile(self) -> builtins.list[Job]:
        """Settle every job left running by a dead process; returns the jobs settled."""
        query = sa.select(harvest_jobs.c.body).where(harvest_jobs.c.status == RUNNING)
        with self.database.read() as db:
            bodies = db.execute(query).scalars().all()
        settled = []
        for job in map(_job, bodies):
            after = self._recover(job)
            if after.status not in (RUNNING, INTERRUPTED):
                settled.append(after)
        return settled

    def _read(self, job: Job) -> Job:
        job = self._recover(job)
        progress = self.queue.progress(job.id)
        if progress is not None:
            job.validation = progress
        return job

    def _recover(self, job: Job) -> Job:
        """A job still "running" whose source lock nobody holds was killed: tell the truth
        about what it left."""
        if job.status not in (RUNNING, INTERRUPTED):
            return job
        if self.lock(job.source).held_elsewhere():
            return job
        job.interrupted = True
        if self.catalogue is not None:
            graph = published_graph(self.catalogue.store, job.source, job.id)
            self._settle(job, graph)
            return self._save_settled(job)
        if job.pending is None:
            self._settle(job, None)  # it died before its version was complete
            return self._save_settled(job)
        job.status = INTERRUPTED
        job.message = (
            "the run's process died while publishing; whether its version was published "
            "is settled when the catalogue reads this job (the server does, and "
            "`datalab source show` does)"
        )
        return job

    def _save_settled(self, job: Job) -> Job:
        """Write a settled job unless its row no longer says "running" (the run itself
        ended between the read and the look at its lock, or another reader settled it):
        then that row is the truth."""
        row = _row(job)
        query = (
            harvest_jobs.update()
            .where(harvest_jobs.c.id == job.id, harvest_jobs.c.status == RUNNING)
            .values(status=row["status"], body=row["body"])
        )
        with self.database.transaction() as db:
            if db.execute(query).rowcount > 0:
                return job
            body = db.execute(
                sa.select(harvest_jobs.c.body).where(harvest_jobs.c.id == job.id)
            ).scalar()
        return job if body is None else _job(body)

    @staticmethod
    def _settle(job: Job, graph: str | None) -> None:
        job.finished = job.finished or now()
        if graph is None:
            job.status, job.published = FAILED, False
            job.message = (
                f"the run was interrupted ({_ENDED}) before its version was published; "
                "nothing was published, the previous version is still served"
            )
        else:
            pending = job.pending or {}
            job.status = pending.get("status") or SUCCEEDED
            job.published, job.graph = True, graph
            said = pending.get("message")
            job.message = (f"{said}; " if said else "") + (
                f"the run was interrupted ({_ENDED}) after publishing this version, which "
                "is served; its counts are those recorded just before publishing"
            )
        job.pending = None


def _row(job: Job) -> dict[str, Any]:
    data = job.to_dict()
    data["validation"] = {"waiting": 0, "done": 0, "nonconforming": 0, "reports": {}}
    body = json.dumps(data, ensure_ascii=False)
    return {"id": job.id, "source": job.source, "status": job.status, "body": body}


def _job(body: str) -> Job:
    return Job.from_dict(json.loads(body))
