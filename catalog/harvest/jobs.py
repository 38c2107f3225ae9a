"""Harvest jobs: one JSON file per run, written atomically as the run goes."""

from __future__ import annotations

import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from catalog.errors import NotFound
from catalog.harvest.files import SourceLock, read_json, write_json
from catalog.harvest.sources import harvest_dir
from catalog.settings import Settings

RUNNING, SUCCEEDED, PARTIAL, FAILED = "running", "succeeded", "partial", "failed"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    validation: dict[str, Any] = field(
        default_factory=lambda: {"waiting": 0, "done": 0, "nonconforming": 0, "reports": {}}
    )

    def error(self, record: str, message: str) -> None:
        self.counts["failed"] += 1
        if len(self.errors) < 1000:
            self.errors.append({"record": record, "message": message})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class JobStore:
    """Jobs under ``<home>/harvest/jobs/<source>/<id>.json``."""

    def __init__(self, settings: Settings) -> None:
        self.root = harvest_dir(settings) / "jobs"
        self.locks = harvest_dir(settings) / "locks"
        self._guard = threading.Lock()

    def new(self, source: str, *, incremental: bool = False) -> Job:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        job = Job(f"{stamp}-{uuid.uuid4().hex[:8]}", source, now(), incremental=incremental)
        self.save(job)
        return job

    def save(self, job: Job) -> None:
        with self._guard:
            write_json(self.root / job.source / f"{job.id}.json", job.to_dict())

    def get(self, source: str, job_id: str) -> Job:
        data = read_json(self.root / source / f"{job_id}.json", None)
        if not isinstance(data, dict) or "/" in job_id:
            raise NotFound(f"no job {job_id!r} for source {source!r}", where="job")
        return self._recover(Job(**data))

    def find(self, job_id: str) -> Job:
        """The job ``job_id`` of whichever source ran it."""
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise NotFound(f"no job {job_id!r}", where="job")
        for folder in sorted(self.root.glob("*")):
            if (folder / f"{job_id}.json").is_file():
                return self.get(folder.name, job_id)
        raise NotFound(f"no job {job_id!r}", where="job")

    def list(self, source: str | None = None, limit: int = 50) -> list[Job]:
        folders = [self.root / source] if source else sorted(self.root.glob("*"))
        jobs = [
            Job(**data)
            for folder in folders
            for path in folder.glob("*.json")
            if isinstance(data := read_json(path, None), dict)
        ]
        jobs.sort(key=lambda j: j.id, reverse=True)
        return [self._recover(j) for j in jobs[:limit]]

    def _recover(self, job: Job) -> Job:
        """A job still "running" whose source lock nobody holds was killed: mark it failed."""
        if job.status == RUNNING and not SourceLock(self.locks, job.source).held_elsewhere():
            job.status = FAILED
            job.finished = job.finished or now()
            job.message = "the run was interrupted (process killed); nothing was published"
            self.save(job)
        return job
