"""Dataspace Protocol 2025-1 messages: read at the boundary, built for the way out.

Incoming messages are plain JSON checked against what the spec's JSON schemas require (the
spec lets an implementation process messages as JSON or as JSON-LD): ``@context`` an array
naming the DSP context, the ``@type`` expected, every required property present with the
type the schema gives it, an offer an ODRL ``Offer`` whose rules have actions and whose
constraints are atomic (left operand, one of the schema's operators, right operand) or
logical. A message that fails is refused with :class:`~catalog.errors.InvalidInput` saying
what is wrong and where. Tests check this reading against the spec's schemas in
``../shared/corpus/dataspace-protocol/2025-1/``, and every message built here against them.

Outgoing messages are compact JSON-LD under the DSP context alone, as the schemas require.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from catalog.errors import InvalidInput, LimitExceeded

DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
CONTEXT = [DSP_CONTEXT]

# contract negotiation states (the provider sends no offers: OFFERED and ACCEPTED never occur)
REQUESTED, OFFERED, ACCEPTED, AGREED = "REQUESTED", "OFFERED", "ACCEPTED", "AGREED"
VERIFIED, FINALIZED, TERMINATED = "VERIFIED", "FINALIZED", "TERMINATED"
# transfer process states (and REQUESTED, TERMINATED)
STARTED, COMPLETED, SUSPENDED = "STARTED", "COMPLETED", "SUSPENDED"

#: The operators of the spec's contract schema (``AtomicConstraint.operator``).
OPERATORS = frozenset(
    {"eq", "gt", "gteq", "lteq", "hasPart", "isA", "isAllOf", "isAnyOf", "isNoneOf"}
    | {"isPartOf", "lt", "term-lteq", "neq"}
)
LOGICAL = ("and", "andSequence", "or", "xone")
#: The ``endpointType`` of an HTTP data address (the spec's examples use it for pull).
HTTP_ENDPOINT = "https://w3id.org/idsa/v4.1/HTTP"

#: Per message type: its required string properties, its optional string properties.
_STRINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ContractRequestMessage": (("consumerPid",), ("providerPid", "callbackAddress")),
    "ContractAgreementVerificationMessage": (("providerPid", "consumerPid"), ()),
    "ContractNegotiationEventMessage": (("providerPid", "consumerPid", "eventType"), ()),
    "ContractNegotiationTerminationMessage": (("providerPid", "consumerPid"), ("code",)),
    "TransferRequestMessage": (
        ("consumerPid", "agreementId", "format", "callbackAddress"),
        (),
    ),
    "TransferStartMessage": (("providerPid", "consumerPid"), ()),
    "TransferCompletionMessage": (("providerPid", "consumerPid"), ()),
    "TransferSuspensionMessage": (("providerPid", "consumerPid"), ("code",)),
    "TransferTerminationMessage": (("providerPid", "consumerPid"), ("code",)),
}
_WITH_REASON = {
    "ContractNegotiationTerminationMessage",
    "TransferSuspensionMessage",
    "TransferTerminationMessage",
}


# -- reading ---------------------------------------------------------------------------------


def read(body: bytes, kind: str, max_bytes: int) -> dict[str, Any]:
    """The message of ``@type`` ``kind`` in ``body``; :class:`InvalidInput` if it is not
    one, :class:`LimitExceeded` if it is over ``max_bytes``."""
    if len(body) > max_bytes:
        raise LimitExceeded(f"the {kind} is over {max_bytes} bytes", where="body")
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"the {kind} is not JSON", where="body") from None
    check(message, kind)
    return message  # type: ignore[no-any-return]


def pids_of(body: bytes) -> tuple[str, str]:
    """The ``providerPid`` and ``consumerPid`` a (maybe broken) message names, for its error
    answer; empty where it names none."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", ""
    if not isinstance(message, dict):
        return "", ""
    found = (message.get("providerPid"), message.get("consumerPid"))
    return tuple(v if isinstance(v, str) else "" for v in found)  # type: ignore[return-value]


