"""The Dataspace Protocol's contract negotiation and transfer process, driven end to end as a
consumer connector drives them: real servers on loopback (the catalogue, and a consumer's
callback endpoint), the catalogue's own access-request API for the staff's decisions, and
every message in and out checked against the spec's JSON schemas from the corpus."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rdflib

from catalog.accounts import Accounts
from catalog.db import Database
from catalog.db.schema import access_requests
from catalog.demo import load_demo
from catalog.labs import get_lab, load_registry
from catalog.samples import SampleStore, Upload
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from tests.app_server import serving_as_cli
from tests.connectors.dataspaces.server import Reply, Request, Server, serve
from tests.dsp_jsonld import relative_iris, spec_graph
from tests.dsp_schemas import DspSchemas, dsp_schemas

DSP = "https://w3id.org/dspace/2025/1/context.jsonld"
ODRL = "http://www.w3.org/ns/odrl/2/"
DATASET = "synthetic-ehr-fhir-u2otqddy"  # RESTRICTED; some labs may offer it
LAB = "aiff-datalab"
SECRET = "SECRET-ROW-VALUE"
PROFILE = [  # who the consumer is and what for (organisation type, country, purpose)
    {"leftOperand": "odrl:recipient", "operator": "eq", "rightOperand": "research"},
    {"leftOperand": "odrl:spatial", "operator": "eq", "rightOperand": "DE"},
    {"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": "academic-research"},
]


@dataclass
class Consumer:
    """A consumer connector: its callback server, its token, the schemas it checks with."""

    server: Server
    base: str  # the provider's DSP base URL
    token: str
    schemas: DspSchemas
    corpus: Path
    received: list[Request] = field(default_factory=list)

    @property
    def callback(self) -> str:
        return f"{self.server.base}/callback"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def expect(self, path: str) -> None:
        """Answer (ACK) a callback path, keeping what arrives."""

        def route(req: Request) -> Reply:
            self.received.append(req)
            return Reply(200, b"{}")

        self.server.routes[f"/callback/{path}"] = route

    def wait_for(self, path: str, timeout: float = 15.0) -> dict[str, Any]:
        """The message POSTed to a callback path, checked against the spec's schemas."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for req in self.received:
                if req.path == f"/callback/{path}" and req.method == "POST":
                    return self.schemas.check(json.loads(req.body))
            time.sleep(0.05)
        raise AssertionError(f"nothing arrived at /callback/{path}: {self.received}")

    def post(self, path: str, message: dict[str, Any], status: int) -> dict[str, Any]:
        """Send a message (checked against the schemas first), check the answer's status and
        schema, return it."""
        self.schemas.check(message)
        r = httpx.post(f"{self.base}{path}", json=message, headers=self.auth(), timeout=30)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/json")
        return self.schemas.check(r.json())

    def get(self, path: str, status: int = 200) -> dict[str, Any]:
        r = httpx.get(f"{self.base}{path}", headers=self.auth(), timeout=30)
        assert r.status_code == status, r.text
        return self.schemas.check(r.json())

    def wait_state(self, path: str, state: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        doc = self.get(path)
        while doc["state"] != state and time.monotonic() < deadline:
            time.sleep(0.05)
            doc = self.get(path)
        assert doc["state"] == state, doc
        return doc


@dataclass
class Provider:
    settings: Settings
    url: str
    tokens: dict[str, str]
    accounts: Accounts

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def consumer_server() -> Iterator[Server]:
    with serve() as srv:
        yield srv


@pytest.fixture
def provider(tmp_path: Path, consumer_server: Server) -> Iterator[Provider]:
    settings = get_settings(
        home=tmp_path / "provider",
        port=0,
        fetch_allow_hosts=[f"127.0.0.1:{consumer_server.port}"],
        fetch_host_delay_s=0,
        fetch_max_retries=0,
        fetch_backoff_s=0.01,
        fetch_read_timeout_s=5.0,
        fetch_total_timeout_s=10.0,
        dsp_callback_attempts=2,
        dsp_courier_interval_s=0.3,
    )
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
        factory = get_lab(cat, LAB).factory
    sample = tmp_path / "sample.parquet"
    pq.write_table(pa.table({"code": [f"{SECRET}-1", f"{SECRET}-2"], "age": [41, 67]}), sample)
    SampleStore(settings).add(DATASET, Upload(path=sample), uploaded_by="steward")
    with Database.open(settings) as database:
        accounts = Accounts(database)
        accounts.add_user("dev", "developer")
        accounts.add_user("eve", "developer")
        accounts.add_user("staffer", "staff", factory=factory)
        tokens = {n: accounts.issue_token(n) for n in ("dev", "eve", "staffer")}
    with serving_as_cli(settings) as served, Database.open(served) as database:
        yield Provider(served, served.public_url, tokens, Accounts(database))


@pytest.fixture
def consumer(provider: Provider, consumer_server: Server, corpus: Path) -> Consumer:
    version = httpx.get(f"{provider.url}/.well-known/dspace-version", timeout=10).json()
    [spoken] = version["protocolVersions"]
    assert spoken["version"] == "2025-1"
    base = provider.url + spoken["path"]
    return Consumer(consumer_server, base, provider.tokens["dev"], dsp_schemas(corpus), corpus)


def pick_offer(consumer: Consumer) -> tuple[str, dict[str, Any]]:
    """The dataset's IRI and the lab's offer for it, as a consumer finds them in the catalogue."""
    request = {"@context": [DSP], "@type": "CatalogRequestMessage", "filter": []}
    r = httpx.post(f"{consumer.base}/catalog/request?page_size=500", json=request, timeout=30)
    catalog = consumer.schemas.check(r.json())
    [dataset] = [d for d in catalog["dataset"] if d["@id"].endswith("/synthetic-ehr-fhir")]
    [offer] = [o for o in dataset["hasPolicy"] if o["assigner"].endswith("/" + LAB)]
    return dataset["@id"], offer


def contract_request(
    consumer: Consumer, consumer_pid: str, target: str, offer: dict[str, Any]
) -> dict[str, Any]:
    """The catalogue's offer, targeted at the dataset and narrowed to the consumer's use."""
    mine = json.loads(json.dumps(offer))
    mine["target"] = target
    use = next(p for p in mine["permission"] if p["action"] == "use")
    use["constraint"] = [*use.get("constraint", []), *PROFILE]
    return {
        "@context": [DSP],
        "@type": "ContractRequestMessage",
        "consumerPid": consumer_pid,
        "callbackAddress": consumer.callback,
        "offer": mine,
    }


def staff_decides(provider: Provider, action: str, comment: str | None = None) -> dict[str, Any]:
    """The lab's staff act on the newest open request through the existing API."""
    listed = httpx.get(
        f"{provider.url}/access-requests", headers=provider.as_("staffer"), timeout=10
    ).json()
    open_ = [r for r in listed["items"] if r["state"] in ("submitted", "in_review")]
    assert open_, listed
    rid = open_[0]["id"]
    body = {"comment": comment} if comment else None
    r = httpx.post(
        f"{provider.url}/access-requests/{rid}/{action}",
        json=body,
        headers=provider.as_("staffer"),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def negotiate(consumer: Consumer, provider: Provider, cpid: str) -> tuple[str, dict[str, Any]]:
    """From the catalogue to a finalized agreement; returns the provider pid and agreement."""
    target, offer = pick_offer(consumer)
    for part in ("agreement", "events", "termination"):
        consumer.expect(f"negotiations/{cpid}/{part}")
    ack = consumer.post(
        "/negotiations/request", contract_request(consumer, cpid, target, offer), 201
    )
    assert (ack["@type"], ack["state"], ack["consumerPid"]) == (
        "ContractNegotiation",
        "REQUESTED",
        cpid,
    )
    pid = ack["providerPid"]
    assert consumer.get(f"/negotiations/{pid}")["state"] == "REQUESTED"
    request = staff_decides(provider, "approve", "fine")
    assert request["requester"] == "dev" and request["dataset_id"] == DATASET
    assert request["lab"] == LAB and request["purpose"] == "academic-research"

    agreement_message = consumer.wait_for(f"negotiations/{cpid}/agreement")
    assert agreement_message["@type"] == "ContractAgreementMessage"
    assert (agreement_message["providerPid"], agreement_message["consumerPid"]) == (pid, cpid)
    agreement = agreement_message["agreement"]
    # read with the spec's own context, every ODRL term of the agreement is an absolute IRI
    graph = spec_graph(consumer.corpus, agreement_message)
    assert not relative_iris(graph), relative_iris(graph)
    assert len(list(graph.objects(None, rdflib.URIRef(ODRL + "action")))) > 1
    assert agreement["target"] == target
    assert agreement["assigner"].endswith("/" + LAB)
    assert agreement["assignee"] == "urn:datalab:account:dev"
    consumer.wait_state(f"/negotiations/{pid}", "AGREED")

    verification = {
        "@context": [DSP],
        "@type": "ContractAgreementVerificationMessage",
        "providerPid": pid,
        "consumerPid": cpid,
    }
    consumer.schemas.check(verification)
    consumer.post(f"/negotiations/{pid}/agreement/verification", verification, 200)
    event = consumer.wait_for(f"negotiations/{cpid}/events")
    assert event["eventType"] == "FINALIZED"
    consumer.wait_state(f"/negotiations/{pid}", "FINALIZED")
    assert provider.accounts.has_grant("dev", DATASET)  # the agreement is the grant
    return pid, agreement


def transfer_request(consumer: Consumer, tpid: str, agreement_id: str) -> dict[str, Any]:
    return {
        "@context": [DSP],
        "@type": "TransferRequestMessage",
        "consumerPid": tpid,
        "agreementId": agreement_id,
        "format": "HttpData-PULL",
        "callbackAddress": consumer.callback,
    }


def transfer_message(kind: str, pid: str, tpid: str, **extra: Any) -> dict[str, Any]:
    return {"@context": [DSP], "@type": kind, "providerPid": pid, "consumerPid": tpid, **extra}


def test_a_negotiation_runs_from_request_to_agreement_to_transfer(
    provider: Provider, consumer: Consumer
) -> None:
    pid, agreement = negotiate(consumer, provider, "urn:uuid:consumer-negotiation-1")

    tpid = "urn:uuid:consumer-transfer-1"
    for part in ("start", "termination"):
        consumer.expect(f"transfers/{tpid}/{part}")
    ack = consumer.post(
        "/transfers/request", transfer_request(consumer, tpid, agreement["@id"]), 201
    )
    assert (ack["@type"], ack["state"], ack["consumerPid"]) == (
        "TransferProcess",
        "REQUESTED",
        tpid,
    )
    tp = ack["providerPid"]
    start = consumer.wait_for(f"transfers/{tpid}/start")
    address = start["dataAddress"]
    props = {p["name"]: p["value"] for p in address["endpointProperties"]}
    assert props["authType"] == "bearer"
    consumer.wait_state(f"/transfers/{tp}", "STARTED")

    # the consumer's data plane pulls the rows, and the file, with the token it was given
    bearer = {"Authorization": f"Bearer {props['authorization']}"}
    rows = httpx.get(address["endpoint"], headers=bearer, timeout=30)
    assert rows.status_code == 200, rows.text
    assert rows.headers["cache-control"] == "private, no-store"
    assert {r["code"] for r in rows.json()["rows"]} == {f"{SECRET}-1", f"{SECRET}-2"}
    file = httpx.get(address["endpoint"] + "/file", headers=bearer, timeout=30)
    assert file.status_code == 200
    assert pq.read_table(io.BytesIO(file.content)).num_rows == 2

    # the token opens this transfer's data only, and nobody else's token opens it
    sample_rows = f"{provider.url}/datasets/{DATASET}/sample/rows"
    assert httpx.get(sample_rows, headers=bearer, timeout=10).status_code == 401
    eve = {"Authorization": f"Bearer {provider.tokens['eve']}"}
    for headers in (eve, consumer.auth(), {}):
        r = httpx.get(address["endpoint"], headers=headers, timeout=10)
        assert r.status_code == 401 and SECRET not in r.text
    assert httpx.get(sample_rows, headers=eve, timeout=10).status_code == 403
    other = f"{consumer.base}/data/urn:uuid:{uuid.uuid4()}"
    assert httpx.get(other, headers=bearer, timeout=10).status_code == 404

    # suspended, the address serves nothing; started again, it does; completed, never again
    consumer.post(
        f"/transfers/{tp}/suspension",
        transfer_message("TransferSuspensionMessage", tp, tpid, code="pause", reason=["later"]),
        200,
    )
    assert httpx.get(address["endpoint"], headers=bearer, timeout=10).status_code == 404
    consumer.post(f"/transfers/{tp}/start", transfer_message("TransferStartMessage", tp, tpid), 200)
    assert httpx.get(address["endpoint"], headers=bearer, timeout=10).status_code == 200
    done = consumer.post(
        f"/transfers/{tp}/completion", transfer_message("TransferCompletionMessage", tp, tpid), 200
    )
    assert done["state"] == "COMPLETED"
    assert httpx.get(address["endpoint"], headers=bearer, timeout=10).status_code == 401
    again = consumer.post(
        f"/transfers/{tp}/completion",
        transfer_message("TransferCompletionMessage", tp, tpid),
        400,
    )
    assert again["@type"] == "TransferError"

    # a second transfer; the staff revoke the access request: the consumer is told, the
    # data address closes, and no new transfer starts under the agreement
    tpid2 = "urn:uuid:consumer-transfer-2"
    for part in ("start", "termination"):
        consumer.expect(f"transfers/{tpid2}/{part}")
    tp2 = consumer.post(
        "/transfers/request", transfer_request(consumer, tpid2, agreement["@id"]), 201
    )["providerPid"]
    start2 = consumer.wait_for(f"transfers/{tpid2}/start")
    props2 = {p["name"]: p["value"] for p in start2["dataAddress"]["endpointProperties"]}
    bearer2 = {"Authorization": f"Bearer {props2['authorization']}"}
    assert (
        httpx.get(start2["dataAddress"]["endpoint"], headers=bearer2, timeout=10).status_code == 200
    )
    rid = httpx.get(
        f"{provider.url}/access-requests", headers=provider.as_("staffer"), timeout=10
    ).json()["items"][0]["id"]
    r = httpx.post(
        f"{provider.url}/access-requests/{rid}/revoke",
        json={"comment": "the study ended"},
        headers=provider.as_("staffer"),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    ended = consumer.wait_for(f"transfers/{tpid2}/termination")
    assert ended["@type"] == "TransferTerminationMessage"
    assert consumer.get(f"/transfers/{tp2}")["state"] == "TERMINATED"
    r = httpx.get(start2["dataAddress"]["endpoint"], headers=bearer2, timeout=10)
    assert r.status_code == 401 and SECRET not in r.text
    refused = consumer.post(
        "/transfers/request",
        transfer_request(consumer, "urn:uuid:consumer-transfer-3", agreement["@id"]),
        400,
    )
    assert (
        refused["@type"] == "TransferError"
        and refused["consumerPid"] == "urn:uuid:consumer-transfer-3"
    )
    assert not provider.accounts.has_grant("dev", DATASET)
    assert consumer.get(f"/negotiations/{pid}")["state"] == "FINALIZED"  # terminal, as it was


def test_a_rejected_request_terminates_and_nothing_transfers(
    provider: Provider, consumer: Consumer
) -> None:
    target, offer = pick_offer(consumer)
    cpid = "urn:uuid:consumer-negotiation-2"
    consumer.expect(f"negotiations/{cpid}/termination")
    pid = consumer.post(
        "/negotiations/request", contract_request(consumer, cpid, target, offer), 201
    )["providerPid"]
    # the same request again is the same negotiation
    same = consumer.post(
        "/negotiations/request", contract_request(consumer, cpid, target, offer), 200
    )
    assert same["providerPid"] == pid
    # strangers learn nothing of it
    r = httpx.get(f"{consumer.base}/negotiations/{pid}", headers=provider.as_("eve"), timeout=10)
    assert r.status_code == 404
    consumer.schemas.check(r.json())

    staff_decides(provider, "reject", "not for this lab")
    ended = consumer.wait_for(f"negotiations/{cpid}/termination")
    assert ended["@type"] == "ContractNegotiationTerminationMessage"
    assert ended["code"] == "rejected" and ended["reason"] == ["not for this lab"]
    assert consumer.get(f"/negotiations/{pid}")["state"] == "TERMINATED"
    assert not provider.accounts.has_grant("dev", DATASET)

    # no agreement, no transfer; a verification has nothing to verify
    error = consumer.post(
        "/transfers/request",
        transfer_request(consumer, "urn:uuid:consumer-transfer-x", "urn:uuid:no-such-agreement"),
        400,
    )
    assert error["@type"] == "TransferError"
    verification = {
        "@context": [DSP],
        "@type": "ContractAgreementVerificationMessage",
        "providerPid": pid,
        "consumerPid": cpid,
    }
    error = consumer.post(f"/negotiations/{pid}/agreement/verification", verification, 400)
    assert error["@type"] == "ContractNegotiationError" and error["providerPid"] == pid


def test_consumer_termination_withdraws_the_access_request(
    provider: Provider, consumer: Consumer
) -> None:
    target, offer = pick_offer(consumer)
    cpid = "urn:uuid:consumer-negotiation-3"
    pid = consumer.post(
        "/negotiations/request", contract_request(consumer, cpid, target, offer), 201
    )["providerPid"]
    message = {
        "@context": [DSP],
        "@type": "ContractNegotiationTerminationMessage",
        "providerPid": pid,
        "consumerPid": cpid,
        "code": "changed-mind",
        "reason": ["we found another source"],
    }
    assert consumer.post(f"/negotiations/{pid}/termination", message, 200)["state"] == "TERMINATED"
    mine = httpx.get(f"{provider.url}/access-requests", headers=consumer.auth(), timeout=10).json()
    [req] = mine["items"]
    assert req["state"] == "withdrawn"
    again = consumer.post(f"/negotiations/{pid}/termination", message, 400)
    assert again["@type"] == "ContractNegotiationError"


BAD: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("no context", lambda m: m.pop("@context")),
    ("wrong type", lambda m: m.update({"@type": "ContractOfferMessage"})),
    ("no consumerPid", lambda m: m.pop("consumerPid")),
    ("no offer id", lambda m: m["offer"].pop("@id")),
    ("no rules", lambda m: [m["offer"].pop(k, None) for k in ("permission", "prohibition")]),
    (
        "bad operator",
        lambda m: m["offer"]["permission"][0].update(
            {
                "constraint": [
                    {"leftOperand": "odrl:purpose", "operator": "like", "rightOperand": "x"}
                ]
            }
        ),
    ),
    ("both pids", lambda m: m.update({"providerPid": "urn:uuid:x"})),
]


def test_bad_messages_are_400_negotiation_errors_and_fail_the_schema_too(
    provider: Provider, consumer: Consumer
) -> None:
    target, offer = pick_offer(consumer)
    for what, spoil in BAD:
        message = contract_request(consumer, "urn:uuid:bad", target, offer)
        spoil(message)
        assert consumer.schemas.errors(message, "contract-request-message-schema.json"), what
        r = httpx.post(
            f"{consumer.base}/negotiations/request",
            json=message,
            headers=consumer.auth(),
            timeout=10,
        )
        assert r.status_code == 400, (what, r.text)
        body = consumer.schemas.check(r.json())
        assert body["@type"] == "ContractNegotiationError" and body["reason"], what
    r = httpx.post(
        f"{consumer.base}/negotiations/request",
        content=b"{not json",
        headers=consumer.auth(),
        timeout=10,
    )
    assert r.status_code == 400
    assert consumer.schemas.check(r.json())["@type"] == "ContractNegotiationError"


def test_what_a_request_must_name_and_who_may_send_it(
    provider: Provider, consumer: Consumer
) -> None:
    target, offer = pick_offer(consumer)
    url = f"{consumer.base}/negotiations/request"

    def ask(message: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        consumer.schemas.check(message)  # valid by the schema: refused for what it means
        r = httpx.post(
            url, json=message, headers=consumer.auth() if headers is None else headers, timeout=10
        )
        consumer.schemas.check(r.json())
        return r

    good = contract_request(consumer, "urn:uuid:c-x", target, offer)
    assert ask(good, {}).status_code == 401  # DSP leaves identity to us: an API token
    unknown = json.loads(json.dumps(good))
    unknown["offer"]["@id"] = "https://w3id.org/datalab/lab/nope/offers/" + DATASET
    assert ask(unknown).status_code == 404
    elsewhere = json.loads(json.dumps(good))
    elsewhere["offer"]["target"] = "https://example.org/another-dataset"
    assert ask(elsewhere).status_code == 400
    anonymous = json.loads(json.dumps(good))
    use = next(p for p in anonymous["offer"]["permission"] if p["action"] == "use")
    use["constraint"] = [c for c in use["constraint"] if c not in PROFILE]
    r = ask(anonymous)
    assert r.status_code == 400 and "odrl:recipient" in r.json()["reason"][0]
    internal = {**good, "callbackAddress": "http://10.0.0.1/callback"}
    assert ask(internal).status_code == 400
    plain_http = {**good, "callbackAddress": "http://example.org/callback"}
    assert ask(plain_http).status_code == 400
    commercial = json.loads(json.dumps(good))
    use = next(p for p in commercial["offer"]["permission"] if p["action"] == "use")
    for c in use["constraint"]:
        if c in PROFILE and c["leftOperand"] == "odrl:purpose":
            c["rightOperand"] = "commercial-product"
    r = ask(commercial)
    assert r.status_code in (400, 409)
    assert r.json()["@type"] == "ContractNegotiationError"


def test_an_unreachable_consumer_ends_the_negotiation(
    provider: Provider, consumer: Consumer
) -> None:
    """The agreement cannot be delivered (the callback answers 500): after the attempts the
    settings allow, the negotiation is terminated, the two sides' states cannot differ."""
    target, offer = pick_offer(consumer)
    cpid = "urn:uuid:consumer-negotiation-4"
    consumer.server.routes[f"/callback/negotiations/{cpid}/agreement"] = lambda _r: Reply(500)
    pid = consumer.post(
        "/negotiations/request", contract_request(consumer, cpid, target, offer), 201
    )["providerPid"]
    staff_decides(provider, "approve")
    consumer.wait_state(f"/negotiations/{pid}", "TERMINATED", timeout=30)


def test_a_decision_taken_elsewhere_is_followed(provider: Provider, consumer: Consumer) -> None:
    """Another replica (or the command line) approves: no listener of this server sees it,
    the courier's round finds it and the agreement goes out all the same."""
    target, offer = pick_offer(consumer)
    cpid = "urn:uuid:consumer-negotiation-5"
    consumer.expect(f"negotiations/{cpid}/agreement")
    pid = consumer.post(
        "/negotiations/request", contract_request(consumer, cpid, target, offer), 201
    )["providerPid"]
    with provider.accounts.database.transaction() as db:
        db.execute(access_requests.update().values(state="approved"))
    provider.accounts.grant("dev", DATASET)
    message = consumer.wait_for(f"negotiations/{cpid}/agreement")
    assert message["providerPid"] == pid
    consumer.wait_state(f"/negotiations/{pid}", "AGREED")


def test_without_a_sample_the_transfer_points_to_the_labs_procedure(
    provider: Provider, consumer: Consumer
) -> None:
    """No sample to pull: the data address is the lab's access procedure (here the access
    request, read with the consumer's own API token), and it carries no token."""
    _, agreement = negotiate(consumer, provider, "urn:uuid:consumer-negotiation-6")
    SampleStore(provider.settings).delete(DATASET)
    tpid = "urn:uuid:consumer-transfer-6"
    consumer.expect(f"transfers/{tpid}/start")
    tp = consumer.post(
        "/transfers/request", transfer_request(consumer, tpid, agreement["@id"]), 201
    )["providerPid"]
    address = consumer.wait_for(f"transfers/{tpid}/start")["dataAddress"]
    assert "endpointProperties" not in address
    assert address["endpoint"].startswith(f"{provider.url}/access-requests/")
    procedure = httpx.get(address["endpoint"], headers=consumer.auth(), timeout=10)
    assert procedure.status_code == 200
    assert procedure.json()["procedure"] and procedure.json()["state"] == "approved"
    consumer.wait_state(f"/transfers/{tp}", "STARTED")
