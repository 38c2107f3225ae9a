"""Per-source schedules: --every parsing and refusal, the CLI, and one run per period even
with two workers ticking at once (both dialects)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.db import Database
from catalog.errors import InvalidInput
from catalog.jobs import JobQueue, Schedules, parse_every
from catalog.settings import Settings
from cli.app import app
from tests.catalog.jobs.test_queue import Clock


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("6h", 21600), ("1d", 86400), ("1w", 604800), ("5m", 300), ("1d12h", 129600)],
)
def test_every_parses_periods(text: str, seconds: int) -> None:
    assert parse_every(text) == seconds
    assert parse_every("off") is None


@pytest.mark.parametrize("text", ["1m", "4m", "0h", "4M"])
def test_every_refuses_under_five_minutes(text: str) -> None:
    with pytest.raises(InvalidInput, match="at most every 5 minutes") as refused:
        parse_every(text)
    assert refused.value.where == "--every"


@pytest.mark.parametrize("text", ["", "daily", "1", "1x", "-1d", "1.5h", "h6", "299s"])
def test_every_refuses_what_is_not_a_period(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a period"):
        parse_every(text)


def test_schedules_fire_once_per_period_with_two_workers(database: Database) -> None:
    clock = Clock()
    schedules = Schedules(database, clock=clock)
    schedules.set("demo", 3600)
    schedules.set("other", 86400)
    url = database.engine.url.render_as_string(hide_password=False)

    def tick_together() -> list[str]:
        """Two workers (own engines, own connections) tick five times each, at once, and run
        (complete) every harvest they queue at once, so that the queue's dedupe never hides
        a second run of one period: only the schedule's claim does."""
        barrier = threading.Barrier(2)
        queued: list[str] = []
        errors: list[BaseException] = []

        def worker(name: str) -> None:
            own = (
                Database.sqlite(Path(database.engine.url.database or ""))
                if database.dialect == "sqlite"
                else Database.postgresql(url)
            )
            queue = JobQueue(own, clock=clock)
            try:
                barrier.wait()
                for _ in range(5):
                    queued.extend(Schedules(own, clock=clock).enqueue_due(queue))
                    while (job := queue.claim(name, ["harvest"], 60)) is not None:
                        queue.complete(job.id, name)
            except BaseException as exc:
                errors.append(exc)
            finally:
                own.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        return sorted(queued)

    def harvests() -> list[str]:
        return sorted(j.payload["source"] for j in JobQueue(database).list(limit=1000))

    assert tick_together() == ["demo", "other"]  # both due at once, each queued once
    jobs = JobQueue(database).list()
    assert all(
        j.kind == "harvest" and j.dedupe_key == f"harvest:{j.payload['source']}" for j in jobs
    )
    after = schedules.get("demo")
    assert after is not None and after.next_run == clock.now + timedelta(hours=1)

    clock.advance(1800)
    assert tick_together() == []  # not due yet
    clock.advance(1800)
    assert tick_together() == ["demo"]  # the next period of the hourly one only
    assert harvests() == ["demo", "demo", "other"]
    clock.advance(3 * 3600 + 60)  # the workers were down for three hours
    assert tick_together() == ["demo"]  # one run, not a backlog of three
    assert harvests() == ["demo", "demo", "demo", "other"]
    after = schedules.get("demo")
    assert after is not None
    assert after.next_run == clock.now - timedelta(seconds=60) + timedelta(hours=1)


def test_a_due_schedule_does_not_queue_a_second_harvest_of_a_busy_source(
    database: Database,
) -> None:
    clock = Clock()
    queue = JobQueue(database, clock=clock)
    schedules = Schedules(database, clock=clock)
    queue.enqueue("harvest", {"source": "demo"}, dedupe_key="harvest:demo")  # by the API
    schedules.set("demo", 3600)
    assert schedules.enqueue_due(queue) == []
    assert len(queue.list()) == 1
    after = schedules.get("demo")
    assert after is not None and after.next_run > clock.now  # this period is spent


def test_cli_source_add_every_and_schedule(tmp_path: Path, corpus: Path) -> None:
    env = {"DATALAB_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    url = "https://portal.example.org"

    refused = runner.invoke(app, ["source", "add", "x", "--type", "ckan", "--url", url,
                                  "--every", "1m"], env=env)  # fmt: skip
    assert refused.exit_code == 2 and "at most every 5 minutes" in refused.output
    listed = runner.invoke(app, ["source", "list"], env=env)
    assert "x" not in listed.output  # refused before anything was added

    added = runner.invoke(app, ["source", "add", "demo", "--type", "ckan", "--url", url,
                                "--every", "1d"], env=env)  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "harvested every 1d" in added.output
    shown = runner.invoke(app, ["source", "schedule", "demo"], env=env)
    assert shown.exit_code == 0 and "demo: every 1d, next run" in shown.output

    changed = runner.invoke(app, ["source", "schedule", "demo", "--every", "6h"], env=env)
    assert changed.exit_code == 0 and "every 6h" in changed.output
    bad = runner.invoke(app, ["source", "schedule", "demo", "--every", "often"], env=env)
    assert bad.exit_code == 2 and "not a period" in bad.output
    unknown = runner.invoke(app, ["source", "schedule", "nope", "--every", "1d"], env=env)
    assert unknown.exit_code == 2 and "no harvest source named 'nope'" in unknown.output

    with Database.open(Settings(home=tmp_path / "home")) as database:
        current = Schedules(database).get("demo")
        assert current is not None and current.every_s == 6 * 3600
    off = runner.invoke(app, ["source", "schedule", "demo", "--every", "off"], env=env)
    assert off.exit_code == 0 and "no longer harvested on a schedule" in off.output
    with Database.open(Settings(home=tmp_path / "home")) as database:
        assert Schedules(database).get("demo") is None
