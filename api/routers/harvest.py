"""Harvest sources and their jobs: read by anyone; registered and run by stewards and staff.

``POST /sources/{name}/harvest`` starts the run in a background thread and answers
``202 Accepted`` with the job (status "running") and its ``Location``; poll
``GET /jobs/{id}`` until the status is succeeded, partial or failed.

With ``DATALAB_WORKERS=queue`` the API runs no harvest itself: the POST queues one for
``datalab worker`` (:mod:`catalog.jobs`) and answers ``202`` with the queued job, whose id
is ``queue-<n>``. ``GET /jobs/queue-<n>`` answers the queue's state (queued, running, done,
failed, with attempts and the last error) until the worker has started the harvest, then
the harvest job itself (with the queue's state under ``queue``).
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.auth import Principal, PrincipalDep
from api.deps import ServicesDep
from api.services import Services
from catalog.errors import Conflict, Forbidden, NotFound, Unauthorized
from catalog.harvest import Job
from catalog.harvest.sources import HarvestSource, owner_key
from catalog.jobs import QueuedJob, Schedules, harvest_key

log = logging.getLogger(__name__)
router = APIRouter(tags=["harvest"])

#: Roles that may register and run harvest sources.
HARVEST_ROLES = frozenset({"steward", "staff", "admin"})
#: The id prefix of a job in the queue (a harvest job's id is a timestamp and a hex tag).
QUEUE_PREFIX = "queue-"


class NewSource(BaseModel):
    """A harvest source to register."""

    name: str = Field(description="Short name: lower-case letters, digits and '-'.")
    type: str = Field(description="Connector: ckan, dcat, sparql, or a plugin's name.")
    url: str = Field(description="The source's base URL (http or https).")
    incremental: bool = Field(default=False, description="Harvest only changes after a run.")
    options: dict[str, Any] = Field(default_factory=dict, description="Connector options.")


def _require_harvester(principal: Principal) -> None:
    if principal.anonymous:
        raise Unauthorized(
            "managing harvest sources needs 'Authorization: Bearer <token>' of a data "
            "steward, factory staff or an administrator",
            where="Authorization",
        )
    if principal.role not in HARVEST_ROLES:
        raise Forbidden(
            f"role {principal.role!r} may not manage harvest sources; stewards, staff "
            "and administrators may",
            where="role",
        )


def _require_owner(principal: Principal, source: HarvestSource) -> None:
    """Only the source's organisation or factory (or an administrator) may run or remove it."""
    _require_harvester(principal)
    if principal.role == "admin":
        return
    if source.owner is None or source.owner != owner_key(
        principal.role, principal.organisation, principal.factory
    ):
        raise Forbidden(
            f"harvest source {source.name!r} is managed by its owner, not by you",
            where="name",
        )


@router.get("/sources", operation_id="list_sources")
def sources(services: ServicesDep) -> dict[str, Any]:
    """Every registered harvest source, with its latest job."""
    jobs = services.harvest_jobs
    items = []
    for source in services.harvest_sources.list():
        latest = jobs.list(source.name, limit=1)
        items.append({**source.to_dict(), "latest_job": latest[0].to_dict() if latest else None})
    return {"items": items, "count": len(items)}


@router.get("/sources/{name}", operation_id="get_source")
def source(name: str, services: ServicesDep) -> dict[str, Any]:
    """One harvest source and its ten latest jobs."""
    found = services.harvest_sources.get(name)
    jobs = services.harvest_jobs.list(name, limit=10)
    return {**found.to_dict(), "jobs": [j.to_dict() for j in jobs]}


@router.get("/sources/{name}/jobs", operation_id="list_source_jobs")
def source_jobs(
    name: str,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Most jobs to return.")] = 50,
) -> dict[str, Any]:
    """A source's jobs, newest first."""
    services.harvest_sources.get(name)  # 404 for an unknown source
    items = [j.to_dict() for j in services.harvest_jobs.list(name, limit=limit)]
    return {"items": items, "count": len(items)}


@router.get("/jobs/{job_id}", operation_id="get_job")
def job(job_id: str, services: ServicesDep) -> dict[str, Any]:
    """One harvest job: status, counts, every failed record's error, validation progress;
    or a queued one (``queue-<n>``): its queue state until its harvest has started."""
    if job_id.startswith(QUEUE_PREFIX):
        return _queued(services, job_id)
    return services.harvest_jobs.find(job_id).to_dict()