def check(message: Any, kind: str) -> None:
    """Refuse ``message`` unless it is a valid ``kind`` (see the module's docstring)."""
    if not isinstance(message, dict):
        raise InvalidInput(f"a {kind} is a JSON object", where="body")
    context = message.get("@context")
    if not (
        isinstance(context, list)
        and all(isinstance(c, str) for c in context)
        and DSP_CONTEXT in context
    ):
        raise InvalidInput(f"@context must be an array naming {DSP_CONTEXT}", where="@context")
    if message.get("@type") != kind:
        raise InvalidInput(f"expected @type {kind}, got {message.get('@type')!r}", where="@type")
    required, optional = _STRINGS[kind]
    for key in required:
        if key not in message:
            raise InvalidInput(f"a {kind} needs {key}", where=key)
    for key in (*required, *optional):
        if key in message and not isinstance(message[key], str):
            raise InvalidInput(f"{key} is a string", where=key)
    if kind in _WITH_REASON and "reason" in message:
        reason = message["reason"]
        if not isinstance(reason, list) or not reason:
            raise InvalidInput("reason is a non-empty array", where="reason")
    if kind == "ContractRequestMessage":
        if ("callbackAddress" in message) == ("providerPid" in message):
            raise InvalidInput(
                "a ContractRequestMessage has either a callbackAddress (a new negotiation) "
                "or a providerPid (an existing one), not both",
                where="callbackAddress",
            )
        if "offer" not in message:
            raise InvalidInput("a ContractRequestMessage needs an offer", where="offer")
        check_offer(message["offer"], "offer")
    if kind == "ContractNegotiationEventMessage" and message["eventType"] not in (
        ACCEPTED,
        FINALIZED,
    ):
        raise InvalidInput("eventType is ACCEPTED or FINALIZED", where="eventType")
    if kind in ("TransferRequestMessage", "TransferStartMessage") and "dataAddress" in message:
        check_data_address(message["dataAddress"], "dataAddress")


def check_offer(offer: Any, where: str) -> None:
    """An ODRL ``Offer`` of a message (the contract schema's ``MessageOffer``)."""
    if not isinstance(offer, dict):
        raise InvalidInput("the offer is a JSON object", where=where)
    if not isinstance(offer.get("@id"), str):
        raise InvalidInput("the offer needs an @id", where=f"{where}.@id")
    if offer.get("@type") != "Offer":
        raise InvalidInput("the offer's @type is Offer", where=f"{where}.@type")
    if "target" in offer and not isinstance(offer["target"], str):
        raise InvalidInput("the offer's target is a string", where=f"{where}.target")
    profile = offer.get("profile")
    if profile is not None and not (
        isinstance(profile, str)
        or (isinstance(profile, list) and all(isinstance(p, str) for p in profile))
    ):
        raise InvalidInput("profile is a string or an array of strings", where=f"{where}.profile")
    if "permission" not in offer and "prohibition" not in offer:
        raise InvalidInput("the offer needs a permission or a prohibition", where=where)
    for key in ("permission", "prohibition", "obligation"):
        if key in offer:
            rules = offer[key]
            if not isinstance(rules, list) or not rules:
                raise InvalidInput(f"{key} is a non-empty array", where=f"{where}.{key}")
            for n, rule in enumerate(rules):
                _check_rule(rule, f"{where}.{key}[{n}]")


def _check_rule(rule: Any, where: str) -> None:
    if not isinstance(rule, dict):
        raise InvalidInput("a rule is a JSON object", where=where)
    if not isinstance(rule.get("action"), str):
        raise InvalidInput("a rule needs an action (a string)", where=f"{where}.action")
    if "constraint" in rule:
        _check_constraints(rule["constraint"], f"{where}.constraint")


def _check_constraints(items: Any, where: str) -> None:
    if not isinstance(items, list):
        raise InvalidInput("constraints are an array", where=where)
    for n, c in enumerate(items):
        _check_constraint(c, f"{where}[{n}]")


def _check_constraint(c: Any, where: str) -> None:
    if not isinstance(c, dict):
        raise InvalidInput("a constraint is a JSON object", where=where)
    logical = [k for k in LOGICAL if k in c]
    atomic = all(k in c for k in ("leftOperand", "operator", "rightOperand"))
    if len(logical) == 1 and not atomic:
        _check_constraints(c[logical[0]], f"{where}.{logical[0]}")
        return
    if logical or not atomic:
        raise InvalidInput(
            "a constraint is either atomic (leftOperand, operator, rightOperand) or logical "
            "(one of and, andSequence, or, xone)",
            where=where,
        )
    if not isinstance(c["leftOperand"], str):
        raise InvalidInput("leftOperand is a string", where=f"{where}.leftOperand")
    if c["operator"] not in OPERATORS:
        raise InvalidInput(
            f"operator is one of {', '.join(sorted(OPERATORS))}", where=f"{where}.operator"
        )
    if not isinstance(c["rightOperand"], str | dict | list):
        raise InvalidInput(
            "rightOperand is a string, an object or an array", where=f"{where}.rightOperand"
        )


