"""Access requests: an AI developer asks a data lab for a dataset; the lab's staff decide.

A request states the requester's organisation type, country and purpose. It moves through
``submitted → in_review → approved | rejected``; the requester may ``withdraw`` it while it
is open, and staff may ``revoke`` an approval. Approval creates a grant for that user and
dataset in :mod:`catalog.accounts` (which opens the restricted sample to that user only);
revocation removes it unless another approved request still stands. Every step, allowed
or refused, is written to the append-only audit log. Requests live in
``<home>/access_requests.sqlite3``.

Who may do what: the requester reads, comments on and withdraws their own requests; staff
of the lab's factory (and admins) read, review, approve, reject, revoke and comment.
Anyone else is told the request does not exist.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog.accounts import Accounts
from catalog.callers import Caller
from catalog.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from catalog.facts.read import record_facts
from catalog.field_limits import FieldLimits
from catalog.labs import DataLab, get_lab
from catalog.offers.licence_store import licence_table
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import MAY_NOT, resolve
from catalog.service import Catalogue

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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY, requester TEXT NOT NULL, dataset_id TEXT NOT NULL,
    lab TEXT NOT NULL, factory TEXT NOT NULL, org_type TEXT NOT NULL, country TEXT NOT NULL,
    purpose TEXT NOT NULL, state TEXT NOT NULL, procedure TEXT NOT NULL,
    created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS requests_requester ON requests(requester);
CREATE INDEX IF NOT EXISTS requests_factory ON requests(factory);
CREATE TABLE IF NOT EXISTS comments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, request TEXT NOT NULL REFERENCES requests(id),
    at TEXT NOT NULL, author TEXT NOT NULL, state TEXT NOT NULL, text TEXT NOT NULL);
"""
_COLUMNS = "id, requester, dataset_id, lab, factory, org_type, country, purpose, state, "
_COLUMNS += "procedure, created, updated"


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

    def __init__(self, catalogue: Catalogue, accounts: Accounts) -> None:
        self.catalogue = catalogue
        self.accounts = accounts
        self.path = catalogue.settings.home / "access_requests.sqlite3"
        self.limits = FieldLimits.from_settings(catalogue.settings)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        finally:
            db.close()

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
    ) -> AccessRequest:
        """File a request; refused when the lab may not offer the dataset to this profile."""
        if caller.name is None:
            raise Unauthorized("sign in to request access", where="Authorization")
        profile = RequesterProfile.parse(org_type, country, purpose)
        if profile is None or not (profile.org_type and profile.country and profile.purpose):
            raise InvalidInput("state your organisation type, country and purpose", where="profile")
        text = _text(self.limits, comment, "comment")
        lab = get_lab(self.catalogue, lab_id)
        offer = resolve(
            record_facts(self.catalogue, dataset_id),
            lab,
            licence_table(self.catalogue.settings),
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
        with self._db() as db:
            db.execute(
                f"INSERT INTO requests ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
                (
                    req.id,
                    req.requester,
                    req.dataset_id,
                    req.lab,
                    req.factory,
                    req.org_type,
                    req.country,
                    req.purpose,
                    req.state,
                    json.dumps(req.procedure),
                    now,
                    now,
                ),
            )
            if text:
                self._comment(db, req.id, caller.name, SUBMITTED, text)
        detail = {"request": req.id, "lab": lab.id, "purpose": req.purpose}
        self.accounts.audit(caller.name, "access_request.submit", dataset_id, "ok", detail)
        return self.get(caller, req.id)

    # -- reading -------------------------------------------------------------------------

    def _row(self, request_id: str) -> AccessRequest | None:
        with self._db() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM requests WHERE id = ?",  # noqa: S608
                (request_id,),
            ).fetchone()
            if row is None:
                return None
            comments = db.execute(
                "SELECT at, author, state, text FROM comments WHERE request = ? ORDER BY seq",
                (request_id,),
            ).fetchall()
        req = _from_row(row)
        req.comments = [
            dict(zip(("at", "author", "state", "text"), c, strict=True)) for c in comments
        ]
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
        where, args = "requester = ?", [caller.name]
        if caller.role == "admin":
            where, args = "1 = 1", []
        elif caller.role == "staff" and caller.factory:
            where, args = "(factory = ? OR requester = ?)", [caller.factory, caller.name]
        if state:
            where += " AND state = ?"
            args.append(state)
        with self._db() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM requests WHERE {where} "  # noqa: S608
                "ORDER BY created DESC, id LIMIT 500",
                args,
            ).fetchall()
        return [_from_row(r) for r in rows]

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
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute(
                "UPDATE requests SET state = ?, updated = ? WHERE id = ? AND state = ?",
                (target, _now(), req.id, req.state),
            )
            if cur.rowcount != 1:
                db.execute("ROLLBACK")
                raise Conflict("the request changed meanwhile; reload it", where="state")
            if text:
                self._comment(db, req.id, caller.name or "", target, text)
            db.execute("COMMIT")
        if target == APPROVED:
            self.accounts.grant(req.requester, req.dataset_id)
        elif target == REVOKED and not self._still_approved(req):
            self.accounts.revoke(req.requester, req.dataset_id)
        detail = {"request": req.id, "from": req.state, "to": target, "user": req.requester}
        self.accounts.audit(caller.name, f"access_request.{action}", req.dataset_id, "ok", detail)
        return self.get(caller, req.id)

    def comment(self, caller: Caller, request_id: str, text: str) -> AccessRequest:
        """Add a comment (requester or handler) without changing the state."""
        req = self.get(caller, request_id)
        body = _text(self.limits, text, "comment", required=True)
        with self._db() as db:
            self._comment(db, req.id, caller.name or "", req.state, body)
        self.accounts.audit(
            caller.name, "access_request.comment", req.dataset_id, "ok", {"request": req.id}
        )
        return self.get(caller, req.id)

    def _still_approved(self, req: AccessRequest) -> bool:
        with self._db() as db:
            row = db.execute(
                "SELECT 1 FROM requests WHERE requester = ? AND dataset_id = ? AND state = ?",
                (req.requester, req.dataset_id, APPROVED),
            ).fetchone()
        return row is not None

    @staticmethod
    def _comment(
        db: sqlite3.Connection, request_id: str, author: str, state: str, text: str
    ) -> None:
        db.execute(
            "INSERT INTO comments (request, at, author, state, text) VALUES (?, ?, ?, ?, ?)",
            (request_id, _now(), author, state, text),
        )


def _procedure(lab: DataLab, access_mode: str | None) -> list[str]:
    """The lab's procedure steps that apply to the access mode of the offer."""
    steps = [s.label for s in lab.procedure if s.applies_to in (None, access_mode)]
    return steps or ["The lab's staff review the request."]


def _from_row(row: tuple[Any, ...]) -> AccessRequest:
    values = list(row)
    values[9] = json.loads(values[9])
    return AccessRequest(*values)


def requests_path(home: Path) -> Path:
    return home / "access_requests.sqlite3"


__all__ = ["TRANSITIONS", "AccessRequest", "AccessRequests", "requests_path"]
