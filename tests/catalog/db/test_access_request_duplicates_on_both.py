"""Identical access requests sent at once: exactly one is stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from api.auth import Principal
from catalog.access_requests import AccessRequests, DuplicateRequest
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.db.schema import access_requests
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import Settings

LAB = "aiff-datalab"
DATASET = "synthetic-ehr-fhir-u2otqddy"
SENDERS = 6


@pytest.fixture
def service(database: Database, db_settings: Settings) -> Iterator[AccessRequests]:
    with Catalogue.open(db_settings) as catalogue:
        load_demo(catalogue)
        load_registry(catalogue)
        accounts = Accounts(database)
        accounts.add_user("dana", "developer")
        yield AccessRequests(catalogue, accounts)


def test_identical_requests_sent_together_store_one(
    service: AccessRequests, database: Database
) -> None:
    dana = Principal("dana", "developer")
    start = threading.Barrier(SENDERS)
    stored: list[str] = []
    refused: list[DuplicateRequest] = []
    failed: list[BaseException] = []

    def send() -> None:
        start.wait()
        try:
            req = service.submit(
                dana,
                dataset_id=DATASET,
                lab_id=LAB,
                org_type="research",
                country="DE",
                purpose="academic-research",
            )
            stored.append(req.id)
        except DuplicateRequest as exc:
            refused.append(exc)
        except BaseException as exc:  # anything else is a failure of the test
            failed.append(exc)

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failed == []
    assert len(stored) == 1 and len(refused) == SENDERS - 1
    assert {e.details["request"] for e in refused} == set(stored)
    with database.read() as db:
        rows = db.execute(sa.select(access_requests.c.id)).scalars().all()
    assert rows == stored
