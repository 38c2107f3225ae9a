"""Access requests in the operational database, on SQLite and on PostgreSQL: the workflow,
two replicas, two staff deciding at once, concurrent submissions, the old file imported."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from api.auth import Principal
from catalog.access_requests import AccessRequest, AccessRequests, requests_path
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.demo import load_demo
from catalog.errors import Conflict
from catalog.labs import get_lab, load_registry
from catalog.search import SearchService
from catalog.service import Catalogue
from catalog.settings import Settings

DEV = Principal("dana", "developer")
LAB = "aiff-datalab"


@dataclass
class Setup:
    settings: Settings
    catalogue: Catalogue
    requests: AccessRequests
    accounts: Accounts
    dataset_id: str
    staff: Principal


@pytest.fixture
def setup(database: Database, db_settings: Settings) -> Iterator[Setup]:
    with Catalogue.open(db_settings) as catalogue:
        load_demo(catalogue)
        load_registry(catalogue)
        accounts = Accounts(database)
        accounts.add_user("dana", "developer")
        search = SearchService.open(catalogue, attach=False)
        dataset_id = search.search("synthetic FHIR").items[0].id
        search.close()
        staff = Principal("sam", "staff", factory=get_lab(catalogue, LAB).factory)
        service = AccessRequests(catalogue, accounts)
        yield Setup(db_settings, catalogue, service, accounts, dataset_id, staff)


def _submit(
    service: AccessRequests, dataset_id: str, comment: str | None = None, who: Principal = DEV
) -> AccessRequest:
    return service.submit(
        who,
        dataset_id=dataset_id,
        lab_id=LAB,
        org_type="research",
        country="DE",
        purpose="academic-research",
        comment=comment,
    )


def test_the_workflow_with_its_comments(setup: Setup) -> None:
    service, staff = setup.requests, setup.staff
    req = _submit(service, setup.dataset_id, "Training a triage model")
    assert service.act(staff, req.id, "review").state == "in_review"
    service.comment(DEV, req.id, "Ethics approval attached")
    approved = service.act(staff, req.id, "approve", "permit checked")
    assert approved.state == "approved" and setup.accounts.has_grant("dana", setup.dataset_id)
    assert [(c["author"], c["state"], c["text"]) for c in approved.comments] == [
        ("dana", "submitted", "Training a triage model"),
        ("dana", "in_review", "Ethics approval attached"),
        ("sam", "approved", "permit checked"),
    ]
    assert [r.id for r in service.list_for(staff, "approved")] == [req.id]
    assert service.list_for(staff, "submitted") == []
    assert [r.procedure for r in service.list_for(DEV)] == [req.procedure]
    assert service.act(staff, req.id, "revoke", "permit expired").state == "revoked"
    assert not setup.accounts.has_grant("dana", setup.dataset_id)


def test_a_request_made_on_one_replica_is_listed_and_approved_on_another(setup: Setup) -> None:
    req = _submit(setup.requests, setup.dataset_id)
    with Database.open(setup.settings) as other:
        replica_b = AccessRequests(setup.catalogue, Accounts(other))
        assert [r.id for r in replica_b.list_for(setup.staff)] == [req.id]
        assert replica_b.act(setup.staff, req.id, "approve", "ok").state == "approved"
    seen = setup.requests.get(DEV, req.id)
    assert seen.state == "approved" and seen.comments[-1]["text"] == "ok"
    assert setup.accounts.has_grant("dana", setup.dataset_id)


def test_of_two_staff_deciding_at_once_exactly_one_wins(setup: Setup) -> None:
    # three requesters (one open request per requester, dataset and lab)
    devs = [Principal(f"dana{i}", "developer") for i in range(3)]
    for dev in devs:
        setup.accounts.add_user(dev.name or "", "developer")
    ids = [_submit(setup.requests, setup.dataset_id, who=dev).id for dev in devs]
    for request_id in ids:
        start = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def decide(action: str, request_id: str = request_id, start=start, out=outcomes) -> None:
            with Database.open(setup.settings) as own:
                service = AccessRequests(setup.catalogue, Accounts(own))
                start.wait()
                try:
                    service.act(setup.staff, request_id, action, f"{action}d by me")
                    out[action] = "won"
                except Conflict:
                    out[action] = "conflict"

        threads = [threading.Thread(target=decide, args=(a,)) for a in ("approve", "reject")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes.values()) == ["conflict", "won"]
        winner = next(a for a, o in outcomes.items() if o == "won")
        final = setup.requests.get(setup.staff, request_id)
        assert final.state == {"approve": "approved", "reject": "rejected"}[winner]
        assert [c["text"] for c in final.comments] == [f"{winner}d by me"]  # the loser's none
    decided = [e for e in setup.accounts.audit_log() if e["action"] in _DECISIONS]
    assert len([e for e in decided if e["outcome"] == "ok"]) == 3


_DECISIONS = ("access_request.approve", "access_request.reject")


def test_concurrent_submissions_on_separate_databases_lose_none(setup: Setup) -> None:
    made: list[str] = []
    errors: list[BaseException] = []

    # nine requesters: each may have one open request for the dataset from the lab
    devs = [[Principal(f"dev-{t}-{i}", "developer") for i in range(3)] for t in range(3)]

    def submit(mine: list[Principal]) -> None:
        try:
            with Database.open(setup.settings) as own:
                service = AccessRequests(setup.catalogue, Accounts(own))
                made.extend(_submit(service, setup.dataset_id, "hi", who=d).id for d in mine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(mine,)) for mine in devs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.id for r in setup.requests.list_for(setup.staff)) == sorted(made)
    assert len(made) == 9


# The schema catalog/access_requests.py created in <home>/access_requests.sqlite3 before issue 17.
OLD_SCHEMA = """
CREATE TABLE requests (
    id TEXT PRIMARY KEY, requester TEXT NOT NULL, dataset_id TEXT NOT NULL,
    lab TEXT NOT NULL, factory TEXT NOT NULL, org_type TEXT NOT NULL, country TEXT NOT NULL,
    purpose TEXT NOT NULL, state TEXT NOT NULL, procedure TEXT NOT NULL,
    created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE INDEX requests_requester ON requests(requester);
CREATE INDEX requests_factory ON requests(factory);
CREATE TABLE comments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, request TEXT NOT NULL REFERENCES requests(id),
    at TEXT NOT NULL, author TEXT NOT NULL, state TEXT NOT NULL, text TEXT NOT NULL);
