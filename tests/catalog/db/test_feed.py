"""The change feed itself, on both dialects: appends, whole publishes per page, commit order."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from catalog.db import Database, upgrade
from catalog.db.feed import ChangeFeed, FeedRow
from catalog.errors import InvalidInput
from catalog.settings import get_settings


@pytest.fixture
def feed(database: Database) -> ChangeFeed:
    return ChangeFeed(database)


def _short(rows: list[FeedRow]) -> list[tuple[str, str, str | None, str]]:
    return [(r.source, r.dataset_id, r.version, r.kind) for r in rows]


def test_appends_are_read_back_in_order_from_a_position(feed: ChangeFeed) -> None:
    assert feed.head() == 0
    assert feed.changes_since(0) == ([], 0)
    assert feed.append("a", "urn:g:a1", upserts=["d2", "d1"], deletes=["d3"]) == 3
    assert feed.append("b", "urn:g:b1", upserts=["e1"]) == 1
    assert feed.append("b", "urn:g:b2") == 0  # nothing changed: nothing appended
    rows, position = feed.changes_since(0)
    assert _short(rows) == [
        ("a", "d1", "urn:g:a1", "upsert"),
        ("a", "d2", "urn:g:a1", "upsert"),
        ("a", "d3", "urn:g:a1", "delete"),
        ("b", "e1", "urn:g:b1", "upsert"),
    ]
    assert position == feed.head() == rows[-1].seq
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)
    assert all(r.at.tzinfo is not None for r in rows)
    later, same = feed.changes_since(rows[1].seq)
    assert _short(later) == _short(rows[2:]) and same == position
    assert feed.changes_since(position) == ([], position)


def test_a_page_never_ends_inside_a_publish(feed: ChangeFeed) -> None:
    feed.append("a", "urn:g:a1", upserts=[f"d{i:02}" for i in range(5)])
    feed.append("a", "urn:g:a2", upserts=["x"])
    page, position = feed.changes_since(0, limit=2)
    assert [r.dataset_id for r in page] == [f"d{i:02}" for i in range(5)]  # the whole publish
    rest, end = feed.changes_since(position, limit=2)
    assert [r.dataset_id for r in rest] == ["x"] and end == feed.head()
    with pytest.raises(InvalidInput, match="limit"):
        feed.changes_since(0, limit=0)


def test_a_publish_cannot_upsert_and_delete_one_dataset(feed: ChangeFeed) -> None:
    with pytest.raises(InvalidInput, match="d1"):
        feed.append("a", "urn:g", upserts=["d1"], deletes=["d1"])
    assert feed.head() == 0


def test_a_whole_source_publish_deletes_what_the_feed_holds_and_the_source_lost(
    feed: ChangeFeed,
) -> None:
    feed.append("a", "urn:g:1", upserts=["d1", "d2", "d3"])
    feed.append("a", "urn:g:2", deletes=["d3"])
    feed.append("b", "urn:g:b", upserts=["e1"])  # another source's datasets are not touched
    start = feed.head()
    assert feed.append_whole("a", "urn:g:3", ["d2", "d4"]) == 3
    rows, _ = feed.changes_since(start)
    assert _short(rows) == [
        ("a", "d2", "urn:g:3", "upsert"),
        ("a", "d4", "urn:g:3", "upsert"),
        ("a", "d1", "urn:g:3", "delete"),
    ]
    assert feed.append_whole("c", None, []) == 0


def test_on_postgresql_seq_order_is_commit_order(pg_url: str) -> None:
    """A publish whose commit is slow takes its numbers first: without the advisory lock a
    second publish would take higher numbers and commit first, and a reader polling in
    between would move past the first one's rows and never see them."""
    with Database.postgresql(pg_url) as fresh:
        upgrade(fresh)
    database = Database.open(get_settings(database_url=pg_url))
    feed = ChangeFeed(database)
    real = database.transaction
    inside = threading.Event()

    @contextmanager
    def slow_commit() -> Iterator[sa.Connection]:
        with real() as conn:
            yield conn
            if threading.current_thread().name == "slow":
                inside.set()  # rows inserted, not committed
                time.sleep(0.6)

    database.transaction = slow_commit  # type: ignore[method-assign]
    seen: list[FeedRow] = []
    stop = threading.Event()

    def poll() -> None:
        position = 0
        while not stop.is_set():
            rows, position = feed.changes_since(position)
            seen.extend(rows)
            time.sleep(0.005)
        seen.extend(feed.changes_since(position)[0])

    def slow() -> None:
        feed.append("slow", "urn:g:s", upserts=[f"s{i}" for i in range(50)])

    def fast() -> None:
        inside.wait(10)
        feed.append("fast", "urn:g:f", upserts=[f"f{i}" for i in range(50)])

    reader = threading.Thread(target=poll)
    writers = [threading.Thread(target=slow, name="slow"), threading.Thread(target=fast)]
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join(30)
    stop.set()
    reader.join(30)
    try:
        final, _ = feed.changes_since(0, limit=1000)
        assert len(final) == 100
        assert [r.source for r in final] == ["slow"] * 50 + ["fast"] * 50
        assert [r.seq for r in seen] == [r.seq for r in final]  # nothing skipped
    finally:
        database.close()


def test_a_sources_newest_row_is_found_through_its_index(
    feed: ChangeFeed, database: Database
) -> None:
    """``last_of`` (the caches' key) answers from the (source, seq) index, not by walking
    the feed back from its newest row to the source's."""
    feed.append("old", "urn:g:o1", upserts=["x1", "x2"])
    newest_old = feed.head()
    feed.append("busy", "urn:g:b1", upserts=[f"y{i}" for i in range(200)])
    assert feed.last_of("old") == newest_old
    assert feed.last_of("busy") == feed.head()
    assert feed.last_of("never") == 0
    if database.dialect == "sqlite":
        with database.read() as conn:
            plan = conn.execute(
                sa.text(
                    "EXPLAIN QUERY PLAN SELECT seq FROM change_feed WHERE source = 'old' "
                    "ORDER BY seq DESC LIMIT 1"
                )
            ).fetchall()
        assert "ix_change_feed_source_seq" in " ".join(str(row[-1]) for row in plan)
