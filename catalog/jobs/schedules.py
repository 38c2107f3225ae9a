"""Per-source harvest schedules (table ``source_schedules``): "harvest NAME every 1d".

``datalab source add … --every 1d`` and ``datalab source schedule NAME --every 6h|off``
set them; workers turn due schedules into queued harvests (:meth:`Schedules.enqueue_due`).
Claiming a due schedule and moving its ``next_run`` on happen in one transaction (rows
locked with ``SKIP LOCKED`` on PostgreSQL, the write lock on SQLite), so however many
workers tick at once, each period's run is queued once. A harvest already queued or running
for the source is not queued again (the queue's ``harvest:<source>`` dedupe key).
"""

from __future__ import annotations

import builtins
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from catalog.db import Database
from catalog.db.schema import source_schedules
from catalog.errors import InvalidInput
from catalog.jobs.queue import Clock, JobQueue, utc_now

#: The shortest period a schedule may have, in seconds.
MIN_EVERY_S = 300
UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+)\s*([mhdw])")
HARVEST = "harvest"


def harvest_key(source: str) -> str:
    """The dedupe key of a source's harvests: one queued or running at a time."""
    return f"{HARVEST}:{source}"


def parse_every(text: str) -> int | None:
    """Seconds of a period such as ``30m``, ``6h``, ``1d``, ``1w`` (or ``1d12h``); None for
    ``off``. Raises :class:`InvalidInput` for anything else or for under 5 minutes."""
    value = text.strip().lower()
    if value == "off":
        return None
    parts = _DURATION.findall(value)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != re.sub(r"\s+", "", value):
        raise InvalidInput(
            f"--every {text!r} is not a period: give a number and a unit, m (minutes), "
            "h (hours), d (days) or w (weeks), as in 30m, 6h, 1d, 1w; or off",
            where="--every",
        )
    seconds = sum(int(n) * UNITS[u] for n, u in parts)
    if seconds < MIN_EVERY_S:
        raise InvalidInput(
            f"--every {text!r} is too often: a source is harvested at most every 5 minutes (5m)",
            where="--every",
        )
    return seconds


def describe(seconds: int) -> str:
    """``86400`` → ``1d``; the largest unit that divides the period, as the CLI shows it."""
    for unit, size in sorted(UNITS.items(), key=lambda kv: -kv[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class Schedule:
    """A source harvested every ``every_s`` seconds; the next run is due at ``next_run``."""

    source: str
    every_s: int
    next_run: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "every": describe(self.every_s),
            "every_s": self.every_s,
            "next_run": self.next_run.isoformat(timespec="seconds"),
        }


def _schedule(row: sa.Row[Any]) -> Schedule:
    m = row._mapping
    when = m["next_run"]
    return Schedule(
        m["source"], int(m["every_s"]), when if when.tzinfo else when.replace(tzinfo=UTC)
    )


class Schedules:
    """The schedules in ``database``; ``clock`` is for tests."""

    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock

    def set(self, source: str, every_s: int) -> Schedule:
        """Harvest ``source`` every ``every_s`` seconds, the first run due now."""
        if every_s < MIN_EVERY_S:
            raise InvalidInput("a source is harvested at most every 5 minutes", where="--every")
        now = self.clock()
        with self.database.transaction() as conn:
            conn.execute(source_schedules.delete().where(source_schedules.c.source == source))
            conn.execute(
                source_schedules.insert().values(source=source, every_s=every_s, next_run=now)
            )
        return Schedule(source, every_s, now)

    def clear(self, source: str) -> bool:
        """Stop harvesting ``source`` on a schedule; False when it had none."""
        with self.database.transaction() as conn:
            done = conn.execute(
                source_schedules.delete().where(source_schedules.c.source == source)
            )
        return done.rowcount > 0

    def get(self, source: str) -> Schedule | None:
        with self.database.read() as conn:
            row = conn.execute(
                sa.select(source_schedules).where(source_schedules.c.source == source)
            ).first()
        return None if row is None else _schedule(row)

    def list(self) -> list[Schedule]:
        with self.database.read() as conn:
            rows = conn.execute(sa.select(source_schedules).order_by(source_schedules.c.source))
            return [_schedule(r) for r in rows]

    def enqueue_due(self, queue: JobQueue, *, max_attempts: int = 3) -> builtins.list[str]:
        """Queue a harvest of every source whose run is due and move its next run on by
        whole periods past now (a worker down for days queues one run, not a backlog), in
        one transaction; returns the sources whose harvest was queued."""
        queued: builtins.list[str] = []
        with self.database.transaction() as conn:
            now = self.clock()
            rows = conn.execute(
                sa.select(source_schedules)
                .where(source_schedules.c.next_run <= now)
                .order_by(source_schedules.c.next_run)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                due = _schedule(row)
                periods = math.floor((now - due.next_run).total_seconds() / due.every_s) + 1
                conn.execute(
                    source_schedules.update()
                    .where(source_schedules.c.source == due.source)
                    .values(next_run=due.next_run + timedelta(seconds=periods * due.every_s))
                )
                _job, created = queue.enqueue(
                    HARVEST,
                    {"source": due.source, "full": False, "scheduled": True},
                    max_attempts=max_attempts,
                    dedupe_key=harvest_key(due.source),
                    conn=conn,
                )
                if created:
                    queued.append(due.source)
        return queued
