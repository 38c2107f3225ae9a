"""Harvest commands: ``datalab source add|list|show|remove|schedule``, ``datalab harvest``
and ``datalab validation`` (finish queued SHACL validation)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Annotated, Any

import typer

from catalog.db import Database
from catalog.disk import storage_errors
from catalog.errors import DatalabError, InvalidInput, StoreError
from catalog.harvest import Harvester, HarvestSources, Job, JobStore
from catalog.harvest.validate import drain
from catalog.jobs.schedules import Schedules, describe, parse_every
from catalog.service import Catalogue
from cli.app import app, emit_json, open_catalogue, reported, settings_from_cli

#: What a failure while validating leaves.
QUEUED_KEPT = "the harvests' versions are published; the validation left stays queued"

source_app = typer.Typer(help="Register and inspect harvest sources.", no_args_is_help=True)
app.add_typer(source_app, name="source")


@source_app.command("add")
def source_add(
    name: str,
    type_: Annotated[str, typer.Option("--type", help="Connector: ckan, dcat, sparql, …")],
    url: Annotated[str, typer.Option("--url", help="The source's base URL.")],
    incremental: Annotated[bool, typer.Option(help="Harvest only changes after a run.")] = False,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Connector option KEY=VALUE (e.g. rows=500)."),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="Harvest it on a schedule (30m, 6h, 1d, 1w; at least 5m) by `datalab "
            "worker`; the first run is due at once.",
        ),
    ] = None,
) -> None:
    """Register a harvest source."""
    with reported():
        options = dict(_option(o) for o in option or [])
        period = parse_every(every) if every is not None else None  # refused before adding
        settings = settings_from_cli()
        s = HarvestSources(settings).add(name, type_, url, incremental=incremental, options=options)
        typer.echo(f"added source {s.name} ({s.type}) {s.url}")
        if period is not None:
            with Database.open(settings) as database:
                Schedules(database).set(s.name, period)
            typer.echo(f"harvested every {describe(period)} by `datalab worker`")


@source_app.command("schedule")
def source_schedule(
    name: str,
    every: Annotated[
        str | None,
        typer.Option("--every", help="30m, 6h, 1d, 1w (at least 5m), or off."),
    ] = None,
) -> None:
    """Show, set or stop (--every off) a source's harvest schedule, run by `datalab worker`."""
    with reported():
        settings = settings_from_cli()
        HarvestSources(settings).get(name)  # an unknown source is refused
        with Database.open(settings) as database:
            schedules = Schedules(database)
            if every is None:
                current = schedules.get(name)
                typer.echo(
                    f"{name}: not scheduled"
                    if current is None
                    else f"{name}: every {describe(current.every_s)}, next run "
                    f"{current.next_run.isoformat(timespec='seconds')}"
                )
                return
            period = parse_every(every)
            if period is None:
                schedules.clear(name)
                typer.echo(f"{name}: no longer harvested on a schedule")
                return
            schedules.set(name, period)
        typer.echo(f"{name}: harvested every {describe(period)} by `datalab worker`")


