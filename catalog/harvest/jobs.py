"""Harvest jobs: one JSON file per run, written atomically as the run goes, whose truth
about publishing is settled by the store.

A run writes its job file three times: when it starts (``running``); when its listing has
been read and its version is about to be published (still ``running``, with the
tentative outcome in ``pending``); and when it ends. The version it publishes carries a
marker triple, ``<urn:datalab:harvest-run:ID> dlab:harvestJob "ID"``, so the publish
itself records which job's version is served: whatever a job file says, a job whose
marker is in its source's current (or previous) graph was published.

A job file still ``running`` whose source lock nobody holds belongs to a process that
died. Read with the catalogue (:class:`JobStore` given one), it is settled and rewritten:
published (the marker is there) with the tentative outcome, or ``failed`` with nothing
published. Read without it, a job that died before its ``pending`` step is certainly
``failed`` (nothing can have been published); one that died after it is shown as
``interrupted`` until a reader with the catalogue settles it (the server does at start-up
and then every minute; ``datalab source show`` does at once).
"""

from __future__ import annotations

import builtins
import threading
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from catalog.errors import NotFound
from catalog.graphs import META_GRAPH, source_iri
from catalog.harvest.files import SourceLock, read_json, write_json
from catalog.harvest.queue import ValidationQueue
from catalog.harvest.sources import harvest_dir
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


class JobStore:
    """Jobs under ``<home>/harvest/jobs/<source>/<id>.json``.

    Given the catalogue, a job left ``running`` by a dead process is settled against the
    store (see the module's docstring); without it, only what the files prove is said."""

    def __init__(self, settings: Settings, catalogue: Catalogue | None = None) -> None:
        self.root = harvest_dir(settings) / "jobs"
        self.locks = harvest_dir(settings) / "locks"
        self.catalogue = catalogue
        self.queue = ValidationQueue(settings)
        self._guard = threading.Lock()

    def new(self, source: str, *, incremental: bool = False, validate: bool = False) -> Job:
        # milliseconds, so that ids sort in the order the runs started
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")[:-3]
        job = Job(
            f"{stamp}-{uuid.uuid4().hex[:8]}",
            source,
            now(),
            incremental=incremental,
            validate=validate,
        )
        self.save(job)
        return job

    def save(self, job: Job) -> None:
        data = job.to_dict()
        data["validation"] = {"waiting": 0, "done": 0, "nonconforming": 0, "reports": {}}
        with self._guard:
            write_json(self.root / job.source / f"{job.id}.json", data)

    def get(self, source: str, job_id: str) -> Job:
        data = read_json(self.root / source / f"{job_id}.json", None)
        if not isinstance(data, dict) or "/" in job_id:
            raise NotFound(f"no job {job_id!r} for source {source!r}", where="job")
        return self._read(Job.from_dict(data))

    def find(self, job_id: str) -> Job:
        """The job ``job_id`` of whichever source ran it."""
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise NotFound(f"no job {job_id!r}", where="job")
        for folder in sorted(self.root.glob("*")):
            if (folder / f"{job_id}.json").is_file():
                return self.get(folder.name, job_id)
        raise NotFound(f"no job {job_id!r}", where="job")

    def list(self, source: str | None = None, limit: int = 50) -> list[Job]:
        jobs = self._all(source)
        jobs.sort(key=lambda j: j.id, reverse=True)
        return [self._read(j) for j in jobs[:limit]]

    def reconcile(self) -> builtins.list[Job]:
        """Settle every job left running by a dead process; returns the jobs settled."""
        settled = []
        for job in self._all(None):
            if job.status in (RUNNING, INTERRUPTED):
                after = self._recover(job)
                if after.status not in (RUNNING, INTERRUPTED):
                    settled.append(after)
        return settled

    def _all(self, source: str | None) -> builtins.list[Job]:
        folders = [self.root / source] if source else sorted(self.root.glob("*"))
        return [
            Job.from_dict(data)
            for folder in folders
            for path in folder.glob("*.json")
            if isinstance(data := read_json(path, None), dict)
        ]

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
        if SourceLock(self.locks, job.source).held_elsewhere():
            return job
        job.interrupted = True
        if self.catalogue is not None:
            graph = published_graph(self.catalogue.store, job.source, job.id)
            self._settle(job, graph)
            self.save(job)
        elif job.pending is None:
            self._settle(job, None)  # it died before its version was complete
            self.save(job)
        else:
            job.status = INTERRUPTED
            job.message = (
                "the run's process died while publishing; whether its version was published "
                "is settled when the catalogue reads this job (the server does, and "
                "`datalab source show` does)"
            )
        return job

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
