"""``/dsp/negotiations``: the Dataspace Protocol 2025-1 contract negotiation, provider side
(HTTPS binding). See :mod:`catalog.dsp.negotiations`.

- ``GET /dsp/negotiations/{providerPid}``: the ``ContractNegotiation`` (200);
- ``POST /dsp/negotiations/request``: a ``ContractRequestMessage`` starts one (201);
- ``POST …/{providerPid}/request`` (a counter-request) and ``…/events`` (an event from the
  consumer): 400, this provider sends no offers;
- ``POST …/{providerPid}/agreement/verification``: the
  ``ContractAgreementVerificationMessage`` (200);
- ``POST …/{providerPid}/termination``: the ``ContractNegotiationTerminationMessage`` (200).

The consumer authenticates with a catalogue API token (``Authorization: Bearer …``): DSP
leaves identity to the dataspace, and the token's account is the requester of the access
request a negotiation files. A negotiation that is not the caller's is 404. Every error is a
``ContractNegotiationError`` with the HTTP status of the problem (400 for a message that is
not valid or not allowed in the negotiation's state).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.auth import PrincipalDep
from api.deps import DspDep, SettingsDep
from api.errors import ErrorAnswer
from api.routing import PrivateRoute
from catalog.dsp import messages as m
from catalog.errors import InvalidInput, LimitExceeded

JSON = "application/json"
PidPath = Annotated[str, Path(max_length=200, description="The provider's process id.")]


class DspRoute(PrivateRoute):
    """Private answers whose errors are the protocol's error message (``error_type``), with
    the process ids the request named (``request.state.dsp_pids``)."""

    error_type: ClassVar[str] = "ContractNegotiationError"

    def error_response(self, request: Request, answer: ErrorAnswer) -> Response:
        provider, consumer = getattr(request.state, "dsp_pids", ("", ""))
        reasons = [answer.message] + ([f"at {answer.where}"] if answer.where else [])
        build = m.negotiation_error if self.error_type.startswith("Contract") else m.transfer_error
        body = build(provider, consumer, answer.code, reasons)
        return JSONResponse(body, status_code=answer.status, headers=answer.headers)


router = APIRouter(prefix="/dsp/negotiations", tags=["dataspace-protocol"], route_class=DspRoute)


async def read_message(
    request: Request, kind: str, max_bytes: int, provider_pid: str = ""
) -> dict[str, Any]:
    """The body as a ``kind`` message (checked; at most ``max_bytes``); the ids it names
    are kept for an error answer."""
    request.state.dsp_pids = (provider_pid, "")
    buffer = bytearray()
    async for chunk in request.stream():
        buffer += chunk
        if len(buffer) > max_bytes:
            raise LimitExceeded(f"the {kind} is over {max_bytes} bytes", where="body")
    body = bytes(buffer)
    named_provider, consumer = m.pids_of(body)
    request.state.dsp_pids = (provider_pid or named_provider, consumer)
    return m.read(body, kind, max_bytes)


def dsp_json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    """A DSP message as the answer (``application/json``)."""
    return JSONResponse(body, status_code=status, media_type=JSON)


@router.get("/{provider_pid}", operation_id="dsp_get_negotiation")
async def get_negotiation(
    provider_pid: PidPath, request: Request, principal: PrincipalDep, dsp: DspDep
) -> JSONResponse:
    """The negotiation's state (``ContractNegotiation``)."""
    request.state.dsp_pids = (provider_pid, "")
    found = await run_in_threadpool(dsp.negotiations.get, principal, provider_pid)
    request.state.dsp_pids = (provider_pid, found.consumer_pid)
    return dsp_json(found.ack())


@router.post("/request", operation_id="dsp_request_contract", status_code=201)
async def request_contract(
    request: Request, principal: PrincipalDep, dsp: DspDep, settings: SettingsDep
) -> JSONResponse:
    """A consumer's initial ``ContractRequestMessage`` for one of the catalogue's offers:
    a negotiation (``REQUESTED``) and the access request the lab's staff decide."""
    message = await read_message(request, "ContractRequestMessage", settings.dsp_max_request_bytes)
    if "providerPid" in message:
        raise InvalidInput(
            "a request for an existing negotiation goes to /negotiations/{providerPid}/request",
            where="providerPid",
        )
    found, new = await run_in_threadpool(dsp.negotiations.request, principal, message)
    dsp.courier.request()
    return dsp_json(found.ack(), 201 if new else 200)


@router.post("/{provider_pid}/request", operation_id="dsp_counter_request")
async def counter_request(
    provider_pid: PidPath,
    request: Request,
    principal: PrincipalDep,
    dsp: DspDep,
    settings: SettingsDep,
) -> JSONResponse:
    """A consumer's counter-request: refused, this provider sends no offers to counter."""
    kind = "ContractRequestMessage"
    message = await read_message(request, kind, settings.dsp_max_request_bytes, provider_pid)
    raise await run_in_threadpool(dsp.negotiations.refusal, principal, provider_pid, message, kind)


@router.post("/{provider_pid}/events", operation_id="dsp_negotiation_event")
async def negotiation_event(
    provider_pid: PidPath,
    request: Request,
    principal: PrincipalDep,
    dsp: DspDep,
    settings: SettingsDep,
) -> JSONResponse:
    """A consumer's event: ``ACCEPTED`` needs a provider offer (none are made), and
    ``FINALIZED`` is the provider's to send; both are refused."""
    kind = "ContractNegotiationEventMessage"
    message = await read_message(request, kind, settings.dsp_max_request_bytes, provider_pid)
    what = f"a {message['eventType']} event from the consumer"
    raise await run_in_threadpool(dsp.negotiations.refusal, principal, provider_pid, message, what)


@router.post("/{provider_pid}/agreement/verification", operation_id="dsp_verify_agreement")
async def verify_agreement(
    provider_pid: PidPath,
    request: Request,
    principal: PrincipalDep,
    dsp: DspDep,
    settings: SettingsDep,
) -> JSONResponse:
    """The consumer verifies the agreement (``VERIFIED``); the provider finalizes."""
    kind = "ContractAgreementVerificationMessage"
    message = await read_message(request, kind, settings.dsp_max_request_bytes, provider_pid)
    found = await run_in_threadpool(dsp.negotiations.verify, principal, provider_pid, message)
    dsp.courier.request()
    return dsp_json(found.ack())


@router.post("/{provider_pid}/termination", operation_id="dsp_terminate_negotiation")
async def terminate_negotiation(
    provider_pid: PidPath,
    request: Request,
    principal: PrincipalDep,
    dsp: DspDep,
    settings: SettingsDep,
) -> JSONResponse:
    """The consumer terminates (``TERMINATED``); an open access request is withdrawn."""
    kind = "ContractNegotiationTerminationMessage"
    message = await read_message(request, kind, settings.dsp_max_request_bytes, provider_pid)
    found = await run_in_threadpool(dsp.negotiations.terminate, principal, provider_pid, message)
    return dsp_json(found.ack())
