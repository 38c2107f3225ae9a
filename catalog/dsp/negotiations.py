"""Contract negotiations, provider side: a consumer's contract request becomes an access
request that the lab's staff decide; the approval becomes the agreement.

States (DSP 2025-1, "Contract Negotiation Protocol"), as this catalogue drives them:

* ``REQUESTED``: a consumer POSTed a ``ContractRequestMessage`` for one of the catalogue's
  offers (``<lab IRI>/offers/<dataset id>``, so the offer names the dataset and the lab).
  An access request is filed for that dataset and lab in the consumer's name (the account of
  the API token it sent), stating the consumer's organisation type, country and purpose,
  which the consumer gives as constraints of its offer (``recipient``, ``spatial`` and
  ``purpose``, operator ``eq``, the ODRL left operands the catalogue's offers use); a lab
  that may not offer the dataset to that profile refuses the request (no negotiation).
* ``AGREED``: the staff approved the access request (the grant exists); the
  ``ContractAgreementMessage`` (the lab's offer resolved for the consumer, as an ODRL
  ``Agreement``) went to the consumer's callback and was acknowledged.
* ``VERIFIED``: the consumer verified the agreement; the provider then sends the
  ``FINALIZED`` event, and ``FINALIZED`` is reached when the consumer acknowledges it. Data
  may then be transferred (:mod:`catalog.dsp.transfers`).
* ``TERMINATED``: the staff rejected the request (or the requester withdrew it; or an
  approval was revoked before the negotiation was finalized), or the consumer terminated;
  the other party is told.

The negotiation follows its access request: at once when the decision is taken by this
server (:meth:`Negotiations.follow`, an access-request listener), otherwise on the courier's
next round or the consumer's next read (:meth:`Negotiations.sync`). This provider makes no
offers of its own, so a consumer's counter-request or ``ACCEPTED`` event is an invalid
transition.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from catalog.access_requests import APPROVED, OPEN, REVOKED, AccessRequest, AccessRequests
from catalog.callers import Caller
from catalog.db.schema import access_requests as requests_table
from catalog.db.schema import dsp_negotiations as negotiations
from catalog.dsp import messages as m
from catalog.dsp.courier import Outbox
from catalog.errors import (
    Conflict,
    DatalabError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    Unauthorized,
)
from catalog.facts.read import record_facts
from catalog.federation.dsp_catalog import dsp_offer
from catalog.labs import ensure_registry, get_lab
from catalog.labs.model import LAB_NS
from catalog.offers import offers_for
from catalog.offers.jsonld import offer_to_odrl
from catalog.offers.licence_store import licence_table
from catalog.offers.odrl import local
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import CONDITIONS, MAY_OFFER, resolve
from catalog.outbound.ssrf import check_url, is_allowed, parse_url
from catalog.service import Catalogue

#: States after which a negotiation never changes.
FINAL = (m.FINALIZED, m.TERMINATED)
#: The left operands a consumer states its profile with, and the profile field each fills.
PROFILE_OPERANDS = {"recipient": "org_type", "spatial": "country", "purpose": "purpose"}
_DLAB = "https://w3id.org/datalab/ns#"
_NEGOTIATION_COLUMNS = tuple(negotiations.c)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_pid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def participant(name: str) -> str:
    """The identifier of an account's holder as an agreement's ``assignee``."""
    return "urn:datalab:account:" + quote(name, safe="")


@dataclass(frozen=True)
class Negotiation:
    """One contract negotiation (a row of ``dsp_negotiations``)."""

    provider_pid: str
    consumer_pid: str
    consumer: str
    callback: str
    offer: str
    dataset_id: str
    lab: str
    request: str
    state: str
    agreement_id: str | None
    agreement: str | None
    created: str
    updated: str

    def ack(self) -> dict[str, Any]:
        """The ``ContractNegotiation`` message of its current state."""
        return m.negotiation(self.provider_pid, self.consumer_pid, self.state)

    def url(self, *parts: str) -> str:
        return m.callback_url(self.callback, "negotiations", self.consumer_pid, *parts)


def check_callback(url: str, settings: Any) -> str:
    """A ``callbackAddress`` the courier can reach: an https URL (plain http only for a host
    in ``fetch_allow_hosts``), never an internal address."""
    try:
        parsed = parse_url(url)
        check_url(url, settings)
    except InvalidInput as exc:
        raise InvalidInput(
            f"the callbackAddress is not understood: {exc.message}", where="callbackAddress"
        ) from None
    if parsed.scheme != "https" and not is_allowed(parsed, settings):
        raise InvalidInput("the callbackAddress must be an https URL", where="callbackAddress")
    return url


def profile_of(offer: dict[str, Any]) -> RequesterProfile:
    """The consumer's organisation type, country and purpose, stated by the ``eq``
    constraints on ``recipient``, ``spatial`` and ``purpose`` of its offer's permissions."""
    found: dict[str, str] = {}
    for rule in offer.get("permission", []):
        for constraint in _atomic(rule.get("constraint", [])):
            field = PROFILE_OPERANDS.get(local(constraint["leftOperand"]))
            if field is None or constraint["operator"] not in ("eq", "isA"):
                continue
            value = _value(constraint["rightOperand"], field)
            if field in found and found[field] != value:
                raise InvalidInput(
                    f"the offer states two values for {field}", where="offer.permission"
                )
            found[field] = value
    missing = [op for op, field in PROFILE_OPERANDS.items() if field not in found]
    if missing:
        raise InvalidInput(
            "state who you are and what for: the offer's permission needs eq constraints on "
            + ", ".join(f"odrl:{op}" for op in missing)
            + " (organisation type, country, purpose)",
            where="offer.permission",
        )
    profile = RequesterProfile.parse(found["org_type"], found["country"], found["purpose"])
    if profile is None:  # cannot be: all three were stated
        raise InvalidInput("state your organisation type, country and purpose", where="offer")
    return profile


