"""Messages owed to consumers' callbacks: kept in the operational database, delivered on a
thread of the server, in order, with retries.

A negotiation or transfer that must tell its consumer something (an agreement, the
finalisation, a transfer's start, a termination) puts a *letter* in ``dsp_outbox`` in the
same transaction as its own change (:meth:`Outbox.put`). The :class:`Courier` delivers the
letters that are due: one process's letters in the order they were written (a later one
waits while an earlier one is pending), each POSTed through the shared fetcher (bounded,
SSRF-checked: ``catalog.outbound.post``). A letter is claimed first (a lease in the row), so
of several servers only one delivers it. A 2xx answer is the consumer's ACK: the letter is
sent and its process takes the state the letter announced (``on_ack``). Anything else is
tried again after a back-off (2, 4, 8 … s, at most 5 minutes) up to
``dsp_callback_attempts`` times; then the letter has failed and its process is terminated
(the two parties' states would differ, and the spec terminates such a negotiation).

The courier also runs the owner's ``sync`` on every round: the negotiations follow access
requests decided where no listener saw it (the command line, another server). It wakes when
asked (:meth:`Courier.request`: a listener saw a decision) and every
``dsp_courier_interval_s`` otherwise.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from catalog.db import Database
from catalog.db.schema import dsp_outbox as outbox
from catalog.errors import DatalabError
from catalog.outbound.post import post_json
from catalog.settings import Settings

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
#: How long a claimed letter is left to its deliverer before another may try it.
LEASE_S = 120.0
_MAX_BACKOFF_S = 300.0


@dataclass(frozen=True)
class Letter:
    """One message owed to a consumer (a row of ``dsp_outbox``)."""

    seq: int
    process: str
    kind: str
    url: str
    message: dict[str, Any]
    on_ack: str | None
    attempts: int


class Outbox:
    """The ``dsp_outbox`` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def put(
        db: sa.Connection,
        process: str,
        kind: str,
        url: str,
        message: dict[str, Any],
        on_ack: str | None = None,
    ) -> None:
        """Owe ``message`` to ``url``, in the caller's transaction."""
        row = {
            "process": process,
            "kind": kind,
            "url": url,
            "message": json.dumps(message, ensure_ascii=False),
            "on_ack": on_ack,
            "state": PENDING,
            "attempts": 0,
            "next_try": time.time(),
        }
        db.execute(outbox.insert().values(row))

    @staticmethod
    def _first_of_process() -> sa.ColumnElement[bool]:
        """A pending letter with no earlier pending letter of its process."""
        earlier = outbox.alias("earlier")
        before = (
            sa.select(sa.literal(1))
            .where(
                earlier.c.process == outbox.c.process,
                earlier.c.state == PENDING,
                earlier.c.seq < outbox.c.seq,
            )
            .exists()
        )
        return sa.and_(outbox.c.state == PENDING, ~before)

    def due(self, now: float, limit: int = 50) -> list[Letter]:
        """Pending letters whose time has come, unclaimed, first of their process."""
        query = (
            sa.select(
                outbox.c.seq,
                outbox.c.process,
                outbox.c.kind,
                outbox.c.url,
                outbox.c.message,
                outbox.c.on_ack,
                outbox.c.attempts,
            )
            .where(
                self._first_of_process(),
                outbox.c.next_try <= now,
                sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            .order_by(outbox.c.seq)
            .limit(limit)
        )
        with self.database.read() as db:
            rows = db.execute(query).all()
        return [Letter(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]

    def next_due(self) -> float | None:
        """When the next letter may be delivered (seconds since the epoch), if any: the
        first of each process, once its back-off and any claim on it have run out."""
        query = sa.select(outbox.c.next_try, outbox.c.claimed_until).where(self._first_of_process())
        with self.database.read() as db:
            rows = db.execute(query).all()
        times = [max(float(r[0]), float(r[1] or 0.0)) for r in rows]
        return min(times) if times else None

    def claim(self, letter: Letter, now: float) -> bool:
        """Take ``letter`` for delivery; False if another deliverer holds it or it is done."""
        query = (
            outbox.update()
            .where(
                outbox.c.seq == letter.seq,
                outbox.c.state == PENDING,
                sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            .values(claimed_until=now + LEASE_S)
        )
        with self.database.transaction() as db:
            return bool(db.execute(query).rowcount == 1)

    def settle(
        self, letter: Letter, state: str, error: str | None = None, next_try: float | None = None
    ) -> None:
        """Record the outcome of one delivery (``pending`` again with ``next_try``: retry)."""
        values: dict[str, Any] = {
            "state": state,
            "attempts": letter.attempts + 1,
            "claimed_until": None,
            "error": error,
        }
        if next_try is not None:
            values["next_try"] = next_try
        with self.database.transaction() as db:
            db.execute(outbox.update().where(outbox.c.seq == letter.seq).values(values))

    def letters(self, process: str) -> list[dict[str, Any]]:
        """Every letter of one process, oldest first (for status pages and tests)."""
        columns = (outbox.c.kind, outbox.c.url, outbox.c.state, outbox.c.attempts, outbox.c.error)
        query = sa.select(*columns).where(outbox.c.process == process).order_by(outbox.c.seq)
        with self.database.read() as db:
            rows = db.execute(query).all()
        return [
            dict(zip(("kind", "url", "state", "attempts", "error"), r, strict=True)) for r in rows
        ]


class Courier:
    """Delivers the outbox on a daemon thread (see the module's docstring).

    ``prepare(letter)`` gives the message to send (a transfer's start gets its token then), or
    ``None`` when the letter is no longer owed; ``acked(letter)`` applies the state the letter
    announced; ``gave_up(letter, why)`` terminates its process; ``sync()`` runs every round.
    """

    def __init__(
        self,
        settings: Settings,
        outbox: Outbox,
        *,
        prepare: Callable[[Letter], dict[str, Any] | None],
        acked: Callable[[Letter], None],
        gave_up: Callable[[Letter, str], None],
        sync: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.prepare = prepare
        self.acked = acked
        self.gave_up = gave_up
        self.sync = sync
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    # -- the thread --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the delivery thread (once)."""
        with self._guard:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="dsp-courier", daemon=True)
                self._thread.start()

    def request(self) -> None:
        """Run a round soon (a decision was made, a letter was written)."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception:  # a round that fails is logged; the next one tries again
                log.exception("a Dataspace Protocol courier round failed")
            self._wake.wait(self._sleep())

    def _sleep(self) -> float:
        interval = self.settings.dsp_courier_interval_s
        try:
            due = self.outbox.next_due()
        except DatalabError:
            return interval
        if due is None:
            return interval
        return max(0.05, min(interval, due - time.time()))

    # -- one round ---------------------------------------------------------------------------

    def run_once(self) -> int:
        """Follow decisions made elsewhere, then deliver every letter that is due (a letter
        that becomes due by this round's deliveries, the next of its process, included).
        Returns how many were delivered."""
        self.sync()
        delivered = 0
        for _round in range(100):
            letters = self.outbox.due(time.time())
            if not letters:
                break
            progressed = False
            for letter in letters:
                if self._stop.is_set():
                    return delivered
                if not self.outbox.claim(letter, time.time()):
                    continue
                progressed = True
                delivered += self._deliver(letter)
            if not progressed:
                break
        return delivered

    def _deliver(self, letter: Letter) -> int:
        try:
            message = self.prepare(letter)
        except DatalabError as exc:
            self.outbox.settle(letter, FAILED, f"could not be prepared: {exc}")
            self.gave_up(letter, str(exc))
            return 0
        if message is None:
            self.outbox.settle(letter, FAILED, "no longer owed: its process ended first")
            return 0
        try:
            post_json(self.settings, letter.url, message)
        except DatalabError as exc:
            self._failed(letter, str(exc))
            return 0
        self.outbox.settle(letter, SENT)
        self.acked(letter)
        return 1

    def _failed(self, letter: Letter, error: str) -> None:
        attempts = letter.attempts + 1
        if attempts >= self.settings.dsp_callback_attempts:
            log.warning("giving up on %s for %s: %s", letter.url, letter.process, error)
            self.outbox.settle(letter, FAILED, error)
            self.gave_up(letter, f"the consumer's callback did not answer: {error}")
            return
        wait = min(_MAX_BACKOFF_S, 2.0**attempts)
        log.info("callback %s failed (%s); again in %.0f s", letter.url, error, wait)
        self.outbox.settle(letter, PENDING, error, next_try=time.time() + wait)
