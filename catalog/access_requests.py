"""Access requests: an AI developer asks a data lab for a dataset; the lab's staff decide.

A request states the requester's organisation type, country and purpose. It moves through
``submitted → in_review → approved | rejected``; the requester may ``withdraw`` it while it
is open, and staff may ``revoke`` an approval. Approval creates a grant for that user and
dataset in :mod:`catalog.accounts` (which opens the restricted sample to that user only);
revocation removes it unless another approved request still stands. Every step, allowed
or refused, is written to the append-only audit log. Requests and their comments live in
the operational database (:mod:`catalog.db`, the accounts' one), so every API replica and
the command line see the same requests; a state change and its comment are written in one
transaction, and of two staff deciding the same request at once exactly one wins (the other
gets a :class:`~catalog.errors.Conflict`). Requests of a catalogue from before the database
(``<home>/access_requests.sqlite3``) are imported once, on first open.

Who may do what: the requester reads, comments on and withdraws their own requests; staff
of the lab's factory (and admins) read, review, approve, reject, revoke and comment.
Anyone else is told the request does not exist.

Others follow the decisions: every function in :attr:`AccessRequests.listeners` is called
with the request after each step it takes (the Dataspace Protocol negotiations tied to
requests, :mod:`catalog.dsp`), and :meth:`AccessRequests.submit` can write a row of its
caller's in the request's own transaction (``link``).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from catalog.accounts import Accounts
from catalog.callers import Caller
from catalog.db import Database
from catalog.db.legacy_tables import LegacyTable, import_legacy_tables
from catalog.db.schema import access_request_comments as comments
from catalog.db.schema import access_requests as requests
from catalog.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from catalog.facts.read import record_facts
from catalog.field_limits import FieldLimits
from catalog.labs import DataLab, get_lab
from catalog.offers.licence_store import licence_table
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import MAY_NOT, resolve
from catalog.service import Catalogue

log = logging.getLogger(__name__)

SUBMITTED, IN_REVIEW, APPROVED = "submitted", "in_review", "approved"
REJECTED, WITHDRAWN, REVOKED = "rejected", "withdrawn", "revoked"
OPEN = (SUBMITTED, IN_REVIEW)
#: action -> (states it may start from, state it leads to, who may do it)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "review": (OPEN, IN_REVIEW, "staff"),
    "approve": (OPEN, APPROVED, "staff"),
    "reject": (OPEN, REJECTED, "staff"),
    "withdraw": (OPEN, WITHDRAWN, "requester"),
    "revoke": ((APPROVED,), REVOKED, "staff"),
}

_COLUMNS = (
    requests.c.id,
    requests.c.requester,
    requests.c.dataset_id,
    requests.c.lab,
    requests.c.factory,
    requests.c.org_type,
    requests.c.country,
    requests.c.purpose,
    requests.c.state,
    requests.c.procedure,
    requests.c.created,
    requests.c.updated,
)
_COMMENT_COLUMNS = (comments.c.at, comments.c.author, comments.c.state, comments.c.text)
#: The tables of the old ``access_requests.sqlite3``, in the order they are imported.
_LEGACY = (
    LegacyTable("requests", requests, "created, id"),
    LegacyTable("comments", comments, "seq", seq="seq"),
)


@dataclass
class AccessRequest:
    """One request for one dataset from one lab, with its comments in order."""

    id: str
    requester: str
    dataset_id: str
    lab: str
    factory: str
    org_type: str
    country: str
    purpose: str
    state: str
    procedure: list[str]
    created: str
    updated: str
    comments: list[dict[str, str]] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.state in OPEN

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: What a request must state, and what to say when it does not.
_MISSING = {
    "org_type": "choose your organisation type",
    "country": "enter the country your organisation is based in (e.g. DE)",
    "purpose": "choose the purpose you need the data for",
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _text(limits: FieldLimits, value: str | None, where: str, required: bool = False) -> str:
    text = limits.text((value or "").strip(), where)
    if required and not text:
        raise InvalidInput(f"{where} is required", where=where)
    if "\x00" in text:
        raise InvalidInput(f"{where} must not contain NUL characters", where=where)
    return text


class AccessRequests:
    """The access-request workflow of one catalogue."""

    def __init__(
        self, catalogue: Catalogue, accounts: Accounts, database: Database | None = None
    ) -> None:
        self.catalogue = catalogue
        self.accounts = accounts
        #: The requests' database: the accounts' one unless given.
        self.database = database or accounts.database
        self.limits = FieldLimits.from_settings(catalogue.settings)
        #: Called with the request after each step of the workflow (see the module).
        self.listeners: list[Callable[[AccessRequest], None]] = []
        legacy = requests_path(catalogue.settings.home)
        import_legacy_tables(self.database, legacy, _LEGACY, "access requests")

    # -- asking --------------------------------------------------------------------------

    def submit(
        self,
        caller: Caller,
        *,
        dataset_id: str,
        lab_id: str,
        org_type: str,
        country: str,
        purpose: str,
        comment: str | None = None,
        link: Callable[[sa.Connection, AccessRequest], None] | None = None,
    ) -> AccessRequest:
        """File a request; refused when the lab may not offer the dataset to this profile.

        ``link(connection, request)`` runs in the transaction that stores the request."""
        if caller.name is None:
            raise Unauthorized("sign in to request access", where="Authorization")
        stated = {"org_type": org_type, "country": country, "purpose": purpose}
        missing = {k: _MISSING[k] for k, v in stated.items() if not (v or "").strip()}
        if missing:
            raise InvalidInput(
                "state your organisation type, country and purpose",
                where=next(iter(missing)),
                details={"fields": missing},
            )
        profile = RequesterProfile.parse(org_type, country, purpose)
        if profile is None or not (profile.org_type and profile.country and profile.purpose):
            raise InvalidInput("state your organisation type, country and purpose", where="profile")
        text = _text(self.limits, comment, "comment")
        lab = get_lab(self.catalogue, lab_id)
        offer = resolve(
            record_facts(self.catalogue, dataset_id),
            lab,
            licence_table(self.catalogue.documents),
            profile,
        )
        if offer.verdict == MAY_NOT:
            self.accounts.audit(caller.name, "access_request.submit", dataset_id, "refused")
            raise Conflict(
                f"{lab.name} may not offer this dataset to you",
                where="lab",
                details={"reasons": [r.text for r in offer.reasons if r.outcome != "ok"]},
            )
        now = _now()
        req = AccessRequest(
            id=secrets.token_hex(8),
            requester=caller.name,
            dataset_id=dataset_id,
            lab=lab.id,
            factory=lab.factory,
            org_type=profile.org_type or "",
            country=profile.country or "",
            purpose=profile.purpose.key if profile.purpose else "",
            state=SUBMITTED,
            procedure=_procedure(lab, offer.access_mode),
            created=now,
            updated=now,
        )
        row = req.to_dict()
        del row["comments"]
        row["procedure"] = json.dumps(req.procedure, ensure_ascii=False)
        try:
            with self.database.transaction() as db:
                # checked in the transaction that inserts: of two identical requests sent
                # at once, the second waits for the first's commit, then finds it open
                _refuse_duplicate(db, req)
                db.execute(requests.insert().values(row))
                if text:
                    _comment(db, req.id, caller.name, SUBMITTED, text)
                if link is not None:
                    link(db, req)
        except DuplicateRequest as exc:
            detail = {"open": (exc.details or {}).get("request"), "lab": lab.id}
            self.accounts.audit(
                caller.name, "access_request.submit", dataset_id, "duplicate", detail
            )
            raise
        detail = {"request": req.id, "lab": lab.id, "purpose": req.purpose}
        self.accounts.audit(caller.name, "access_request.submit", dataset_id, "ok", detail)
        return self.get(caller, req.id)

    # -- reading -------------------------------------------------------------------------

    def _row(self, request_id: str) -> AccessRequest | None:
        with self.database.read() as db:
            row = db.execute(sa.select(*_COLUMNS).where(requests.c.id == request_id)).first()
            if row is None:
                return None
            found = db.execute(
                sa.select(*_COMMENT_COLUMNS)
                .where(comments.c.request == request_id)
                .order_by(comments.c.seq)
            ).all()
        req = _from_row(tuple(row))
        req.comments = [dict(zip(("at", "author", "state", "text"), c, strict=True)) for c in found]
        return req

    @staticmethod
    def is_handler(caller: Caller, req: AccessRequest) -> bool:
        return caller.role == "admin" or (
            caller.role == "staff" and bool(caller.factory) and caller.factory == req.factory
        )

    def get(self, caller: Caller, request_id: str) -> AccessRequest:
        """One request, to its requester and its lab's staff; for anyone else it is absent."""
        if caller.name is None:
            raise Unauthorized("sign in to see access requests", where="Authorization")
        req = self._row(request_id)
        if req is None or not (req.requester == caller.name or self.is_handler(caller, req)):
            raise NotFound(f"no access request {request_id!r}", where="request")
        return req

    def list_for(self, caller: Caller, state: str | None = None) -> list[AccessRequest]:
        """Requests the caller made (developers) or handles (staff: their factory; admins)."""
        if caller.name is None:
            raise Unauthorized("sign in to see access requests", where="Authorization")
        query = sa.select(*_COLUMNS)
        if caller.role == "staff" and caller.factory:
            query = query.where(
                sa.or_(requests.c.factory == caller.factory, requests.c.requester == caller.name)
            )
        elif caller.role != "admin":
            query = query.where(requests.c.requester == caller.name)
        if state:
            query = query.where(requests.c.state == state)
        query = query.order_by(requests.c.created.desc(), requests.c.id).limit(500)
        with self.database.read() as db:
            rows = db.execute(query).all()
        return [_from_row(tuple(r)) for r in rows]

    # -- deciding ------------------------------------------------------------------------

    def act(
        self, caller: Caller, request_id: str, action: str, comment: str | None = None
    ) -> AccessRequest:
        """Apply one step of the workflow (review, approve, reject, withdraw, revoke)."""
        if action not in TRANSITIONS:
            raise InvalidInput(
                f"unknown action {action!r}; known: {', '.join(TRANSITIONS)}", where="action"
            )
        starts, target, who = TRANSITIONS[action]
        text = _text(self.limits, comment, "comment", required=action in ("reject", "revoke"))
        req = self.get(caller, request_id)
        allowed = (
            req.requester == caller.name if who == "requester" else self.is_handler(caller, req)
        )
        if not allowed:
            self.accounts.audit(caller.name, f"access_request.{action}", req.dataset_id, "denied")
            whom = "the requester" if who == "requester" else "staff of the lab's factory"
            raise Forbidden(f"only {whom} may {action} this request", where="action")
        if req.state not in starts:
            raise Conflict(
                f"a request that is {req.state.replace('_', ' ')} cannot be {action}ed",
                where="state",
            )
        # The state changes only from the state read above, and with its comment, at once:
        # of two staff deciding together, the second finds no row in that state.
        change = (
            requests.update()
            .where(requests.c.id == req.id, requests.c.state == req.state)
            .values(state=target, updated=_now())
        )
        with self.database.transaction() as db:
            if db.execute(change).rowcount != 1:
                raise Conflict("the request changed meanwhile; reload it", where="state")
            if text:
                _comment(db, req.id, caller.name or "", target, text)
        if target == APPROVED:
            self.accounts.grant(req.requester, req.dataset_id)
        elif target == REVOKED and not self._still_approved(req):
            self.accounts.revoke(req.requester, req.dataset_id)
        detail = {"request": req.id, "from": req.state, "to": target, "user": req.requester}
        self.accounts.audit(caller.name, f"access_request.{action}", req.dataset_id, "ok", detail)
        done = self.get(caller, req.id)
        self._tell(done)
        return done

    def _tell(self, req: AccessRequest) -> None:
        """Call the listeners; one that fails is logged (the decision stands)."""
        for listener in list(self.listeners):
            try:
                listener(req)
            except Exception:
                log.exception("a listener of access request %s failed", req.id)

    def find(self, request_id: str) -> AccessRequest | None:
        """One request by id, whoever asks (for the services that follow requests)."""
        return self._row(request_id)

    def comment(self, caller: Caller, request_id: str, text: str) -> AccessRequest:
        """Add a comment (requester or handler) without changing the state."""
        req = self.get(caller, request_id)
        body = _text(self.limits, text, "comment", required=True)
        with self.database.transaction() as db:
            _comment(db, req.id, caller.name or "", req.state, body)
        self.accounts.audit(
            caller.name, "access_request.comment", req.dataset_id, "ok", {"request": req.id}
        )
        return self.get(caller, req.id)

    def _still_approved(self, req: AccessRequest) -> bool:
        query = sa.select(sa.literal(1)).where(
            requests.c.requester == req.requester,
            requests.c.dataset_id == req.dataset_id,
            requests.c.state == APPROVED,
        )
        with self.database.read() as db:
            return db.execute(query).first() is not None