def _option(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInput(f"option {text!r} is not KEY=VALUE", where="--option")
    return key.strip(), int(value) if value.strip().isdigit() else value


@source_app.command("list")
def source_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List harvest sources."""
    with reported(as_json):
        sources = HarvestSources(settings_from_cli()).list()
        if as_json:
            emit_json([s.to_dict() for s in sources])
        for s in [] if as_json else sources:
            typer.echo(f"{s.name}\t{s.type}\t{s.url}")


@source_app.command("show")
def source_show(name: str) -> None:
    """Show a source and its latest jobs (a job whose process died is settled against the
    store, when no other process holds the catalogue)."""
    with reported(True):
        settings = settings_from_cli()
        source = HarvestSources(settings).get(name)
        try:
            with open_catalogue(settings) as cat:
                jobs = JobStore(settings, cat).list(name, limit=10)
        except StoreError:  # the catalogue is open elsewhere (a server): read the files
            jobs = JobStore(settings).list(name, limit=10)
        emit_json({"source": source.to_dict(), "jobs": [j.to_dict() for j in jobs]})


@source_app.command("remove")
def source_remove(name: str) -> None:
    """Unregister a source and remove its datasets from the catalogue."""
    with reported():
        settings = settings_from_cli()
        HarvestSources(settings).remove(name)
        with Database.open(settings) as database:
            Schedules(database).clear(name)
        with open_catalogue(settings) as cat:
            cat.remove_source(name)
        typer.echo(f"removed source {name}")


@app.command()
def harvest(
    name: Annotated[str | None, typer.Argument(help="Source to harvest.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Harvest every source.")] = False,
    full: Annotated[bool, typer.Option(help="Ignore the incremental cursor.")] = False,
    wait: Annotated[
        bool,
        typer.Option(
            help="Wait for the SHACL validation of new and changed records. With --no-wait "
            "it stays queued in the catalogue home, for the server (datalab serve) or "
            "`datalab validation` to finish."
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Harvest one source (or --all); exit 1 unless every run succeeded."""
    with reported(as_json):
        if bool(name) == all_:
            raise InvalidInput("give a source name or --all, not both")
        jobs: list[Job] = []
        try:
            queued = _harvest(name, all_, full, wait, as_json, jobs)
        except DatalabError:
            if not jobs:
                raise
            _report(jobs, as_json)  # what each run did, then the error that came after
            raise
        _report(jobs, as_json)
        if queued and not wait and not as_json:
            typer.echo(
                f"validation of {queued} record(s) stays queued in the catalogue home: the "
                "server (datalab serve) or `datalab validation` finishes it"
            )
        if any(j.status != "succeeded" for j in jobs):
            raise typer.Exit(code=1)


def _harvest(
    name: str | None, all_: bool, full: bool, wait: bool, as_json: bool, jobs: list[Job]
) -> int:
    """Run the harvests (appending each finished job to ``jobs``), then validate what is
    queued when asked to wait; returns how many records were queued after the runs."""
    with _opened() as cat:
        harvester = Harvester(cat, drain=False)
        listed: dict[str, int] = {}
        announced: dict[str, int] = {}

        def progress(job, page) -> None:  # type: ignore[no-untyped-def]
            listed[job.id] = listed.get(job.id, 0) + len(page.records) + len(page.failures)
            if page.total is not None:
                announced.setdefault(job.id, page.total)
            if not as_json:
                of = f" of {announced[job.id]}" if job.id in announced else ""
                line = f"\r{job.source}: page {page.number}, {listed[job.id]}{of} records"
                typer.echo(line, err=True, nl=False)

        sources = [s.name for s in harvester.sources.list()] if all_ else [name]
        for n in sources:
            jobs.append(harvester.run(n, full=full, progress=progress))  # type: ignore[arg-type]
            if not as_json:
                typer.echo("", err=True)
        with storage_errors(kept=QUEUED_KEPT):
            queued = harvester.jobs.queue.waiting()
            if queued and wait:
                _drain(cat, harvester.database, queued, quiet=as_json)
        jobs[:] = [harvester.jobs.get(j.source, j.id) for j in jobs]
    return queued


@contextmanager
def _opened() -> Iterator[Catalogue]:
    """The catalogue, closed at the end; when the block failed, a failure to close (the
    same full disk, typically) does not hide the block's error, which says more."""
    cat = Catalogue.open(settings_from_cli())
    try:
        yield cat
    except BaseException:
        with suppress(DatalabError):
            cat.close()
        raise
    cat.close()


def _report(jobs: list[Job], as_json: bool) -> None:
    if as_json:
        emit_json([j.to_dict() for j in jobs])
        return
    for j in jobs:
        typer.echo(f"{j.source}: {j.status} {j.counts}" + (f" — {j.message}" if j.message else ""))
        for e in j.errors[:20]:
            typer.echo(f"  {e['record']}: {e['message']}")
        _say_validation(j)


def _drain(cat: Catalogue, database: Database, queued: int, *, quiet: bool) -> int:
    """Validate what the queue holds (this run's records and any left by earlier ones)."""
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if not quiet:
            typer.echo(f"\rvalidation: {done} of {queued} records", err=True, nl=False)

    handled = drain(cat, on_batch=tick, database=database)
    if not quiet and handled:
        typer.echo("", err=True)
    return handled


def _say_validation(job: Job) -> None:
    v = job.validation
    if not job.validate or not (v.get("done") or v.get("waiting") or v.get("skipped")):
        return
    parts = [f"{v.get('done', 0)} validated", f"{v.get('nonconforming', 0)} with violations"]
    for key in ("unfinished", "skipped", "waiting"):
        if v.get(key):
            parts.append(f"{v[key]} {key}")
    typer.echo(f"  validation: {', '.join(parts)}")


@app.command("validation")
def validation_cmd(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Finish the SHACL validation of harvested records left queued (by a run told not to
    wait, or by one that was killed), and settle jobs whose process died."""
    with reported(as_json), open_catalogue() as cat, storage_errors(kept=QUEUED_KEPT):
        with Database.open(cat.settings) as database:
            jobs = JobStore(cat.settings, cat, database=database)
            settled = jobs.reconcile()
            queued = jobs.queue.waiting()
            handled = _drain(cat, database, queued, quiet=as_json) if queued else 0
            left = jobs.queue.waiting()
        if as_json:
            emit_json(
                {"validated": handled, "waiting": left, "settled": [j.to_dict() for j in settled]}
            )
            return
        for job in settled:
            typer.echo(f"settled job {job.id} of {job.source}: {job.status} — {job.message}")
        typer.echo(f"validation: {handled} record(s) handled, {left} still queued")
