"""A catalogue installed before the database: its accounts.sqlite3 is imported once."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalog.accounts import Accounts, legacy_accounts_path
from catalog.db import Database, upgrade
from catalog.settings import Settings

# The schema catalog/accounts.py created in <home>/accounts.sqlite3 before issue 17.
OLD_SCHEMA = """
CREATE TABLE users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, organisation TEXT, factory TEXT,
    created TEXT NOT NULL);
CREATE TABLE tokens (
    id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name), digest TEXT NOT NULL,
    created TEXT NOT NULL, expires TEXT NOT NULL, revoked TEXT);
CREATE TABLE grants (
    user TEXT NOT NULL REFERENCES users(name), dataset_id TEXT NOT NULL, granted TEXT NOT NULL,
    PRIMARY KEY (user, dataset_id));
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT, action TEXT NOT NULL,
    dataset_id TEXT, outcome TEXT NOT NULL, detail TEXT);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
SECRET = "old-secret-of-ann"
TOKEN = f"dlt_00aa11bb22cc33dd_{SECRET}"


def write_old_accounts(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(OLD_SCHEMA)
    db.executemany(
        "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
        [
            ("ann", "steward", "Org A", None, "2025-01-02T00:00:00+00:00"),
            ("bob", "staff", None, "f1", "2025-01-03T00:00:00+00:00"),
        ],
    )
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    db.executemany(
        "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("00aa11bb22cc33dd", "ann", digest, "2025-01-02T00:00:00+00:00",
             "2999-01-01T00:00:00+00:00", None),
            ("ffee", "bob", "0" * 64, "2025-01-03T00:00:00+00:00",
             "2999-01-01T00:00:00+00:00", "2025-01-04T00:00:00+00:00"),
        ],
    )  # fmt: skip
    db.execute("INSERT INTO grants VALUES ('ann', 'ds-1', '2025-01-05T00:00:00+00:00')")
    for seq, action in [(3, "grant.add"), (1, "user.role"), (9, "sample.rows")]:
        db.execute(
            "INSERT INTO audit VALUES (?, ?, 'ann', ?, 'ds-1', 'ok', ?)",
            (seq, f"2025-01-0{seq % 9 + 1}T00:00:00+00:00", action, json.dumps({"n": seq})),
        )
    db.close()


@pytest.fixture
def opened(db_settings: Settings) -> Iterator[Callable[[], Accounts]]:
    """Open the accounts of ``db_settings`` (a fresh database each time it is migrated)."""
    if db_settings.database_url is not None:
        with Database.postgresql(db_settings.database_url) as fresh:
            upgrade(fresh)
    databases: list[Database] = []

    def open_accounts() -> Accounts:
        databases.append(Database.open(db_settings))
        return Accounts(databases[-1])

    yield open_accounts
    for database in databases:
        database.close()


def test_old_accounts_are_imported_once_and_the_file_kept_aside(
    db_settings: Settings, opened: Callable[[], Accounts]
) -> None:
    legacy = legacy_accounts_path(db_settings.home)
    write_old_accounts(legacy)
    accounts = opened()

    assert not legacy.exists()
    assert legacy.with_name("accounts.sqlite3.migrated").is_file()
    assert [(u.name, u.role, u.organisation, u.factory) for u in accounts.users()] == [
        ("ann", "steward", "Org A", None),
        ("bob", "staff", None, "f1"),
    ]
    assert accounts.authenticate(TOKEN).name == "ann"  # old tokens keep working
    assert accounts.tokens("bob")[0]["revoked"] == "2025-01-04T00:00:00+00:00"
    assert accounts.has_grant("ann", "ds-1")
    log = accounts.audit_log()
    assert [(e["seq"], e["action"], e["detail"]) for e in log] == [
        (1, "user.role", {"n": 1}),
        (3, "grant.add", {"n": 3}),
        (9, "sample.rows", {"n": 9}),
    ]
    accounts.audit("ann", "sample.rows", "ds-1", "ok")  # new entries come after the old ones
    assert accounts.audit_log()[-1]["seq"] > 9

    again = opened()  # a second open imports nothing more
    assert len(again.audit_log()) == 4 and len(again.users()) == 2


def test_an_old_file_is_not_imported_over_existing_accounts(
    db_settings: Settings, opened: Callable[[], Accounts], caplog: pytest.LogCaptureFixture
) -> None:
    accounts = opened()
    accounts.add_user("carol", "developer")
    legacy = legacy_accounts_path(db_settings.home)
    write_old_accounts(legacy)
    reopened = opened()
    assert [u.name for u in reopened.users()] == ["carol"]
    assert legacy.is_file()  # left where it is, for the operator to look at
    assert "was not imported" in caplog.text


def test_the_path_form_imports_too(tmp_path: Path) -> None:
    """``Accounts(accounts_path(home))``, as the tests and older callers write it."""
    from catalog.accounts import accounts_path

    write_old_accounts(legacy_accounts_path(tmp_path))
    accounts = Accounts(accounts_path(tmp_path))
    assert accounts.database.dialect == "sqlite"
    assert accounts.authenticate(TOKEN).name == "ann"
    assert (tmp_path / "accounts.sqlite3.migrated").is_file()
