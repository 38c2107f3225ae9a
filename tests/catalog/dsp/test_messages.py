"""The DSP messages read at the boundary and built for the way out, against the spec's JSON
schemas in the corpus: the boundary accepts what the schemas accept and refuses what they
refuse (the spec's examples, and each of them spoiled), and every message built is valid."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.dsp import messages as m
from catalog.errors import InvalidInput, LimitExceeded
from tests.dsp_schemas import SCHEMA_OF, DspSchemas, dsp_schemas

READ = sorted(m._STRINGS)  # the message types the provider reads


@pytest.fixture(scope="module")
def schemas(corpus: Path) -> DspSchemas:
    return dsp_schemas(corpus)


def examples(corpus: Path) -> list[tuple[str, dict[str, Any]]]:
    folder = corpus / "dataspace-protocol" / "2025-1"
    found = []
    for path in sorted(folder.glob("*/example/*.json")):
        doc = json.loads(path.read_text("utf-8"))
        if isinstance(doc, dict) and doc.get("@type") in READ:
            found.append((path.name, doc))
    return found


def accepted(doc: Any, kind: str) -> bool:
    try:
        m.check(doc, kind)
    except InvalidInput:
        return False
    return True


def spoiled(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The example with one thing wrong at a time: each property dropped or of the wrong
    type, and in an offer each rule's action and each constraint's parts."""
    for key in list(doc):
        if key == "@context":
            continue
        dropped = copy.deepcopy(doc)
        del dropped[key]
        yield f"no {key}", dropped
        wrong = copy.deepcopy(doc)
        wrong[key] = 42
        yield f"{key} a number", wrong
    if "reason" in doc:
        yield "no reasons", {**copy.deepcopy(doc), "reason": []}
    for context in ([], "https://w3id.org/dspace/2025/1/context.jsonld", ["https://x.org/c"]):
        yield f"@context {context!r}", {**copy.deepcopy(doc), "@context": context}
    offer = doc.get("offer")
    if isinstance(offer, dict):
        for n, rule in enumerate(offer.get("permission", [])):
            bad = copy.deepcopy(doc)
            del bad["offer"]["permission"][n]["action"]
            yield f"permission {n} without action", bad
            for c, _ in enumerate(rule.get("constraint", [])):
                for part in ("leftOperand", "operator", "rightOperand"):
                    bad = copy.deepcopy(doc)
                    del bad["offer"]["permission"][n]["constraint"][c][part]
                    yield f"constraint {c} without {part}", bad
                bad = copy.deepcopy(doc)
                bad["offer"]["permission"][n]["constraint"][c]["operator"] = "like"
                yield f"constraint {c} with an unknown operator", bad
    address = doc.get("dataAddress")
    if isinstance(address, dict):
        bad = copy.deepcopy(doc)
        del bad["dataAddress"]["endpointType"]
        yield "dataAddress without endpointType", bad
        bad = copy.deepcopy(doc)
        bad["dataAddress"]["endpointProperties"] = []
        yield "dataAddress with no endpointProperties", bad


def test_the_boundary_accepts_and_refuses_what_the_spec_schemas_do(
    corpus: Path, schemas: DspSchemas
) -> None:
    cases = examples(corpus)
    assert {doc["@type"] for _, doc in cases} == set(READ)
    compared = 0
    for name, doc in cases:
        kind = doc["@type"]
        assert not schemas.errors(doc), name
        assert accepted(doc, kind), name
        for what, bad in spoiled(doc):
            by_schema = not schemas.errors(bad, SCHEMA_OF[kind])
            assert accepted(bad, kind) == by_schema, (name, what, by_schema)
            compared += 1
    assert compared > 100


def test_the_corpus_request_messages_read_from_bytes(corpus: Path) -> None:
    folder = corpus / "dataspace-protocol" / "2025-1" / "negotiation" / "example"
    body = (folder / "contract-request-message_initial.json").read_bytes()
    message = m.read(body, "ContractRequestMessage", 64 * 1024)
    assert message["callbackAddress"] == "https://example.com/callback"
    with pytest.raises(LimitExceeded):
        m.read(body, "ContractRequestMessage", 100)
    with pytest.raises(InvalidInput, match="not JSON"):
        m.read(b"{nope", "ContractRequestMessage", 1000)
    with pytest.raises(InvalidInput, match="expected @type"):
        m.read(body, "TransferRequestMessage", 64 * 1024)
    assert m.pids_of(body) == ("", "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833")
    assert m.pids_of(b"[1]") == ("", "")


def test_every_message_built_is_valid(schemas: DspSchemas) -> None:
    pp, cp = "urn:uuid:p", "urn:uuid:c"
    agreement = {
        "@id": "urn:uuid:a",
        "@type": "Agreement",
        "target": "https://example.org/dataset/1",
        "assigner": "https://w3id.org/datalab/lab/x",
        "assignee": "urn:datalab:account:dev",
        "timestamp": "2026-01-01T00:00:00Z",
        "permission": [{"action": "use"}],
    }
    address = m.data_address(
        "https://example.org/data", {"authorization": "t", "authType": "bearer"}
    )
    built = [
        *(m.negotiation(pp, cp, s) for s in ("REQUESTED", "AGREED", "VERIFIED", "FINALIZED")),
        m.negotiation(pp, cp, "TERMINATED"),
        m.negotiation_error(pp, cp, "invalid_input", ["what", "at where"]),
        m.negotiation_error("", "", "unauthorized", ["sign in"]),
        m.agreement_message(pp, cp, agreement),
        m.event_message(pp, cp, "FINALIZED"),
        m.negotiation_termination(pp, cp, "rejected", ["not for this lab"]),
        m.negotiation_termination(pp, cp, "", []),
        *(m.transfer_process(pp, cp, s) for s in ("REQUESTED", "STARTED", "SUSPENDED")),
        *(m.transfer_process(pp, cp, s) for s in ("COMPLETED", "TERMINATED")),
        m.transfer_error(pp, cp, "invalid_state_transition", ["no"]),
        m.transfer_start(pp, cp, address),
        m.transfer_start(pp, cp, m.data_address("https://example.org/procedure", {})),
        m.transfer_termination(pp, cp, "revoked", ["the access request was revoked"]),
    ]
    for doc in built:
        schemas.check(doc)
    assert m.callback_url("https://c.example/cb/", "negotiations", "urn:uuid:1", "agreement") == (
        "https://c.example/cb/negotiations/urn:uuid:1/agreement"
    )