"""


def test_requests_of_the_old_file_are_imported_once(setup: Setup) -> None:
    legacy = requests_path(setup.settings.home)
    old = sqlite3.connect(legacy, isolation_level=None)
    old.executescript(OLD_SCHEMA)
    at = "2025-01-02T00:00:00+00:00"
    old.execute(
        "INSERT INTO requests VALUES ('00aa', 'dana', ?, ?, ?, 'research', 'DE', "
        "'academic-research', 'submitted', ?, ?, ?)",
        (setup.dataset_id, LAB, setup.staff.factory, json.dumps(["Step one"]), at, at),
    )
    for seq, text in [(4, "first"), (7, "second")]:
        old.execute(
            "INSERT INTO comments VALUES (?, '00aa', ?, 'dana', 'submitted', ?)", (seq, at, text)
        )
    old.close()

    service = AccessRequests(setup.catalogue, setup.accounts)
    assert not legacy.exists() and legacy.with_name(legacy.name + ".migrated").is_file()
    req = service.get(setup.staff, "00aa")
    assert req.procedure == ["Step one"] and [c["text"] for c in req.comments] == [
        "first",
        "second",
    ]
    approved = service.act(setup.staff, "00aa", "approve", "third")  # numbered after them
    assert [c["text"] for c in approved.comments] == ["first", "second", "third"]
    AccessRequests(setup.catalogue, setup.accounts)  # a second open imports nothing more
    with setup.accounts.database.read() as conn:
        seqs = conn.execute(sa.text("SELECT seq FROM access_request_comments")).scalars().all()
    assert sorted(seqs)[:2] == [4, 7] and len(seqs) == 3 and max(seqs) > 7
