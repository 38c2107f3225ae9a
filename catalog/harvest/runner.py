"""One harvest run: stream a connector's listing into an unpublished graph, then publish.

How a run ends (see ``docs/harvesting.md``, "Job statuses"):

* **failed**: the listing broke (fetch error, HTML page, loop, paging that never ends,
  malformed API answer, a full disk) or the run was killed before publishing. Nothing is
  published; the previous version stays served, whole.
* **partial**: the listing completed but some records failed to map, or it was visibly
  incomplete (fewer records than announced, the count changed while paging, or no
  records at all where there were some). The listed records are published; every
  previous record not listed is carried over unchanged, so nothing is deleted.
* **succeeded**: the listing completed and every record mapped; records no longer listed
  are deleted (full runs only; incremental runs upsert and never delete).

The new graph is written while the listing streams (memory stays flat in the number of
pages) and published with one atomic pointer flip by :meth:`catalog.service.Catalogue.store_quads`.
When the listing has been read, just before that flip, the job file records the tentative
outcome and the new and changed records are queued for validation; the version's last
statement is the run's marker, so the store itself says which job's version it serves
(:mod:`catalog.harvest.jobs`). A run killed at any point thus leaves a job that can be told
truthfully, and its validation queued.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pyoxigraph as ox

from catalog import records
from catalog.db import Database
from catalog.disk import NOTHING_PUBLISHED, is_storage_failure, storage_failure
from catalog.errors import DatabaseUnavailable, DatalabError
from catalog.harvest import overrides as steward
from catalog.harvest.contract import Capability, Page, SourceRecord
from catalog.harvest.jobs import FAILED, PARTIAL, SUCCEEDED, Job, JobStore, now, run_marker
from catalog.harvest.paging import guarded
from catalog.harvest.plugins import plugins
from catalog.harvest.prefetch import prefetched
from catalog.harvest.sources import HarvestSource, HarvestSources
from catalog.harvest.validate import drain_in_background
from catalog.ids import dataset_id
from catalog.namespaces import DLAB
from catalog.rdf_terms import quoted
from catalog.service import Catalogue, Unchanged
from catalog.skolem import GENID

log = logging.getLogger(__name__)

P_SOURCE = ox.NamedNode(str(DLAB.harvestSource))
P_RECORD = ox.NamedNode(str(DLAB.sourceRecordId))
P_PAGE = ox.NamedNode(str(DLAB.harvestPage))
P_AT = ox.NamedNode(str(DLAB.harvestedAt))
P_HASH = ox.NamedNode(str(DLAB.recordHash))
P_JOB = ox.NamedNode(str(DLAB.harvestJob))
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
_P_SOURCE, _P_RECORD, _P_PAGE, _P_AT, _P_HASH, _P_JOB = (
    str(p) for p in (P_SOURCE, P_RECORD, P_PAGE, P_AT, P_HASH, P_JOB)
)

Progress = Callable[[Job, Page], None]


class _Statement(NamedTuple):
    """A statement on its way to :meth:`Catalogue.store_quads`, which reads only the
    ``subject``, ``predicate`` and ``object`` of what it is given (its skolemiser builds
    the stored quad). Building an ``ox.Quad`` or ``ox.Triple`` whose object is a literal
    costs pyoxigraph some 2-3 µs; this costs a tenth of that."""

    subject: Any
    predicate: ox.NamedNode
    object: Any


class _Record(NamedTuple):
    """One record's statements (its triples, then its provenance) as N-Triples text,
    written once: the record hash reads the lines too, and a bulk-loading store takes the
    text as it is instead of one Python object per statement. The statements as objects
    are made only for a store that reads them one by one (:meth:`statements`): a connector
    that writes lines (:attr:`SourceRecord.lines`) then has its triples parsed back."""

    record: SourceRecord
    edited: list[ox.Triple] | None  # the triples with a steward's edits, if any
    provenance: tuple[ox.Literal, ...]  # the page's: source, page, when, job
    digest: str
    ntriples: str
    size: int  # statements (lines of ``ntriples``)

    def statements(self) -> Iterator[_Statement | ox.Triple]:
        yield from self.record.triples if self.edited is None else self.edited
        node = self.record.iri
        name, page, when, job = self.provenance
        yield _Statement(node, P_SOURCE, name)
        yield _Statement(node, P_RECORD, ox.Literal(self.record.record_id))
        yield _Statement(node, P_PAGE, page)
        yield _Statement(node, P_AT, when)
        yield _Statement(node, P_HASH, ox.Literal(self.digest))
        yield _Statement(node, P_JOB, job)


class AsNTriples:
    """A harvest's statements, read either as statements or, by a store that bulk-loads
    (:class:`catalog.store.base.NTriplesSource`), as canonical N-Triples chunks.

    Building one ``ox.Quad`` per statement, skolemising it in Python and handing the quads
    to ``bulk_extend`` cost most of a harvest's time (its store writes ran at a third of a
    raw load of the same quads). Here each statement becomes one N-Triples line
    (pyoxigraph writes each term in its canonical form; a record's lines come written, see
    :class:`_Record`), and the store's N-Triples path skolemises whole chunks with regular
    expressions and bulk-loads them on a loader thread, as a loaded document's chunks are."""

    def __init__(self, statements: Iterator[_Record | _Statement | ox.Triple]) -> None:
        self.statements = statements

    def __iter__(self) -> Iterator[_Statement | ox.Triple]:
        record = _Record
        for st in self.statements:
            if type(st) is record:
                yield from st.statements()
            else:
                yield st  # type: ignore[misc]  # not a _Record

    def ntriples_chunks(self, chunk_triples: int) -> Iterator[bytes]:
        """Whole records per chunk: a chunk holds ``chunk_triples`` lines or a little more."""
        parts: list[str] = []
        count = 0
        triple, record = ox.Triple, _Record
        for st in self.statements:
            kind = type(st)
            if kind is record:
                parts.append(st.ntriples)  # type: ignore[union-attr]
                count += st.size  # type: ignore[union-attr]
            elif kind is triple:  # pyoxigraph writes the whole line: a third of the cost
                parts.append(f"{st} .\n")
                count += 1
            else:
                parts.append(f"{st.subject} {st.predicate} {st.object} .\n")  # type: ignore[union-attr]
                count += 1
            if count >= chunk_triples:
                yield "".join(parts).encode("utf-8")
                parts, count = [], 0
        if parts:
            yield "".join(parts).encode("utf-8")


