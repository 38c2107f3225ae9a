"""``datalab worker``: run queued harvests and validation, and queue scheduled harvests.

A worker claims jobs from the operational database's queue (see :mod:`catalog.jobs`) until
it is stopped: a first SIGTERM or SIGINT lets it finish the job in hand and exit, a second
hands that job back to the queue at once. ``--once`` runs whatever is due, then exits (for
tests and cron).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated

import typer

from catalog.db import Database
from catalog.jobs.worker import Worker, WorkerInterrupted, default_worker_id
from cli.app import app, configure_logging, emit_json, reported, settings_from_cli


@app.command("worker")
def worker_cmd(
    once: Annotated[
        bool, typer.Option("--once", help="Run the jobs that are due, then exit.")
    ] = False,
    worker_id: Annotated[
        str | None, typer.Option("--id", help="This worker's id (default: host:pid).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was run as JSON.")] = False,
) -> None:
    """Run queued harvests and validation (DATALAB_WORKERS=queue) until stopped."""
    with reported(as_json):
        settings = settings_from_cli()
        configure_logging(settings.log_level)
        with Database.open(settings) as database:
            worker = Worker(settings, database, worker_id=worker_id or default_worker_id())
            with _stopping(worker):
                try:
                    turns = worker.run(once=once)
                except WorkerInterrupted:
                    typer.echo(f"worker {worker.id} stopped; its job went back to the queue")
                    return
            jobs = {t.job.id: worker.queue.get(t.job.id) for t in turns if t.job is not None}
        if as_json:
            emit_json(
                [
                    {
                        "scheduled": t.scheduled,
                        "job": None if t.job is None else jobs[t.job.id].to_dict(),
                        "outcome": t.outcome,
                    }
                    for t in turns
                ]
            )
            return
        for t in turns:
            for source in t.scheduled:
                typer.echo(f"queued the scheduled harvest of {source}")
            if t.job is not None:
                typer.echo(f"job {t.job.id} ({t.job.kind} {t.job.payload}): {t.outcome}")


@contextmanager
def _stopping(worker: Worker) -> Iterator[None]:
    """SIGTERM/SIGINT: finish the job in hand and stop; a second one: abandon it now."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if worker.stop.is_set():
            raise WorkerInterrupted(signal.Signals(signum).name)
        worker.stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