def _queued(services: Services, job_id: str) -> dict[str, Any]:
    number = job_id.removeprefix(QUEUE_PREFIX)
    if not number.isdigit():
        raise NotFound(f"no job {job_id!r}", where="job")
    queued = services.jobs.get(int(number))
    started = (queued.result or {}).get("harvest_job")
    if started:
        try:
            return {**services.harvest_jobs.find(str(started)).to_dict(), "queue": _shown(queued)}
        except NotFound:
            pass  # its record was removed: the queue's state is all there is
    return {
        "id": job_id,
        "source": queued.payload.get("source"),
        "status": queued.state,
        "attempts": queued.attempts,
        "max_attempts": queued.max_attempts,
        "error": queued.error,
        "queue": _shown(queued),
    }


def _shown(queued: QueuedJob) -> dict[str, Any]:
    return {**queued.to_dict(), "id": f"{QUEUE_PREFIX}{queued.id}"}


@router.post("/sources", operation_id="add_source", status_code=201)
def add_source(
    services: ServicesDep, principal: PrincipalDep, body: Annotated[NewSource, Body()]
) -> JSONResponse:
    """Register a harvest source (stewards, staff and administrators); a name already in
    use, or one the catalogue reserves, is refused."""
    _require_harvester(principal)
    catalogue = services.catalogue
    created = services.harvest_sources.add(
        body.name,
        body.type,
        body.url,
        incremental=body.incremental,
        options=body.options,
        owner=owner_key(principal.role, principal.organisation, principal.factory),
        in_use=lambda name: catalogue.graphs.current(name) is not None,
    )
    return JSONResponse(
        created.to_dict(), status_code=201, headers={"Location": f"/sources/{created.name}"}
    )


@router.post("/sources/{name}/harvest", operation_id="run_harvest", status_code=202)
def run_harvest(
    name: str,
    services: ServicesDep,
    principal: PrincipalDep,
    full: Annotated[bool, Query(description="Ignore the incremental cursor.")] = False,
) -> JSONResponse:
    """Start a harvest of ``name`` in the background; 409 if one is already running."""
    _require_harvester(principal)
    # 404 before any thread starts; 403 unless the caller's organisation/factory owns it
    _require_owner(principal, services.harvest_sources.get(name))
    if services.settings.workers == "queue":
        return _enqueue(services, name, full)
    started = _start(services, name, full)
    return JSONResponse(started, status_code=202, headers={"Location": f"/jobs/{started['id']}"})


@router.delete("/sources/{name}", operation_id="remove_source", status_code=204)
def remove_source(name: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    """Unregister a source and remove its datasets (its owner or an administrator)."""
    _require_harvester(principal)
    registry, catalogue = services.harvest_sources, services.catalogue
    _require_owner(principal, registry.get(name))
    registry.remove(name)
    Schedules(services.database).clear(name)
    if catalogue.graphs.current(name) is not None:
        catalogue.remove_source(name)
    return Response(status_code=204)


def _enqueue(services: Services, name: str, full: bool) -> JSONResponse:
    """Queue the harvest for a worker; 409 while one of the source is queued or running."""
    queued, created = services.jobs.enqueue(
        "harvest",
        {"source": name, "full": full},
        max_attempts=services.settings.worker_max_attempts,
        dedupe_key=harvest_key(name),
    )
    job_id = f"{QUEUE_PREFIX}{queued.id}"
    if not created:
        raise Conflict(
            f"a harvest of source {name!r} is already {queued.state} (job {job_id}); try "
            "again when it has finished",
            where=name,
        )
    body = {
        "id": job_id,
        "source": name,
        "status": queued.state,
        "status_url": f"/jobs/{job_id}",
        "queue": _shown(queued),
    }
    return JSONResponse(body, status_code=202, headers={"Location": f"/jobs/{job_id}"})


def _start(services: Services, name: str, full: bool) -> dict[str, Any]:
    """Run the harvest in a thread; return its job once it exists, or raise why it could not."""
    ready = threading.Event()
    box: dict[str, Any] = {}

    def on_start(job: Job) -> None:
        box["job"] = job.to_dict()  # a snapshot: the thread goes on changing the job
        ready.set()

    def work() -> None:
        try:
            services.harvester().run(name, full=full, on_start=on_start)
        except BaseException as exc:  # Conflict, unknown connector: handed to the request
            box["error"] = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            ready.set()

    threading.Thread(target=work, name=f"harvest-{name}", daemon=True).start()
    ready.wait()
    if "job" not in box:
        raise box["error"]
    return box["job"]  # type: ignore[no-any-return]