def record_hash(triples: list[ox.Triple]) -> str:
    """A digest of a record's content that ignores blank node labels.

    Each statement is written in N-Triples (``str`` of an ``ox.Triple``); a statement whose
    subject or object is a blank node has the node's label replaced by ``_:b``.
    """
    return hashed_lines([str(t) for t in triples])


def hashed_lines(lines: list[str]) -> str:
    """:func:`record_hash` of the triples whose ``str`` are ``lines``, read from the lines:
    a subject is never a triple term and neither it nor a predicate holds a space, so a
    line splits into subject, predicate and object at its first two spaces, and a term is
    a blank node when it starts with ``_:`` (a triple term starts with ``<<``)."""
    keys = lines
    for i, line in enumerate(lines):
        if "_:" in line:
            s, p, o = line.split(" ", 2)
            if s[:2] == "_:" or o[:2] == "_:":
                if keys is lines:
                    keys = list(lines)
                keys[i] = f"{'_:b' if s[:2] == '_:' else s} {p} {'_:b' if o[:2] == '_:' else o}"
    return hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()[:32]


@dataclass
class _Prev:
    iri: str
    hash: str


@dataclass
class _RunState:
    prev: dict[str, _Prev]
    seen: dict[str, str] = field(default_factory=dict)  # record id → iri (NamedNode) or ""
    kind: dict[str, str] = field(default_factory=dict)  # record id → new/updated/unchanged
    failed: set[str] = field(default_factory=set)
    totals: list[int] = field(default_factory=list)
    newest: str | None = None  # newest valid ``modified`` listed (the next cursor)
    carried: set[str] = field(default_factory=set)
    incomplete: str | None = None
    unchanged: set[str] = field(default_factory=set)  # dataset ids, once the listing is read