def _atomic(constraints: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for c in constraints:
        if "leftOperand" in c:
            yield c
        elif "and" in c:  # a conjunction states each of its parts
            yield from _atomic(c["and"])


def _value(right: Any, field: str) -> str:
    if isinstance(right, list) and len(right) == 1:
        right = right[0]
    if isinstance(right, dict):
        right = right.get("@id", right.get("@value"))
    if not isinstance(right, str) or not right:
        raise InvalidInput(f"the {field} constraint needs one value", where="offer.permission")
    return right.removeprefix(_DLAB).removeprefix("dlab:") if field == "org_type" else right


class Negotiations:
    """The provider side of the contract negotiation protocol (see the module)."""

    def __init__(self, catalogue: Catalogue, requests: AccessRequests, outbox: Outbox) -> None:
        self.catalogue = catalogue
        self.requests = requests
        self.outbox = outbox
        self.database = requests.database

    # -- reading -----------------------------------------------------------------------------

    def _rows(self, *where: Any) -> list[Negotiation]:
        query = sa.select(*_NEGOTIATION_COLUMNS).where(*where).order_by(negotiations.c.created)
        with self.database.read() as db:
            return [Negotiation(*r) for r in db.execute(query).all()]

    def one(self, provider_pid: str) -> Negotiation | None:
        found = self._rows(negotiations.c.provider_pid == provider_pid)
        return found[0] if found else None

    def of_request(self, request_id: str) -> list[Negotiation]:
        return self._rows(negotiations.c.request == request_id)

    def get(self, caller: Caller, provider_pid: str) -> Negotiation:
        """A negotiation, to its consumer (and admins); for anyone else it does not exist.
        It first follows its access request."""
        found = self.one(provider_pid)
        if found is None or not (caller.name == found.consumer or caller.role == "admin"):
            raise NotFound(f"no contract negotiation {provider_pid!r}", where="providerPid")
        self._follow_one(found)
        return self.one(provider_pid) or found

    def by_agreement(self, caller: Caller, agreement_id: str) -> Negotiation:
        """The caller's negotiation whose agreement is ``agreement_id``."""
        found = self._rows(
            negotiations.c.agreement_id == agreement_id, negotiations.c.consumer == caller.name
        )
        if not found:
            raise InvalidInput(f"you have no agreement {agreement_id!r}", where="agreementId")
        return self.get(caller, found[0].provider_pid)

    # -- the consumer's messages -------------------------------------------------------------

    def request(self, caller: Caller, message: dict[str, Any]) -> tuple[Negotiation, bool]:
        """An initial ``ContractRequestMessage``: a new negotiation (and access request), or
        the one this consumer already started with that ``consumerPid``. Returns it and
        whether it is new."""
        if caller.name is None:
            raise Unauthorized(
                "send your catalogue API token (Authorization: Bearer <token>) to negotiate",
                where="Authorization",
            )
        consumer_pid = message["consumerPid"]
        same = self._rows(
            negotiations.c.consumer == caller.name, negotiations.c.consumer_pid == consumer_pid
        )
        if same:
            return self.get(caller, same[0].provider_pid), False
        callback = check_callback(message["callbackAddress"], self.catalogue.settings)
        offer = message["offer"]
        dataset_id, lab_id = self._offered(offer)
        profile = profile_of(offer)
        pid = new_pid()
        stamp = now()

        def link(db: sa.Connection, req: AccessRequest) -> None:
            row = {
                "provider_pid": pid,
                "consumer_pid": consumer_pid,
                "consumer": caller.name,
                "callback": callback,
                "offer": offer["@id"],
                "dataset_id": dataset_id,
                "lab": lab_id,
                "request": req.id,
                "state": m.REQUESTED,
                "agreement_id": None,
                "agreement": None,
                "created": stamp,
                "updated": stamp,
            }
            db.execute(negotiations.insert().values(row))

        try:
            self.requests.submit(
                caller,
                dataset_id=dataset_id,
                lab_id=lab_id,
                org_type=profile.org_type or "",
                country=profile.country or "",
                purpose=profile.purpose.key if profile.purpose else "",
                comment=f"Requested through the Dataspace Protocol (contract negotiation {pid}).",
                link=link,
            )
        except sa.exc.IntegrityError:  # the same consumerPid, sent twice at once
            raise Conflict(
                f"a negotiation with consumerPid {consumer_pid!r} is being created",
                where="consumerPid",
            ) from None
        return self.get(caller, pid), True

    def _offered(self, offer: dict[str, Any]) -> tuple[str, str]:
        """The dataset and lab of a catalogue offer the consumer names (and targets)."""
        offer_id = offer["@id"]
        lab_iri, sep, dataset_id = offer_id.rpartition("/offers/")
        if not sep or not lab_iri.startswith(LAB_NS) or not dataset_id:
            raise NotFound(f"the catalogue has no offer {offer_id!r}", where="offer.@id")
        ensure_registry(self.catalogue)
        try:
            iri = self.catalogue.find(dataset_id).iri
            offers = offers_for(self.catalogue, dataset_id).odrl()
        except NotFound:
            raise NotFound(f"the catalogue has no offer {offer_id!r}", where="offer.@id") from None
        if not any(o["uid"] == offer_id for o in offers):
            raise NotFound(
                f"the catalogue has no offer {offer_id!r} (the lab may not offer the dataset)",
                where="offer.@id",
            )
        target = offer.get("target")
        if target is None:
            raise InvalidInput("the offer needs its target, the dataset", where="offer.target")
        if target not in (iri, dataset_id):
            raise InvalidInput(
                f"the offer {offer_id!r} is for {iri}, not for {target}", where="offer.target"
            )
        return dataset_id, lab_iri.removeprefix(LAB_NS)

    def verify(self, caller: Caller, provider_pid: str, message: dict[str, Any]) -> Negotiation:
        """The consumer's ``ContractAgreementVerificationMessage``: ``VERIFIED``, and the
        ``FINALIZED`` event is owed to the consumer."""
        n = self._addressed(caller, provider_pid, message)
        agreed = n.state == m.AGREED or (n.state == m.REQUESTED and n.agreement_id is not None)
        if not agreed:
            raise InvalidTransition(
                f"there is no agreement to verify: the negotiation is {n.state}", where="state"
            )
        event = m.event_message(n.provider_pid, n.consumer_pid, m.FINALIZED)
        with self.database.transaction() as db:
            self._move(db, n, m.VERIFIED)
            Outbox.put(db, n.provider_pid, "negotiation", n.url("events"), event, m.FINALIZED)
        return self.one(provider_pid) or n

    def terminate(self, caller: Caller, provider_pid: str, message: dict[str, Any]) -> Negotiation:
        """The consumer's ``ContractNegotiationTerminationMessage``: ``TERMINATED``; an open
        access request is withdrawn, a decided one gets the consumer's reason as a comment."""
        n = self._addressed(caller, provider_pid, message)
        if n.state in FINAL:
            raise InvalidTransition(f"the negotiation is {n.state} already", where="state")
        with self.database.transaction() as db:
            self._move(db, n, m.TERMINATED)
        reason = "; ".join(str(r) for r in message.get("reason", []))
        text = "The consumer terminated the Dataspace Protocol negotiation" + (
            f": {reason}" if reason else "."
        )
        req = self.requests.find(n.request)
        if req is not None and req.open:
            self.requests.act(caller, n.request, "withdraw", text[:4000])
        elif req is not None:
            self.requests.comment(caller, n.request, text[:4000])
        return self.one(provider_pid) or n

    def refusal(
        self, caller: Caller, provider_pid: str, message: dict[str, Any], what: str
    ) -> InvalidTransition:
        """The error for a message this provider's negotiations never accept (a counter-
        request, an ``ACCEPTED`` or ``FINALIZED`` event from the consumer), once the
        negotiation is found to be the caller's."""
        n = self._addressed(caller, provider_pid, message)
        return InvalidTransition(
            f"{what} is not accepted: this provider makes no offers of its own, and the "
            f"negotiation is {n.state}",
            where="@type",
        )

    def _addressed(self, caller: Caller, provider_pid: str, message: dict[str, Any]) -> Negotiation:
        n = self.get(caller, provider_pid)
        if message.get("providerPid") != n.provider_pid:
            raise InvalidInput("providerPid is not this negotiation's", where="providerPid")
        if message.get("consumerPid") != n.consumer_pid:
            raise InvalidInput("consumerPid is not this negotiation's", where="consumerPid")
        return n

    # -- following access requests -----------------------------------------------------------

    def follow(self, req: AccessRequest) -> None:
        """Bring the negotiations of ``req`` in step with it (an access-request listener)."""
        for n in self.of_request(req.id):
            self._apply(n, req)

    def _follow_one(self, n: Negotiation) -> None:
        req = self.requests.find(n.request)
        if req is not None:
            self._apply(n, req)

    def sync(self) -> int:
        """Follow the requests decided where no listener saw it; returns how many moved."""
        r = requests_table
        pending = sa.and_(
            negotiations.c.state == m.REQUESTED,
            negotiations.c.agreement_id.is_(None),
            r.c.state.not_in(OPEN),
        )
        revoked = sa.and_(
            negotiations.c.state.in_((m.REQUESTED, m.AGREED, m.VERIFIED)), r.c.state == REVOKED
        )
        query = (
            sa.select(negotiations.c.provider_pid)
            .join(r, r.c.id == negotiations.c.request)
            .where(sa.or_(pending, revoked))
            .limit(500)
        )
        with self.database.read() as db:
            pids = db.execute(query).scalars().all()
        for pid in pids:
            n = self.one(pid)
            if n is not None:
                self._follow_one(n)
        return len(pids)

    def _apply(self, n: Negotiation, req: AccessRequest) -> None:
        if n.state in FINAL:
            return
        if req.state == APPROVED and n.state == m.REQUESTED and n.agreement_id is None:
            try:
                self._agree(n, req)
            except DatalabError as exc:  # the dataset or the lab is gone, say
                self._end(n, "terms", f"no agreement could be made: {exc.message}")
        elif req.state == REVOKED or (n.agreement_id is None and not req.open):
            self._end(n, req.state, _last_comment(req))

    def _agree(self, n: Negotiation, req: AccessRequest) -> None:
        agreement = self._agreement(n, req)
        if agreement is None:
            self._end(n, "terms", "the lab may no longer offer the dataset on these terms")
            return
        message = m.agreement_message(n.provider_pid, n.consumer_pid, agreement)
        claim = (
            negotiations.update()
            .where(
                negotiations.c.provider_pid == n.provider_pid,
                negotiations.c.state == m.REQUESTED,
                negotiations.c.agreement_id.is_(None),
            )
            .values(
                agreement_id=agreement["@id"],
                agreement=json.dumps(agreement, ensure_ascii=False),
                updated=now(),
            )
        )
        with self.database.transaction() as db:
            if db.execute(claim).rowcount == 1:  # else another server agreed meanwhile
                Outbox.put(db, n.provider_pid, "negotiation", n.url("agreement"), message, m.AGREED)

    def _agreement(self, n: Negotiation, req: AccessRequest) -> dict[str, Any] | None:
        """The lab's offer resolved for the requester, as the ODRL ``Agreement``."""
        ensure_registry(self.catalogue)
        profile = RequesterProfile.parse(req.org_type, req.country, req.purpose)
        lab = get_lab(self.catalogue, n.lab)
        facts = record_facts(self.catalogue, n.dataset_id)
        table = licence_table(self.catalogue.documents)
        offer = resolve(facts, lab, table, profile)
        if offer.verdict not in (MAY_OFFER, CONDITIONS):
            return None
        terms = dsp_offer(offer_to_odrl(offer, facts.iri))
        if not terms.get("permission") and not terms.get("prohibition"):
            return None
        return {
            **terms,
            "@id": new_pid(),
            "@type": "Agreement",
            "target": facts.iri,
            "assignee": participant(n.consumer),
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def _end(self, n: Negotiation, code: str, reason: str | None) -> None:
        """Terminate on the provider's side and tell the consumer."""
        why = reason or f"the access request was {code.replace('_', ' ')}"
        message = m.negotiation_termination(n.provider_pid, n.consumer_pid, code, [why])
        change = (
            negotiations.update()
            .where(negotiations.c.provider_pid == n.provider_pid, negotiations.c.state == n.state)
            .values(state=m.TERMINATED, updated=now())
        )
        with self.database.transaction() as db:
            if db.execute(change).rowcount == 1:
                Outbox.put(db, n.provider_pid, "negotiation", n.url("termination"), message)

    @staticmethod
    def _move(db: sa.Connection, n: Negotiation, state: str) -> None:
        change = (
            negotiations.update()
            .where(negotiations.c.provider_pid == n.provider_pid, negotiations.c.state == n.state)
            .values(state=state, updated=now())
        )
        if db.execute(change).rowcount != 1:
            raise InvalidTransition(
                "the negotiation changed meanwhile; read it again", where="state"
            )


def _last_comment(req: AccessRequest) -> str | None:
    """The staff's words on the last decision (a rejection or revocation needs some)."""
    for comment in reversed(req.comments):
        if comment.get("state") == req.state and comment.get("text"):
            return str(comment["text"])
    return None
