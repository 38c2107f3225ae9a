"""``/dsp/transfers``: the Dataspace Protocol 2025-1 transfer process, provider side (HTTPS
binding), and ``/dsp/data``: the data plane of its HTTP-pull transfers. See
:mod:`catalog.dsp.transfers`.

- ``GET /dsp/transfers/{providerPid}``: the ``TransferProcess`` (200);
- ``POST /dsp/transfers/request``: a ``TransferRequestMessage`` starts one (201);
- ``POST …/{providerPid}/start`` (resume), ``…/completion``, ``…/suspension``,
  ``…/termination``: the consumer's messages (200);
- ``GET /dsp/data/{providerPid}``: a page of the sample's rows, ``…/file``: its Parquet
  file, for the bearer of the data address's token.

Protocol endpoints take the consumer's catalogue API token and answer errors as
``TransferError`` messages; the data plane takes only the transfer's own token (never an
API token) and answers errors with the catalogue's common error body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.auth import PrincipalDep
from api.deps import DspDep, SamplesDep, ServicesDep, SettingsDep
from api.links import this_url
from api.middleware.refusal import client_address
from api.routers.dsp_negotiations import DspRoute, PidPath, dsp_json, read_message
from api.routing import PrivateRoute
from api.services import Services
from catalog.callers import Caller
from catalog.dsp.transfers import DataGrant, DataReader, Transfer
from catalog.errors import Unauthorized
from catalog.samples import PARQUET_MEDIA_TYPE
from catalog.samples.filters import SampleQuery
from catalog.settings import Settings


class TransferRoute(DspRoute):
    error_type: ClassVar[str] = "TransferError"


router = APIRouter(prefix="/dsp/transfers", tags=["dataspace-protocol"], route_class=TransferRoute)
data = APIRouter(prefix="/dsp/data", tags=["dataspace-protocol"], route_class=PrivateRoute)


@router.get("/{provider_pid}", operation_id="dsp_get_transfer")
async def get_transfer(
    provider_pid: PidPath, request: Request, principal: PrincipalDep, dsp: DspDep
) -> JSONResponse:
    """The transfer's state (``TransferProcess``)."""
    request.state.dsp_pids = (provider_pid, "")
    found = await run_in_threadpool(dsp.transfers.get, principal, provider_pid)
    request.state.dsp_pids = (provider_pid, found.consumer_pid)
    return dsp_json(found.ack())


@router.post("/request", operation_id="dsp_request_transfer", status_code=201)
async def request_transfer(
    request: Request, principal: PrincipalDep, dsp: DspDep, settings: SettingsDep
) -> JSONResponse:
    """A ``TransferRequestMessage`` under a finalized agreement: ``REQUESTED``; the
    ``TransferStartMessage`` with the data address goes to the consumer's callback."""
    message = await read_message(request, "TransferRequestMessage", settings.dsp_max_request_bytes)
    found, new = await run_in_threadpool(dsp.transfers.request, principal, message)
    dsp.courier.request()
    return dsp_json(found.ack(), 201 if new else 200)


#: One of the consumer's moves of a transfer (``DspTransfers.resume``, ``complete`` …).
Step = Callable[[Caller, str, dict[str, Any]], Transfer]


async def _move(
    request: Request,
    provider_pid: str,
    kind: str,
    step: Step,
    principal: Caller,
    settings: Settings,
) -> JSONResponse:
    """Read the consumer's ``kind`` message for the transfer and apply ``step`` to it."""
    message = await read_message(request, kind, settings.dsp_max_request_bytes, provider_pid)
    found = await run_in_threadpool(step, principal, provider_pid, message)
    return dsp_json(found.ack())


@router.post("/{provider_pid}/start", operation_id="dsp_resume_transfer")
async def resume_transfer(
    provider_pid: PidPath,
    request: Request,
    principal: PrincipalDep,
    dsp: DspDep,
    settings: SettingsDep,
) -> JSONResponse:
    """The consumer starts a suspended transfer again."""
    step = dsp.transfers.resume
    return await _move(request, provider_pid, "TransferStartMessage", step, principal, settings)


@router.post("/{provider_pid}/completion", operation_id="dsp_complete_transfer")
async def complete_transfer(
    provider_pid: PidPath,
    request: Request,
    principal: PrincipalDep,
    dsp: DspDep,
    settings: SettingsDep,
) -> JSONResponse:
    """The consumer has what it needed: ``COMPLETED`` (the token ends)."""
    kind = "TransferCompletionMessage"
    return await _move(request, provider_pid, kind, dsp.transfers.complete, principal, settings)


@router.post("/{provider_pid}/suspension", operation_id="dsp_suspend_transfer")
async def suspend_transfer(
    provider_pid: PidPath,
    request: Request,
    principal: PrincipalDep,
    dsp: DspDep,
    settings: SettingsDep,
) -> JSONResponse:
    """``SUSPENDED``: the data address serves nothing until the consumer starts again."""
    kind = "TransferSuspensionMessage"
    return await _move(request, provider_pid, kind, dsp.transfers.suspend, principal, settings)


@router.post("/{provider_pid}/termination", operation_id="dsp_terminate_transfer")
async def terminate_transfer(
    provider_pid: PidPath,
    request: Request,
    principal: PrincipalDep,
    dsp: DspDep,
    settings: SettingsDep,
) -> JSONResponse:
    """``TERMINATED`` (the token ends)."""
    kind = "TransferTerminationMessage"
    return await _move(request, provider_pid, kind, dsp.transfers.terminate, principal, settings)


# -- the data plane ----------------------------------------------------------------------------


def _grant(request: Request, services: Services, provider_pid: str) -> DataGrant:
    """What the request's transfer token opens; each bad token counts against its address."""
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "send the data address's token: Authorization: Bearer <token>",
                where="Authorization",
            )
        return services.dsp.transfers.reader(provider_pid, token.strip())
    except Unauthorized:
        if header:
            services.throttle.failed(client_address(request.scope), header)
        raise


@data.get("/{provider_pid}", operation_id="dsp_data_rows")
def data_rows(
    provider_pid: PidPath,
    request: Request,
    services: ServicesDep,
    samples: SamplesDep,
    offset: Annotated[int, Query(ge=0, le=2**62, description="Rows to skip.")] = 0,
    limit: Annotated[int | None, Query(ge=0, description="Rows to return (≤ 100).")] = None,
    filter: Annotated[
        list[str] | None, Query(description="As for /datasets/{id}/sample/rows.")
    ] = None,
    sort: Annotated[str | None, Query(description="column, or -column for descending.")] = None,
) -> JSONResponse:
    """A page of the sample's rows, for the bearer of the transfer's token."""
    grant = _grant(request, services, provider_pid)
    query = SampleQuery.parse(filter, sort, offset=offset, limit=limit)
    body = samples.rows(DataReader(grant.consumer), grant.dataset_id, query)
    if body["next_offset"] is not None:
        body["next"] = this_url(request, offset=body["next_offset"])
    return JSONResponse(body)


@data.get("/{provider_pid}/file", operation_id="dsp_data_file")
def data_file(
    provider_pid: PidPath, request: Request, services: ServicesDep, samples: SamplesDep
) -> Response:
    """The sample's Parquet file, for the bearer of the transfer's token."""
    grant = _grant(request, services, provider_pid)
    return Response(
        samples.parquet(DataReader(grant.consumer), grant.dataset_id),
        media_type=PARQUET_MEDIA_TYPE,
    )