class Harvester:
    """Runs harvests of registered sources into one catalogue.

    ``fetcher`` is shared by the connectors (a :class:`catalog.outbound.fetcher.Fetcher`
    by default);
    ``validate`` queues new and changed records for SHACL validation, and ``drain`` starts
    validating them on a background thread once the run has ended (the CLI drains the
    queue itself, or leaves it to the server).

    Sources, jobs and the validation queue are kept in ``database``, the catalogue's own
    unless another is given.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        fetcher: Any | None = None,
        validate: bool = True,
        drain: bool = True,
        database: Database | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.settings = catalogue.settings
        self.database = database or catalogue.database
        self.sources = HarvestSources(self.database)
        self.jobs = JobStore(self.settings, catalogue, database=self.database)
        self._fetcher = fetcher
        self.validate = validate
        self.drain = drain
        self.validators: list[threading.Thread] = []

    def run(
        self,
        name: str,
        *,
        full: bool = False,
        progress: Progress | None = None,
        on_start: Callable[[Job], None] | None = None,
    ) -> Job:
        """Harvest source ``name`` once; returns the finished job (raises Conflict if busy).

        ``on_start`` is called with the job as soon as it exists (status "running").
        """
        source = self.sources.get(name)
        cls = plugins.get(source.type)
        with self.jobs.lock(name):
            incremental = bool(
                source.incremental
                and source.cursor
                and not full
                and Capability.INCREMENTAL in cls.capabilities
            )
            try:
                job = self.jobs.new(name, incremental=incremental, validate=self.validate)
            except (OSError, DatabaseUnavailable) as exc:
                kept = "the run did not start; " + NOTHING_PUBLISHED
                raise storage_failure(exc, kept=kept, where=name) from exc
            if on_start is not None:
                on_start(job)
            started = datetime.now(UTC)
            owned = self._fetcher is None
            if self._fetcher is None:
                from catalog.outbound.fetcher import Fetcher

                fetcher = Fetcher(self.settings)
            else:
                fetcher = self._fetcher
            try:
                connector = cls(source.url, self.settings, fetcher, source.options)
                self._run(source, connector, job, incremental, started, progress)
            except Exception as exc:
                _failed(job, exc)
                if not job.published:
                    self.jobs.queue.forget(job.id)
            finally:
                if owned:
                    fetcher.close()
                job.finished = now()
                try:
                    self.jobs.save(job)
                except (OSError, DatabaseUnavailable) as exc:
                    kept = f"{_kept(job)}; the job's file says how far the run got"
                    raise storage_failure(exc, kept=kept, where=name) from exc
        if self.validate and self.drain and job.published:
            self.validators.append(
                drain_in_background(self.catalogue, job.id, database=self.database)
            )
        return job

    # -- the run -----------------------------------------------------------------------------

    def _previous(self, name: str) -> tuple[str | None, dict[str, _Prev]]:
        graph = self.catalogue.graphs.current(name)
        if graph is None:
            return None, {}
        rows = self.catalogue.store.select(
            f"SELECT ?d ?rid ?h WHERE {{ GRAPH <{graph}> {{ ?d <{P_RECORD.value}> ?rid . "
            f"OPTIONAL {{ ?d <{P_HASH.value}> ?h }} }} }}"
        )
        return graph, {
            r["rid"].value: _Prev(r["d"].value, r["h"].value if "h" in r else "") for r in rows
        }

    def _run(
        self,
        source: HarvestSource,
        connector: Any,
        job: Job,
        incremental: bool,
        started: datetime,
        progress: Progress | None,
    ) -> None:
        prev_graph, prev = self._previous(source.name)
        state = _RunState(prev)
        edits = steward.load(self.catalogue, source.name)
        since = source.cursor if incremental else None
        statements = AsNTriples(
            self._stream(
                source, connector, job, state, edits, prev_graph, since, progress, incremental
            )
        )
        # store_quads skolemises what it is given, reading only subject, predicate and
        # object: the connectors' triples go in as they are, without a copy into ox.Quads.
        # The change feed leaves out what the record hashes say is unchanged since
        # prev_graph (state.unchanged is filled when the listing has been read).
        report = self.catalogue.store_quads(
            statements,  # type: ignore[arg-type]
            source=source.name,
            replace=not incremental,
            unchanged=Unchanged(prev_graph, state.unchanged) if prev_graph else None,
        )
        job.published, job.graph, job.pending = True, report.graph, None
        by_iri = {iri: rid for rid, iri in state.seen.items() if iri}
        for err in report.errors:
            rid = by_iri.get(err.record, err.record)
            state.kind.pop(rid, None)
            job.error(rid, err.message)
        _tally(job, state, incremental)
        job.status, job.message = _outcome(job, state)
        if job.status == SUCCEEDED:
            self._advance_cursor(source, state, started)

    def _stream(
        self,
        source: HarvestSource,
        connector: Any,
        job: Job,
        state: _RunState,
        edits: steward.Overrides,
        prev_graph: str | None,
        since: str | None,
        progress: Progress | None,
        incremental: bool,
    ) -> Iterator[_Record | _Statement | ox.Triple]:
        """Every statement of the new graph, page by page, as the listing streams in.

        Pages come from a prefetch thread (:func:`prefetched`): page N+1 is fetched, parsed
        and mapped while page N is stored. Every connector's pages, a third-party plugin's
        too, pass the paging guard (:func:`guarded`: page cap, loops, other hosts,
        repeated records) inside that thread, before a next link is fetched. Once the
        listing is read, before the caller publishes, :meth:`_before_publishing` records
        the tentative outcome and queues the validation; the last statement is the run's
        marker.
        """
        when = ox.Literal(now(), datatype=XSD_DATETIME)
        name = ox.Literal(source.name)
        job_lit = ox.Literal(job.id)
        depth = self.settings.harvest_prefetch_pages
        listed_extra = False
        pages = guarded(connector.pages(since), source.url, self.settings)
        for page in prefetched(pages, depth):
            job.pages += 1
            if page.total is not None:
                state.totals.append(page.total)
            for failure in page.failures:
                state.failed.add(failure.record_id)
                job.error(failure.record_id, failure.message)
            page_lit = ox.Literal(page.url)
            prov = (name, page_lit, when, job_lit)
            prov_text = (str(name), str(page_lit), str(when), str(job_lit))
            for rec in page.records:
                if rec.record_id in state.seen:
                    continue
                yield self._record(rec, state, edits, prov, prov_text)
            yield from page.extra
            listed_extra = listed_extra or bool(page.extra)
            if progress is not None:
                progress(job, page)
        self._check_complete(state, len(state.prev), since is not None)
        if prev_graph is not None and since is None:
            keep = state.failed if state.incomplete is None else set(state.prev)
            for rid in keep - set(state.seen):
                if rid in state.prev:
                    state.carried.add(rid)
                    yield from records.owned_triples(
                        self.catalogue.store, prev_graph, state.prev[rid].iri
                    )
        if state.seen or state.carried or listed_extra:  # else nothing to publish: refused
            self._before_publishing(job, state, source.name, incremental)
            yield _Statement(run_marker(job.id), P_JOB, job_lit)

    def _before_publishing(
        self, job: Job, state: _RunState, source: str, incremental: bool
    ) -> None:
        """Record the outcome the run will have if its version is published, and queue its
        new and changed records for validation, both durably and before the publish."""
        _tally(job, state, incremental)
        state.unchanged.update(_unchanged_ids(state))
        status, message = _outcome(job, state)
        job.pending = {"status": status, "message": message}
        self.jobs.save(job)
        changed = [
            state.seen[rid]
            for rid, kind in state.kind.items()
            if kind in ("new", "updated") and state.seen.get(rid)
        ]
        if self.validate and changed:
            self.jobs.queue.enqueue(job.id, source, changed)

    def _record(
        self,
        rec: SourceRecord,
        state: _RunState,
        edits: steward.Overrides,
        prov: tuple[ox.Literal, ...],
        prov_text: tuple[str, ...],
    ) -> _Record:
        """The record's statements followed by its provenance; updates the run's state."""
        lines = rec.lines
        if lines is None:
            lines = [str(t) for t in rec.triples]
        digest = hashed_lines(lines)
        node = rec.iri
        iri = node.value if type(node) is ox.NamedNode else ""
        state.seen[rec.record_id] = iri
        old = state.prev.get(rec.record_id)
        state.kind[rec.record_id] = (
            "new" if old is None else "unchanged" if old.hash == digest else "updated"
        )
        if rec.modified:
            stamp = rec.modified[:26]
            # only a value newer than the newest so far can move the cursor: check just those
            if (state.newest is None or stamp > state.newest) and _iso(rec.modified):
                state.newest = stamp
        edited = None
        if iri and iri in edits:
            edited = list(steward.apply(rec.triples, iri, edits[iri]))
            lines = [str(t) for t in edited]
        s = f"<{iri}>" if iri else str(node)
        source_s, page_s, at_s, job_s = prov_text
        # the digest is hex: a literal with nothing to escape
        text = (
            (" .\n".join(lines) + " .\n" if lines else "")
            + f"{s} {_P_SOURCE} {source_s} .\n{s} {_P_RECORD} {quoted(rec.record_id)} .\n"
            + f"{s} {_P_PAGE} {page_s} .\n{s} {_P_AT} {at_s} .\n"
            + f'{s} {_P_HASH} "{digest}" .\n{s} {_P_JOB} {job_s} .\n'
        )
        return _Record(rec, edited, prov, digest, text, len(lines) + 6)

    @staticmethod
    def _check_complete(state: _RunState, previous: int, incremental: bool) -> None:
        listed = len(state.seen) + len(state.failed - set(state.seen))
        if state.totals and len(set(state.totals)) > 1:
            state.incomplete = (
                f"the source's record count changed while paging ({state.totals[0]} → "
                f"{state.totals[-1]}); nothing was deleted"
            )
        elif state.totals and not incremental and listed < state.totals[0]:
            state.incomplete = (
                f"the source announced {state.totals[0]} records but served {listed}; the "
                "listing is incomplete, so nothing was deleted"
            )
        elif not incremental and previous and not state.seen and not state.failed:
            state.incomplete = (
                "the source listed no datasets although it had some before; nothing was deleted"
            )

    def _advance_cursor(self, source: HarvestSource, state: _RunState, started: datetime) -> None:
        """Move the incremental cursor to the newest valid ``modified`` seen, never past now."""
        if not (source.incremental and state.newest):
            return
        ceiling = started.strftime("%Y-%m-%dT%H:%M:%S")
        newest = min(state.newest, ceiling)
        if source.cursor is None or newest > source.cursor:
            self.sources.advance_cursor(source.name, newest)


def _tally(job: Job, state: _RunState, incremental: bool) -> None:
    """Count new, updated, unchanged and deleted records (failed ones are counted as they
    fail)."""
    for kind in ("new", "updated", "unchanged"):
        job.counts[kind] = 0
    for kind in state.kind.values():
        job.counts[kind] += 1
    if not incremental and state.incomplete is None:
        gone = set(state.prev) - set(state.seen) - state.carried
        job.counts["deleted"] = len(gone)


def _unchanged_ids(state: _RunState) -> set[str]:
    """The dataset ids of the records listed unchanged (by record hash) or carried over
    from the previous version. Blank-node records are left out: their ids need the stored
    graph, so they count as changed (the feed may over-report, never under-report)."""
    iris = [state.seen[rid] for rid, kind in state.kind.items() if kind == "unchanged"]
    iris.extend(state.prev[rid].iri for rid in state.carried)
    return {dataset_id(iri) for iri in iris if iri and not iri.startswith(GENID)}


def _outcome(job: Job, state: _RunState) -> tuple[str, str | None]:
    if state.incomplete:
        return PARTIAL, state.incomplete
    if job.counts["failed"]:
        return PARTIAL, (
            f"{job.counts['failed']} record(s) failed; their previous versions were kept"
        )
    return SUCCEEDED, None


def _kept(job: Job) -> str:
    if job.published:
        return "the run's new version had been published and is served"
    return NOTHING_PUBLISHED


def _failed(job: Job, exc: Exception) -> None:
    """Say how the run ended in words that are true of what it left."""
    if is_storage_failure(exc):
        said = storage_failure(exc, kept=_kept(job)).message
    elif isinstance(exc, DatalabError):
        said = f"{exc}; {_kept(job)}"
    else:
        log.error("harvest of %s failed unexpectedly", job.source, exc_info=exc)
        said = f"unexpected {type(exc).__name__}: {exc}; {_kept(job)}"
    job.pending = None
    if job.published:  # published, then something after it failed: the version stands
        job.message = f"{job.message}; then: {said}" if job.message else f"then: {said}"
    else:  # what the listing found was not stored: count nothing but the failed records
        job.status, job.message = FAILED, said
        for kind in ("new", "updated", "unchanged", "deleted"):
            job.counts[kind] = 0


def _iso(value: str) -> bool:
    try:
        datetime.fromisoformat(value.rstrip("Z"))
    except ValueError:
        return False
    return True
