"""The accounts' behaviour, the same on the embedded SQLite file and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from catalog.accounts import Accounts
from catalog.db import Database, upgrade
from catalog.errors import Conflict, InvalidInput, NotFound, Unauthorized
from catalog.field_limits import FieldLimits
from catalog.settings import get_settings


@pytest.fixture
def accounts(database: Database) -> Accounts:
    return Accounts(database)


def test_users_are_created_listed_and_unique(accounts: Accounts) -> None:
    ann = accounts.add_user("ann", "steward", "Org A")
    accounts.add_user("Zed", "developer")
    accounts.add_user("bob", "staff", factory="f1")
    assert accounts.user("ann") == ann
    # by code point on both dialects, whatever the database's collation
    assert [u.name for u in accounts.users()] == ["Zed", "ann", "bob"]
    with pytest.raises(Conflict, match="exists already"):
        accounts.add_user("ann", "developer")
    with pytest.raises(InvalidInput, match="unknown role"):
        accounts.add_user("cat", "boss")
    with pytest.raises(InvalidInput, match="without spaces"):
        accounts.add_user("c d", "developer")
    with pytest.raises(NotFound):
        accounts.user("nobody")


def test_field_limits_apply(database: Database) -> None:
    accounts = Accounts(database, FieldLimits(name_chars=5, text_chars=10))
    with pytest.raises(InvalidInput):
        accounts.add_user("toolongname", "developer")
    with pytest.raises(InvalidInput):
        accounts.add_user("ann", "steward", "x" * 11)


def test_tokens_issue_verify_list_expire_and_revoke(accounts: Accounts) -> None:
    accounts.add_user("ann", "developer")
    token = accounts.issue_token("ann", days=2)
    prefix, token_id, secret = token.split("_", 2)
    assert prefix == "dlt" and len(token_id) == 16 and len(secret) > 20
    assert accounts.authenticate(token).name == "ann"

    listed = accounts.tokens("ann")
    assert [t["id"] for t in listed] == [token_id] and listed[0]["revoked"] is None
    expires = datetime.fromisoformat(listed[0]["expires"]) - datetime.now(UTC)
    assert timedelta(days=1.9) < expires < timedelta(days=2)
    with accounts.database.read() as conn:  # only the digest of the secret is stored
        stored = conn.execute(sa.text("SELECT digest FROM tokens")).scalar_one()
    assert secret not in stored and len(stored) == 64

    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    bad_tokens = [(forged, "invalid token"), ("dlt_x", "malformed"), ("nonsense", "malformed")]
    for bad, reason in bad_tokens:
        with pytest.raises(Unauthorized, match=reason):
            accounts.authenticate(bad)
    short = accounts.issue_token("ann", days=1e-9)
    with pytest.raises(Unauthorized, match="expired"):
        accounts.authenticate(short)
    with pytest.raises(InvalidInput):
        accounts.issue_token("ann", days=0)

    accounts.revoke_token(token)
    with pytest.raises(Unauthorized, match="revoked"):
        accounts.authenticate(token)
    third = accounts.issue_token("ann")
    assert accounts.revoke_token_id(third.split("_")[1], "someone-else") is False
    assert accounts.revoke_token_id(third.split("_")[1], "ann") is True
    assert accounts.revoke_token_id(third.split("_")[1]) is False  # already revoked
    assert len(accounts.tokens("ann")) == 3


def test_roles_grants_and_the_audit_trail(accounts: Accounts) -> None:
    accounts.add_user("ann", "developer")
    assert accounts.set_role("ann", "staff", factory="f1").factory == "f1"
    assert not accounts.has_grant("ann", "ds-1") and not accounts.has_grant(None, "ds-1")
    accounts.grant("ann", "ds-1")
    accounts.grant("ann", "ds-1")  # twice: still one grant, two audit entries
    assert accounts.has_grant("ann", "ds-1")
    assert accounts.revoke("ann", "ds-1") is True
    assert accounts.revoke("ann", "ds-1") is False
    assert not accounts.has_grant("ann", "ds-1")
    with pytest.raises(NotFound):
        accounts.grant("nobody", "ds-1")

    accounts.audit("bob", "sample.rows", "ds-1", "denied", {"why": "restricted", "ü": 1})
    log = accounts.audit_log()
    assert [e["action"] for e in log] == [
        "user.role",
        "grant.add",
        "grant.add",
        "grant.revoke",
        "grant.revoke",
        "sample.rows",
    ]
    assert [e["seq"] for e in log] == sorted(e["seq"] for e in log)
    assert log[0]["detail"] == {"user": "ann", "from": "developer", "to": "staff"}
    assert log[-1]["detail"] == {"why": "restricted", "ü": 1} and log[-1]["actor"] == "bob"
    assert [e["action"] for e in accounts.audit_log("ds-1")][-1] == "sample.rows"
    assert set(log[0]) == {"seq", "at", "actor", "action", "dataset_id", "outcome", "detail"}


def test_concurrent_threads_lose_no_user(accounts: Accounts) -> None:
    errors: list[BaseException] = []

    def add(start: int) -> None:
        try:
            for i in range(start, start + 10):
                accounts.add_user(f"user{i:03d}", "developer")
                accounts.audit(f"user{i:03d}", "user.add", None, "ok")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n * 10,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(accounts.users()) == 60
    assert len({e["seq"] for e in accounts.audit_log()}) == 60


def _add_users_in_a_process(url: str, home: str, start: int) -> None:
    accounts = Accounts(Database.open(get_settings(home=home, database_url=url)))
    for i in range(start, start + 15):
        accounts.add_user(f"p{i:03d}", "developer")
        accounts.audit(f"p{i:03d}", "user.add", None, "ok")


def test_concurrent_processes_lose_no_user_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    with Database.postgresql(pg_url) as database:
        upgrade(database)
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=_add_users_in_a_process, args=(pg_url, str(tmp_path), n * 15))
        for n in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    with Database.open(get_settings(home=tmp_path, database_url=pg_url)) as database:
        accounts = Accounts(database)
        assert len(accounts.users()) == 45
        assert len(accounts.audit_log()) == 45
