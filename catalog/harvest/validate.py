"""SHACL validation of harvested records, off the harvest's critical path.

After a run has published, the new and changed records are validated in batches by one
background thread; the job counts how many still wait, and each record's findings are
written to the job as they come.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from catalog import records
from catalog.harvest.jobs import Job
from catalog.service import Catalogue
from catalog.skolem import unskolemise

log = logging.getLogger(__name__)
BATCH = 100


def validate_in_background(
    catalogue: Catalogue,
    job: Job,
    graph: str,
    iris: list[str],
    save: Callable[[Job], None],
) -> threading.Thread:
    """Start validating ``iris`` (records in ``graph``); returns the (daemon) thread."""
    job.validation["waiting"] = len(iris)
    save(job)
    thread = threading.Thread(
        target=_run,
        args=(catalogue, job, graph, iris, save),
        daemon=True,
        name=f"validate-{job.source}",
    )
    thread.start()
    return thread


def _run(
    catalogue: Catalogue, job: Job, graph: str, iris: list[str], save: Callable[[Job], None]
) -> None:
    try:
        from catalog.terms import to_rdflib_graph
        from catalog.validation import load_shapes, validate_graph

        shapes = load_shapes(catalogue.settings.shapes_path)
    except Exception as exc:  # validation is best effort: the harvest already succeeded
        log.warning("validation unavailable for job %s: %s", job.id, exc)
        job.validation["error"] = f"validation unavailable: {exc}"
        save(job)
        return
    v = job.validation
    for i in range(0, len(iris), BATCH):
        batch = iris[i : i + BATCH]
        try:
            triples = []
            for iri in batch:
                triples.extend(records.owned_triples(catalogue.store, graph, iri))
            report = validate_graph(
                to_rdflib_graph(unskolemise(triples)),
                shapes,
                timeout_s=catalogue.settings.validation_timeout_s,
            )
            by_dataset: dict[str, list[str]] = {}
            for f in report.violations():
                by_dataset.setdefault(f.dataset or f.focus, []).append(
                    f"{f.path}: {f.message}" if f.path else f.message
                )
            for iri in batch:
                if iri in by_dataset:
                    v["nonconforming"] += 1
                    v["reports"][iri] = by_dataset[iri][:20]
        except Exception as exc:
            log.warning("validation of a batch of job %s failed: %s", job.id, exc)
            v.setdefault("errors", []).append(str(exc)[:300])
        v["done"] += len(batch)
        v["waiting"] = max(0, v["waiting"] - len(batch))
        save(job)