class DuplicateRequest(Conflict):
    """The requester already has an open request for this dataset from this lab."""

    code = "duplicate_request"


def _refuse_duplicate(db: sa.Connection, req: AccessRequest) -> None:
    """Refuse ``req`` while its requester has an open one for the same dataset and lab.

    Runs in the inserting transaction. SQLite's write transactions hold the database's
    write lock from their start (``BEGIN IMMEDIATE``), so two of them never interleave; on
    PostgreSQL a transaction-scoped advisory lock on the (requester, dataset, lab) triple
    makes the second check wait until the first insert is committed."""
    if db.dialect.name == "postgresql":
        key = "\x1f".join(("access_request", req.requester, req.dataset_id, req.lab))
        db.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})
    found = db.execute(
        sa.select(requests.c.id)
        .where(
            requests.c.requester == req.requester,
            requests.c.dataset_id == req.dataset_id,
            requests.c.lab == req.lab,
            requests.c.state.in_(OPEN),
        )
        .order_by(requests.c.created)
        .limit(1)
    ).scalar()
    if found is not None:
        raise DuplicateRequest(
            f"you already have an open request for this dataset from this lab ({found}); "
            "follow that one, or withdraw it before asking again",
            where="request",
            details={"request": found, "href": f"/access-requests/{found}"},
        )


def _comment(db: sa.Connection, request_id: str, author: str, state: str, text: str) -> None:
    """Append a comment to a request, in the caller's transaction."""
    row = {"request": request_id, "at": _now(), "author": author, "state": state, "text": text}
    db.execute(comments.insert().values(row))


def _procedure(lab: DataLab, access_mode: str | None) -> list[str]:
    """The lab's procedure steps that apply to the access mode of the offer."""
    steps = [s.label for s in lab.procedure if s.applies_to in (None, access_mode)]
    return steps or ["The lab's staff review the request."]


def _from_row(row: tuple[Any, ...]) -> AccessRequest:
    values = list(row)
    values[9] = json.loads(values[9])
    return AccessRequest(*values)


def requests_path(home: Path) -> Path:
    """Where catalogues from before the operational database kept their access requests."""
    return home / "access_requests.sqlite3"


__all__ = [
    "TRANSITIONS",
    "AccessRequest",
    "AccessRequests",
    "DuplicateRequest",
    "requests_path",
]