def check_data_address(address: Any, where: str) -> None:
    if not isinstance(address, dict) or address.get("@type") != "DataAddress":
        raise InvalidInput("a data address is an object of @type DataAddress", where=where)
    if not isinstance(address.get("endpointType"), str):
        raise InvalidInput("a data address needs an endpointType", where=f"{where}.endpointType")
    if "endpoint" in address and not isinstance(address["endpoint"], str):
        raise InvalidInput("endpoint is a string", where=f"{where}.endpoint")
    if "endpointProperties" in address:
        props = address["endpointProperties"]
        if not isinstance(props, list) or not props:
            raise InvalidInput(
                "endpointProperties is a non-empty array", where=f"{where}.endpointProperties"
            )
        for n, p in enumerate(props):
            if not (
                isinstance(p, dict)
                and p.get("@type") == "EndpointProperty"
                and isinstance(p.get("name"), str)
                and isinstance(p.get("value"), str)
            ):
                raise InvalidInput(
                    "an endpoint property is an EndpointProperty with a name and a value",
                    where=f"{where}.endpointProperties[{n}]",
                )


# -- building --------------------------------------------------------------------------------


def _message(kind: str, provider_pid: str, consumer_pid: str, **rest: Any) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "@type": kind,
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
        **rest,
    }


def _reasons(code: str | None, reasons: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if code:
        out["code"] = code
    listed = [r for r in reasons if r]
    if listed:
        out["reason"] = listed
    return out


def negotiation(provider_pid: str, consumer_pid: str, state: str) -> dict[str, Any]:
    """The ``ContractNegotiation`` ACK."""
    return _message("ContractNegotiation", provider_pid, consumer_pid, state=state)


def negotiation_error(
    provider_pid: str, consumer_pid: str, code: str, reasons: Iterable[str]
) -> dict[str, Any]:
    return _message(
        "ContractNegotiationError", provider_pid, consumer_pid, **_reasons(code, reasons)
    )


def agreement_message(
    provider_pid: str, consumer_pid: str, agreement: dict[str, Any]
) -> dict[str, Any]:
    return _message("ContractAgreementMessage", provider_pid, consumer_pid, agreement=agreement)


def event_message(provider_pid: str, consumer_pid: str, event: str) -> dict[str, Any]:
    return _message("ContractNegotiationEventMessage", provider_pid, consumer_pid, eventType=event)


def negotiation_termination(
    provider_pid: str, consumer_pid: str, code: str, reasons: Iterable[str]
) -> dict[str, Any]:
    return _message(
        "ContractNegotiationTerminationMessage",
        provider_pid,
        consumer_pid,
        **_reasons(code, reasons),
    )


def transfer_process(provider_pid: str, consumer_pid: str, state: str) -> dict[str, Any]:
    """The ``TransferProcess`` ACK."""
    return _message("TransferProcess", provider_pid, consumer_pid, state=state)


def transfer_error(
    provider_pid: str, consumer_pid: str, code: str, reasons: Iterable[str]
) -> dict[str, Any]:
    return _message("TransferError", provider_pid, consumer_pid, **_reasons(code, reasons))


def transfer_start(provider_pid: str, consumer_pid: str, address: dict[str, Any]) -> dict[str, Any]:
    return _message("TransferStartMessage", provider_pid, consumer_pid, dataAddress=address)


def transfer_termination(
    provider_pid: str, consumer_pid: str, code: str, reasons: Iterable[str]
) -> dict[str, Any]:
    return _message(
        "TransferTerminationMessage", provider_pid, consumer_pid, **_reasons(code, reasons)
    )


def data_address(endpoint: str, properties: dict[str, str]) -> dict[str, Any]:
    """An HTTP ``DataAddress`` with its endpoint properties (``authorization``, …)."""
    address: dict[str, Any] = {
        "@type": "DataAddress",
        "endpointType": HTTP_ENDPOINT,
        "endpoint": endpoint,
    }
    if properties:
        address["endpointProperties"] = [
            {"@type": "EndpointProperty", "name": k, "value": v} for k, v in properties.items()
        ]
    return address


def callback_url(callback: str, *parts: str) -> str:
    """A path under a consumer's ``callbackAddress`` (with or without its trailing ``/``)."""
    return callback.rstrip("/") + "/" + "/".join(quote(p, safe=":@") for p in parts)
