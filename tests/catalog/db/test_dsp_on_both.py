"""The Dataspace Protocol's negotiations and transfers in the operational database, on SQLite
and PostgreSQL, without HTTP: every state change, the letters owed, and the rounds that
follow decisions taken elsewhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.auth import Principal
from catalog.access_requests import AccessRequests
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.db.schema import access_requests, dsp_outbox
from catalog.demo import load_demo
from catalog.dsp import DspProvider
from catalog.dsp.courier import Letter
from catalog.errors import InvalidTransition
from catalog.federation.dsp_catalog import dataset_document
from catalog.labs import get_lab, load_registry
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.dsp_schemas import dsp_schemas

DSP = "https://w3id.org/dspace/2025/1/context.jsonld"
DEV = Principal("dana", "developer")
LAB = "aiff-datalab"
DATASET = "synthetic-ehr-fhir-u2otqddy"
CALLBACK = "https://consumer.example/cb"


@pytest.fixture
def world(database: Database, db_settings: Settings) -> Iterator[tuple[DspProvider, Principal]]:
    with Catalogue.open(db_settings) as catalogue:
        load_demo(catalogue)
        load_registry(catalogue)
        accounts = Accounts(database)
        accounts.add_user("dana", "developer")
        staff = Principal("sam", "staff", factory=get_lab(catalogue, LAB).factory)
        provider = DspProvider(catalogue, AccessRequests(catalogue, accounts))  # not started
        yield provider, staff
        provider.close()


def _letters(provider: DspProvider) -> list[Letter]:
    query = sa.select(dsp_outbox.c.seq).where(dsp_outbox.c.state == "pending")
    with provider.outbox.database.read() as db:
        pending = set(db.execute(query).scalars())
    return [letter for letter in provider.outbox.due(10**12, 500) if letter.seq in pending]


def _deliver(provider: DspProvider, corpus: Path) -> list[dict[str, Any]]:
    """Hand every due letter over as if the consumer acknowledged it."""
    sent = []
    for letter in _letters(provider):
        message = provider._prepare(letter)
        provider.outbox.settle(letter, "sent")
        if message is not None:
            dsp_schemas(corpus).check(message)
            sent.append(message)
            provider._acked(letter)
    return sent


def test_negotiation_and_transfer_states_on_both_dialects(
    world: tuple[DspProvider, Principal], corpus: Path
) -> None:
    provider, staff = world
    offer = next(
        o
        for o in dataset_document(provider.catalogue, DATASET)["hasPolicy"]
        if o["assigner"].endswith("/" + LAB)
    )
    use = next(p for p in offer["permission"] if p["action"] == "use")
    use["constraint"] = [
        *use.get("constraint", []),
        {"leftOperand": "odrl:recipient", "operator": "eq", "rightOperand": "research"},
        {"leftOperand": "odrl:spatial", "operator": "eq", "rightOperand": "FR"},
        {"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": "academic-research"},
    ]
    iri = provider.catalogue.find(DATASET).iri
    message = {
        "@context": [DSP],
        "@type": "ContractRequestMessage",
        "consumerPid": "urn:uuid:c1",
        "callbackAddress": CALLBACK,
        "offer": {**offer, "target": iri},
    }
    dsp_schemas(corpus).check(message)
    n, new = provider.negotiations.request(DEV, message)
    assert new and n.state == "REQUESTED"
    [req] = provider.requests.list_for(DEV)
    assert (req.country, req.org_type, req.purpose) == ("FR", "Research", "academic-research")

    provider.requests.act(staff, req.id, "approve", "ok")  # the listener follows at once
    [agreement] = _deliver(provider, corpus)
    assert agreement["@type"] == "ContractAgreementMessage"
    assert provider.negotiations.get(DEV, n.provider_pid).state == "AGREED"
    counter = {**message, "providerPid": n.provider_pid}
    refused = provider.negotiations.refusal(DEV, n.provider_pid, counter, "a counter-request")
    assert isinstance(refused, InvalidTransition) and "no offers" in refused.message
    verify = {"providerPid": n.provider_pid, "consumerPid": "urn:uuid:c1"}
    assert provider.negotiations.verify(DEV, n.provider_pid, verify).state == "VERIFIED"
    [event] = _deliver(provider, corpus)
    assert event["eventType"] == "FINALIZED"
    assert provider.negotiations.get(DEV, n.provider_pid).state == "FINALIZED"

    t, _ = provider.transfers.request(
        DEV,
        {
            "consumerPid": "urn:uuid:t1",
            "agreementId": agreement["agreement"]["@id"],
            "format": "HttpData-PULL",
            "callbackAddress": CALLBACK,
        },
    )
    [start] = _deliver(provider, corpus)  # no sample: the procedure, no token
    assert "endpointProperties" not in start["dataAddress"]
    assert provider.transfers.get(DEV, t.provider_pid).state == "STARTED"

    # revoked where no listener sees it (another replica): the next round follows
    with provider.outbox.database.transaction() as db:
        db.execute(access_requests.update().values(state="revoked"))
    provider.sync()
    assert provider.transfers.get(DEV, t.provider_pid).state == "TERMINATED"
    [ended] = _deliver(provider, corpus)
    assert ended["@type"] == "TransferTerminationMessage"
    assert provider.negotiations.get(DEV, n.provider_pid).state == "FINALIZED"
    assert json.loads(provider.negotiations.one(n.provider_pid).agreement or "{}")["target"] == iri
