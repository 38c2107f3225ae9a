"""Transfer processes, provider side, HTTP pull: what a finalized agreement lets the consumer
fetch, and nothing else.

A consumer POSTs a ``TransferRequestMessage`` naming the ``agreementId`` of one of its
``FINALIZED`` negotiations whose access request still stands (``REQUESTED``; the answer is
the ``TransferProcess``). The provider then sends the ``TransferStartMessage`` to the
consumer's callback (``STARTED`` once acknowledged) with a ``DataAddress``:

* the dataset has a sample: the endpoint is this server's data plane for the transfer,
  ``<public URL>/dsp/data/<providerPid>`` (a page of rows as JSON, the parameters of
  ``/datasets/{id}/sample/rows``; ``…/file``: the Parquet file), with a bearer token
  (``authorization``, ``authType`` ``bearer``) minted when the message is sent: its secret is
  never stored (only its SHA-256), it names one transfer, and it opens the rows only while
  the transfer is started, the token unexpired (``dsp_transfer_token_hours``) and the
  consumer's grant standing, through the sample service's own gate
  (:meth:`catalog.samples.service.SampleService.decide`: the grant, never an admin's view);
* it has none: the endpoint is the lab's access procedure, the form of its first step that
  applies to the offer's access mode, else the access request in this API
  (``/access-requests/{id}``, read with the consumer's own token), and no token.

Only pull is served: a request with a ``dataAddress`` (a push) is refused. The consumer may
suspend, resume (``TransferStartMessage``), complete or terminate; the provider terminates
the transfers of an agreement whose access request is revoked (the consumer is told).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from catalog.access_requests import APPROVED, AccessRequest, AccessRequests
from catalog.callers import Caller
from catalog.db.schema import access_requests as requests_table
from catalog.db.schema import dsp_negotiations as negotiations
from catalog.db.schema import dsp_transfers as transfers
from catalog.dsp import messages as m
from catalog.dsp.courier import Letter, Outbox
from catalog.dsp.negotiations import Negotiation, Negotiations, check_callback, new_pid, now
from catalog.errors import InvalidInput, InvalidTransition, NotFound, Unauthorized
from catalog.labs import ensure_registry, get_lab
from catalog.samples.store import SampleStore
from catalog.service import Catalogue

TOKEN_PREFIX = "dtt"  # noqa: S105  (a public prefix, not a secret)
DATA_PATH = "/dsp/data"
#: States after which a transfer never changes.
FINAL = (m.COMPLETED, m.TERMINATED)
#: Kinds of letters: a start that carries a token minted when sent, and the others.
START_WITH_TOKEN, PLAIN = "transfer-start", "transfer"
_COLUMNS = tuple(transfers.c)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Transfer:
    """One transfer process (a row of ``dsp_transfers``)."""

    provider_pid: str
    consumer_pid: str
    consumer: str
    negotiation: str
    callback: str
    format: str
    state: str
    token_id: str | None
    token_digest: str | None
    token_expires: str | None
    created: str
    updated: str

    def ack(self) -> dict[str, Any]:
        """The ``TransferProcess`` message of its current state."""
        return m.transfer_process(self.provider_pid, self.consumer_pid, self.state)

    def url(self, *parts: str) -> str:
        return m.callback_url(self.callback, "transfers", self.consumer_pid, *parts)


@dataclass(frozen=True)
class DataReader:
    """The caller a data-plane read is made as: the consumer, with no role's privileges, so
    the sample service opens exactly what the consumer's grant (or public access) opens."""

    name: str
    role: str = "developer"
    organisation: str | None = None
    factory: str | None = None


@dataclass(frozen=True)
class DataGrant:
    """What a data-plane token opens: one dataset's sample, read as one consumer."""

    dataset_id: str
    consumer: str
    provider_pid: str


