"""The web pages' sessions in the operational database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from api.web.session_store import LEGACY_FILE, Session, SessionStore, _digest
from catalog.db import Database
from catalog.settings import Settings


@pytest.fixture
def replica_b(database: Database, db_settings: Settings) -> Iterator[Database]:
    """A second Database object on the same database, as another API replica opens it."""
    with Database.open(db_settings) as other:
        yield other


def test_sessions_are_created_read_and_deleted(database: Database) -> None:
    store = SessionStore(database, hours=1)
    sid, session = store.create("ann")
    assert store.get(sid) == session == Session("ann", session.csrf)
    assert store.get(None) is None and store.get("x" * 201) is None and store.get("no") is None
    with database.read() as conn:  # only the digest of the id is stored
        assert conn.execute(sa.text("SELECT digest FROM web_sessions")).scalar_one() != sid
    store.delete(sid)
    assert store.get(sid) is None


def test_expired_sessions_are_refused_and_purged(database: Database) -> None:
    short = SessionStore(database, hours=-1)  # already expired when made
    old, _ = short.create("ann")
    assert short.get(old) is None
    store = SessionStore(database, hours=1)
    sid, _ = store.create("bob")  # creating a session purges the expired ones
    with database.read() as conn:
        users = conn.execute(sa.text('SELECT "user" FROM web_sessions')).scalars().all()
    assert users == ["bob"] and store.get(sid) is not None


def test_a_session_made_on_one_replica_is_seen_and_ended_on_another(
    database: Database, replica_b: Database
) -> None:
    a, b = SessionStore(database, hours=1), SessionStore(replica_b, hours=1)
    sid, session = a.create("ann")
    assert b.get(sid) == session
    b.delete(sid)  # signing out on B signs out on A too
    assert a.get(sid) is None


def test_concurrent_sign_ins_on_separate_databases_lose_none(
    database: Database, db_settings: Settings
) -> None:
    made: list[str] = []
    errors: list[BaseException] = []

    def sign_in(n: int) -> None:
        try:
            with Database.open(db_settings) as own:
                store = SessionStore(own, hours=1)
                for i in range(10):
                    made.append(store.create(f"u{n}-{i}")[0])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = SessionStore(database, hours=1)
    assert len(made) == 40 and all(store.get(sid) is not None for sid in made)


def test_sessions_of_the_old_file_are_imported_once(
    database: Database, db_settings: Settings
) -> None:
    legacy = db_settings.home / LEGACY_FILE
    legacy.parent.mkdir(parents=True, exist_ok=True)
    old = sqlite3.connect(legacy, isolation_level=None)
    old.execute(  # the schema api/web/session_store.py created before issue 17
        "CREATE TABLE sessions (digest TEXT PRIMARY KEY, user TEXT NOT NULL, "
        "csrf TEXT NOT NULL, expires TEXT NOT NULL)"
    )
    expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    old.execute("INSERT INTO sessions VALUES (?, 'ann', 'tok', ?)", (_digest("old-sid"), expires))
    old.close()

    store = SessionStore(database, hours=1)
    assert store.get("old-sid") == Session("ann", "tok")  # still signed in after the upgrade
    assert not legacy.exists() and legacy.with_name(LEGACY_FILE + ".migrated").is_file()
    SessionStore(database, hours=1)  # a second open has nothing to import
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM web_sessions")).scalar() == 1
