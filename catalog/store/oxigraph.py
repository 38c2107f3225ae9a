"""Embedded graph store: Oxigraph on disk through pyoxigraph. No server to start."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from catalog.errors import InvalidInput, StoreError
from catalog.store.base import Row


class OxigraphStore:
    """Oxigraph (RocksDB) store in a folder; ``path=None`` keeps it in memory."""

    name = "oxigraph"
    snapshot_reads = True
    #: ``bulk_extend`` holds what it is given in memory: feed it bounded batches.
    batch_quads = 20_000

    def __init__(self, path: Path | None) -> None:
        try:
            if path is None:
                self._store = ox.Store()
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            raise StoreError(
                f"cannot open the Oxigraph store: {exc}; is another catalogue process using it?",
                where=str(path),
            ) from exc
        self.path = path

    def add(self, graph: str, quads: Iterable[ox.Quad]) -> int:
        target = ox.NamedNode(graph)
        count = 0
        batch: list[ox.Quad] = []
        try:
            for quad in quads:
                if quad.graph_name != target:
                    quad = ox.Quad(quad.subject, quad.predicate, quad.object, target)
                batch.append(quad)
                if len(batch) >= self.batch_quads:
                    self._store.bulk_extend(batch)
                    count += len(batch)
                    batch = []
            if batch:
                self._store.bulk_extend(batch)
                count += len(batch)
        except OSError as exc:
            raise StoreError(f"writing to the store failed: {exc}", where=graph) from exc
        return count

    def drop(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")

    def _query(self, query: str) -> object:
        try:
            return self._store.query(query)
        except SyntaxError as exc:
            raise InvalidInput(f"invalid SPARQL query: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def select(self, query: str) -> list[Row]:
        solutions = self._query(query)
        if not isinstance(solutions, ox.QuerySolutions):
            raise InvalidInput("expected a SELECT query")
        names = [v.value for v in solutions.variables]
        rows: list[Row] = []
        for solution in solutions:
            row: Row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = value
            rows.append(row)
        return rows

    def ask(self, query: str) -> bool:
        result = self._query(query)
        if not isinstance(result, ox.QueryBoolean):
            raise InvalidInput("expected an ASK query")
        return bool(result)

    def construct(self, query: str) -> list[ox.Triple]:
        result = self._query(query)
        if not isinstance(result, ox.QueryTriples):
            raise InvalidInput("expected a CONSTRUCT or DESCRIBE query")
        return list(result)

    def update(self, update: str) -> None:
        try:
            self._store.update(update)
        except SyntaxError as exc:
            raise InvalidInput(f"invalid SPARQL update: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"update failed: {exc}") from exc

    def named_graphs(self) -> list[str]:
        return [g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    def quads(self, graph: str) -> Iterable[ox.Quad]:
        """Every quad of one named graph (fast path used by exports)."""
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))

    def flush(self) -> None:
        self._store.flush()

    def close(self) -> None:
        try:
            self._store.flush()
        finally:
            del self._store
