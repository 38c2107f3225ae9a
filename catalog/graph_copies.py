"""Each loaded source version's N-Triples, kept as they were loaded, for a full build.

A full search build reads every source version back from the store, and at two million
datasets that read was most of the building process's CPU: 16-17 s per source of 100,000
datasets, almost all of it the store decoding each term from its string table (the cost per
term doubles from 100,000 to two million datasets, as the lookups miss its caches). The
ingest already holds every triple of a new version once, as the canonical N-Triples chunks
it bulk-loads, so it keeps them (:class:`CopyWriter`, zstd-compressed, about 22 MB per
source of 100,000), and a build parses them straight into its triple index (about 5 s a
source, :mod:`catalog.parsed_graph`; 18.5 s from the store at two million datasets, 11-12 s
through an in-memory store loaded from the copy).

The copy is the version only while nothing else wrote to it:

* it holds every chunk the version was loaded from (the document's, then the dataset ids)
  and nothing else; any other write before the publish voids it: records refused at
  ingest (deleted again, :func:`catalog.loading._index`), statements about another
  source's datasets (:func:`catalog.loading._drop_foreign`), quads written one by one;
* it is named to readers by ``<source> dlab:ntriplesKept <version>`` in the meta graph,
  written before the version is published; every change in place removes it
  (:meth:`catalog.graphs.SourceGraphs.update_in_place`, in the same atomic update), so a
  version changed since is read from the store again (the embedded store's N-Triples
  dump of it, parsed the same way: :func:`catalog.search.project._dumped_graph`);
* the file is removed with its version (dropped, or discarded after a failed load). A
  build on a machine without the file (another replica) reads the store;
* a load killed while writing its copy leaves the staging file (``.part``): it goes with
  its version once that is collected as abandoned, or, when the store holds nothing of the
  version, once it is older than the grace of unpublished versions
  (:func:`sweep_staged`, run by :meth:`catalog.graphs.SourceGraphs._collect`).

The parsed index holds the triples the store holds (same parser; the canonical forms of
literals and duplicates merged as the store does them, :mod:`catalog.parsed_graph`), but
in another order; readers sort multi-valued objects (:func:`catalog.facts.derive.in_order`)
so both give the same index.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyoxigraph as ox

from catalog.namespaces import DLAB
from catalog.parsed_graph import ParsedGraph

log = logging.getLogger(__name__)

#: ``<source> dlab:ntriplesKept <version>``: the version's N-Triples are kept and exact.
KEPT = str(DLAB) + "ntriplesKept"
#: The folder under the catalogue's home.
FOLDER = "ntriples"
_SUFFIX = ".nt.zst"
_STAGING = ".part"
_CODEC = "zstd"


def copy_path(folder: Path, graph: str) -> Path:
    """Where the copy of version ``graph`` is kept in ``folder``."""
    return folder / (hashlib.sha256(graph.encode("utf-8")).hexdigest()[:40] + _SUFFIX)


def staging_path(path: Path) -> Path:
    """Where the copy ``path`` is written until it is sealed."""
    return path.with_name(path.name + _STAGING)


def sweep_staged(folder: Path, older_than: float) -> list[Path]:
    """Remove the staging files in ``folder`` last written before ``older_than`` (seconds
    since the epoch): left by loads killed while writing them (a load at work writes its
    file as it goes). Returns those removed."""
    removed: list[Path] = []
    try:
        staged = list(folder.glob(f"*{_SUFFIX}{_STAGING}"))
    except OSError:
        return removed
    for path in staged:
        try:
            if path.stat().st_mtime < older_than:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # sealed or removed meanwhile
    if removed:
        log.info("removed %d abandoned N-Triples staging files from %s", len(removed), folder)
    return removed


class CopyWriter:
    """Writes the N-Triples chunks a new version is loaded from (see :meth:`tee`) to a
    staging file; :meth:`seal` makes it the version's copy, unless it was voided."""

    def __init__(self, folder: Path, graph: str) -> None:
        self.graph = graph
        self.path = copy_path(folder, graph)
        self._part = staging_path(self.path)
        self._out: pa.NativeFile | None = None
        #: Why the copy is not the version (``None``: it is, so far).
        self.voided: str | None = None

    def tee(self, quads: Iterable[ox.Quad]) -> _Teed:
        """``quads`` to hand to the store: the chunks it reads are written here too."""
        return _Teed(quads, self)

    def write(self, chunk: bytes) -> None:
        if self.voided is not None:
            return
        try:
            if self._out is None:
                self._part.parent.mkdir(parents=True, exist_ok=True)
                self._out = pa.output_stream(str(self._part), compression=_CODEC)
            self._out.write(chunk)
        except (OSError, pa.ArrowException) as exc:
            self.void(f"not written: {exc}")

    def void(self, reason: str) -> None:
        """The version is no longer what was written (or the copy failed): keep nothing."""
        if self.voided is None:
            self.voided = reason
            log.info("N-Triples of %s not kept: %s", self.graph, reason)
        self._close()
        self._part.unlink(missing_ok=True)

    def seal(self) -> bool:
        """Make the staged file the version's copy; ``False``: voided, or not written."""
        if self.voided is None and self._out is None:
            self.void("no N-Triples chunk was loaded")
        if self.voided is not None:
            return False
        try:
            self._close()
            self._part.replace(self.path)
        except (OSError, pa.ArrowException) as exc:
            self.void(f"not sealed: {exc}")
            return False
        return True

    def discard(self) -> None:
        """The version was dropped: remove what was written."""
        self.void("the version was discarded")
        self.path.unlink(missing_ok=True)

    def _close(self) -> None:
        out, self._out = self._out, None
        if out is not None:
            out.close()


class _Teed:
    """Quads for :meth:`GraphStore.add`, whose N-Triples chunks are also written to a
    :class:`CopyWriter` (quads read one by one void it: they are not kept)."""

    def __init__(self, quads: Iterable[ox.Quad], copy: CopyWriter) -> None:
        self._quads = quads
        self._copy = copy

    def __iter__(self) -> Iterator[ox.Quad]:
        self._copy.void("written quad by quad")
        return iter(self._quads)

    def ntriples_chunks(self, chunk_triples: int) -> Iterator[bytes] | None:
        read = getattr(self._quads, "ntriples_chunks", None)
        chunks = read(chunk_triples) if read is not None else None
        if chunks is None:
            self._copy.void("written quad by quad")
            return None
        return self._written(chunks)

    def _written(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self._copy.write(chunk)
            held = [chunk]  # a suspended generator keeps its locals: hold no chunk there
            del chunk
            yield held.pop()


def kept_graph(path: Path, graph: str) -> ParsedGraph | None:
    """The copy at ``path`` (of version ``graph``) parsed into a triple index, as a store
    would give its triples (:mod:`catalog.parsed_graph`); ``None`` (logged) when it cannot
    be read: the caller reads the store instead.

    The copy is decompressed whole (about 260 MB per source of 100,000, for a moment) and
    parsed from memory: read from a Python stream, the parser takes the GIL for every
    read, and beside a busy thread (a server's requests during a rebuild) a load of 4 s
    had not finished after 50 s."""
    try:
        with pa.input_stream(str(path), compression=_CODEC) as stream:
            data = stream.read()
        return ParsedGraph(data)
    except (SyntaxError, ValueError, OSError, pa.ArrowException) as exc:
        log.warning("N-Triples of %s unreadable (%s); reading the store", graph, exc)
        return None