class Transfers:
    """The provider side of the transfer process protocol (see the module)."""

    def __init__(
        self,
        catalogue: Catalogue,
        negotiations: Negotiations,
        requests: AccessRequests,
        samples: SampleStore | None,
    ) -> None:
        self.catalogue = catalogue
        self.negotiations = negotiations
        self.requests = requests
        self.samples = samples
        self.database = requests.database

    # -- reading -----------------------------------------------------------------------------

    def _rows(self, *where: Any) -> list[Transfer]:
        query = sa.select(*_COLUMNS).where(*where).order_by(transfers.c.created)
        with self.database.read() as db:
            return [Transfer(*r) for r in db.execute(query).all()]

    def one(self, provider_pid: str) -> Transfer | None:
        found = self._rows(transfers.c.provider_pid == provider_pid)
        return found[0] if found else None

    def get(self, caller: Caller, provider_pid: str) -> Transfer:
        """A transfer, to its consumer (and admins), after it followed its access request."""
        found = self.one(provider_pid)
        if found is None or not (caller.name == found.consumer or caller.role == "admin"):
            raise NotFound(f"no transfer process {provider_pid!r}", where="providerPid")
        self._follow_one(found)
        return self.one(provider_pid) or found

    # -- the consumer's messages -------------------------------------------------------------

    def request(self, caller: Caller, message: dict[str, Any]) -> tuple[Transfer, bool]:
        """A ``TransferRequestMessage``: a new transfer (or the one this consumer already
        asked for with that ``consumerPid``) and whether it is new."""
        if caller.name is None:
            raise Unauthorized(
                "send your catalogue API token (Authorization: Bearer <token>) to transfer",
                where="Authorization",
            )
        same = self._rows(
            transfers.c.consumer == caller.name,
            transfers.c.consumer_pid == message["consumerPid"],
        )
        if same:
            return self.get(caller, same[0].provider_pid), False
        if "dataAddress" in message:
            raise InvalidInput(
                "only pull transfers are served: a dataAddress asks for a push", where="dataAddress"
            )
        callback = check_callback(message["callbackAddress"], self.catalogue.settings)
        n = self.negotiations.by_agreement(caller, message["agreementId"])
        if n.state != m.FINALIZED:
            raise InvalidTransition(
                f"the agreement's negotiation is {n.state}, not FINALIZED", where="agreementId"
            )
        req = self.requests.find(n.request)
        if req is None or req.state != APPROVED:
            raise InvalidTransition("the agreement's access was revoked", where="agreementId")
        pid = new_pid()
        stamp = now()
        row = {
            "provider_pid": pid,
            "consumer_pid": message["consumerPid"],
            "consumer": caller.name,
            "negotiation": n.provider_pid,
            "callback": callback,
            "format": message["format"],
            "state": m.REQUESTED,
            "token_id": None,
            "token_digest": None,
            "token_expires": None,
            "created": stamp,
            "updated": stamp,
        }
        kind, address = self._address(pid, n, req)
        start = m.transfer_start(pid, row["consumer_pid"], address)
        url = m.callback_url(callback, "transfers", row["consumer_pid"], "start")
        with self.database.transaction() as db:
            db.execute(transfers.insert().values(row))
            Outbox.put(db, pid, kind, url, start, m.STARTED)
        return self.get(caller, pid), True

    def _address(self, pid: str, n: Negotiation, req: AccessRequest) -> tuple[str, dict[str, Any]]:
        """The data address of a new transfer (its token is added when the start is sent)."""
        s = self.catalogue.settings
        ensure_registry(self.catalogue)
        if self.samples is not None and self.samples.has_sample(n.dataset_id):
            endpoint = f"{s.public_url.rstrip('/')}{DATA_PATH}/{pid}"
            return START_WITH_TOKEN, m.data_address(endpoint, {})
        lab = get_lab(self.catalogue, n.lab)
        # the steps the access request listed are those of the offer's access mode
        forms = [step.form for step in lab.procedure if step.form and step.label in req.procedure]
        endpoint = forms[0] if forms else f"{s.public_url.rstrip('/')}/access-requests/{req.id}"
        return PLAIN, m.data_address(endpoint, {})

    def complete(self, caller: Caller, provider_pid: str, message: dict[str, Any]) -> Transfer:
        return self._consumer_moves(caller, provider_pid, message, (m.STARTED,), m.COMPLETED)

    def suspend(self, caller: Caller, provider_pid: str, message: dict[str, Any]) -> Transfer:
        return self._consumer_moves(caller, provider_pid, message, (m.STARTED,), m.SUSPENDED)

    def resume(self, caller: Caller, provider_pid: str, message: dict[str, Any]) -> Transfer:
        """The consumer's ``TransferStartMessage``: a suspended transfer goes on."""
        return self._consumer_moves(caller, provider_pid, message, (m.SUSPENDED,), m.STARTED)

    def terminate(self, caller: Caller, provider_pid: str, message: dict[str, Any]) -> Transfer:
        live = (m.REQUESTED, m.STARTED, m.SUSPENDED)
        return self._consumer_moves(caller, provider_pid, message, live, m.TERMINATED)

    def _consumer_moves(
        self,
        caller: Caller,
        provider_pid: str,
        message: dict[str, Any],
        starts: tuple[str, ...],
        target: str,
    ) -> Transfer:
        t = self.get(caller, provider_pid)
        if message.get("providerPid") != t.provider_pid:
            raise InvalidInput("providerPid is not this transfer's", where="providerPid")
        if message.get("consumerPid") != t.consumer_pid:
            raise InvalidInput("consumerPid is not this transfer's", where="consumerPid")
        if t.state not in starts:
            raise InvalidTransition(
                f"a transfer that is {t.state} cannot become {target}", where="state"
            )
        if target == m.STARTED and not self._granted(t):
            raise InvalidTransition("the agreement's access was revoked", where="state")
        values: dict[str, Any] = {"state": target, "updated": now()}
        if target in FINAL:  # the token dies with the transfer
            values |= {"token_id": None, "token_digest": None, "token_expires": None}
        change = (
            transfers.update()
            .where(transfers.c.provider_pid == t.provider_pid, transfers.c.state == t.state)
            .values(values)
        )
        with self.database.transaction() as db:
            if db.execute(change).rowcount != 1:
                raise InvalidTransition("the transfer changed meanwhile; read it again")
        return self.one(provider_pid) or t

    # -- the start message and its token -----------------------------------------------------

    def start_message(self, letter: Letter) -> dict[str, Any] | None:
        """The start to send now: with a fresh token (replacing any earlier one) for a
        transfer still requested or started; ``None`` if it ended meanwhile."""
        t = self.one(letter.process)
        if t is None or t.state not in (m.REQUESTED, m.STARTED):
            return None
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        hours = self.catalogue.settings.dsp_transfer_token_hours
        expires = datetime.now(UTC) + timedelta(hours=hours)
        change = (
            transfers.update()
            .where(transfers.c.provider_pid == t.provider_pid, transfers.c.state == t.state)
            .values(
                token_id=token_id,
                token_digest=_digest(secret),
                token_expires=expires.isoformat(),
                updated=now(),
            )
        )
        with self.database.transaction() as db:
            if db.execute(change).rowcount != 1:
                return None
        message = dict(letter.message)
        address = dict(message["dataAddress"])
        token = f"{TOKEN_PREFIX}_{token_id}_{secret}"
        address["endpointProperties"] = m.data_address(
            address["endpoint"], {"authorization": token, "authType": "bearer"}
        )["endpointProperties"]
        message["dataAddress"] = address
        return message

    def reader(self, provider_pid: str, token: str) -> DataGrant:
        """What the data plane may serve to the bearer of ``token`` for ``provider_pid``:
        :class:`Unauthorized` for a bad or expired token, :class:`NotFound` when the transfer
        is not (or no longer) open to it."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
            raise Unauthorized("a transfer token is dtt_<id>_<secret>", where="Authorization")
        found = self._rows(transfers.c.token_id == parts[1])
        if not found or not hmac.compare_digest(found[0].token_digest or "", _digest(parts[2])):
            raise Unauthorized("invalid transfer token", where="Authorization")
        t = found[0]
        if t.provider_pid != provider_pid:
            raise NotFound(f"no data for transfer {provider_pid!r}", where="providerPid")
        if t.token_expires is None or datetime.fromisoformat(t.token_expires) <= datetime.now(UTC):
            raise Unauthorized("the transfer token has expired", where="Authorization")
        self._follow_one(t)
        t = self.one(t.provider_pid) or t
        if t.state not in (m.REQUESTED, m.STARTED) or not self._granted(t):
            raise NotFound(
                f"transfer {provider_pid!r} is {t.state}: its data is not served", where="state"
            )
        n = self.negotiations.one(t.negotiation)
        if n is None:
            raise NotFound(f"no data for transfer {provider_pid!r}", where="providerPid")
        return DataGrant(n.dataset_id, t.consumer, t.provider_pid)

    # -- following access requests -----------------------------------------------------------

    def _granted(self, t: Transfer) -> bool:
        n = self.negotiations.one(t.negotiation)
        req = self.requests.find(n.request) if n is not None else None
        return req is not None and req.state == APPROVED

    def follow(self, req: AccessRequest) -> None:
        """End the live transfers of ``req``'s agreements if it no longer stands."""
        if req.state == APPROVED:
            return
        for n in self.negotiations.of_request(req.id):
            for t in self._rows(transfers.c.negotiation == n.provider_pid):
                self._end(t, "revoked", "the access request was revoked")

    def _follow_one(self, t: Transfer) -> None:
        if t.state not in FINAL and not self._granted(t):
            self._end(t, "revoked", "the access request was revoked")

    def sync(self) -> int:
        """End every live transfer whose access request no longer stands."""
        r = requests_table
        query = (
            sa.select(transfers.c.provider_pid)
            .join(negotiations, negotiations.c.provider_pid == transfers.c.negotiation)
            .join(r, r.c.id == negotiations.c.request)
            .where(transfers.c.state.not_in(FINAL), r.c.state != APPROVED)
            .limit(500)
        )
        with self.database.read() as db:
            pids = db.execute(query).scalars().all()
        for pid in pids:
            t = self.one(pid)
            if t is not None:
                self._end(t, "revoked", "the access request was revoked")
        return len(pids)

    def _end(self, t: Transfer, code: str, reason: str) -> None:
        if t.state in FINAL:
            return
        message = m.transfer_termination(t.provider_pid, t.consumer_pid, code, [reason])
        change = (
            transfers.update()
            .where(transfers.c.provider_pid == t.provider_pid, transfers.c.state == t.state)
            .values(
                state=m.TERMINATED,
                token_id=None,
                token_digest=None,
                token_expires=None,
                updated=now(),
            )
        )
        with self.database.transaction() as db:
            if db.execute(change).rowcount == 1:
                Outbox.put(db, t.provider_pid, PLAIN, t.url("termination"), message)
