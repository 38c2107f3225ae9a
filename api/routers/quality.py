"""Metadata quality as JSON: per dataset (with SHACL conformance) and per source.

Only public metadata goes into a report: whether a sample exists and whether its schema
is described, never sample rows or statistics. The SHACL outcome is cached per record
version (and per source version), so a report is cheap after the first.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from rdflib import URIRef

from api.deps import CatalogueDep, ConformanceDep, SamplesDep
from catalog.errors import SourceNotFound
from catalog.facts.read import ref_facts
from catalog.model import Dataset
from catalog.offers.licence_store import licence_table
from catalog.quality import dataset_quality, source_quality
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue
from catalog.validation import ValidationReport

router = APIRouter(tags=["quality"])
#: Most SHACL findings returned with a dataset's report.
MAX_FINDINGS = 50


def _validation(report: ValidationReport | None) -> dict[str, Any]:
    if report is None:
        return {"status": "unavailable", "conforms": None, "violations": None, "warnings": None}
    body = report.to_dict()
    return {
        "status": "done",
        "conforms": body["conforms"],
        "violations": body["violations"],
        "warnings": body["warnings"],
        "findings": body["findings"][:MAX_FINDINGS],
    }


@router.get("/datasets/{dataset_id}/quality", operation_id="get_dataset_quality")
def dataset_quality_report(
    dataset_id: str,
    catalogue: CatalogueDep,
    conformance: ConformanceDep,
    sample_service: SamplesDep,
) -> dict[str, Any]:
    """Scores per dimension, AI-readiness, what to fix, and the SHACL outcome of the record."""
    record, shacl = conformance.record(dataset_id)
    ds = Dataset.from_graph(to_rdflib_graph(record.triples), URIRef(record.ref.iri))
    samples = sample_service.store
    has_sample = samples.has_sample(record.ref.id)
    columns = len(samples.meta(record.ref.id).get("columns") or []) if has_sample else 0
    report = dataset_quality(
        ds,
        ref_facts(catalogue, record.ref),
        table=licence_table(catalogue.documents),
        has_sample=has_sample,
        sample_columns=columns,
        conforms=None if shacl is None else shacl.conforms,
    )
    return {
        "id": record.ref.id,
        "source": record.ref.source,
        **report.to_dict(),
        "sample": {"present": has_sample, "schema_described": columns > 0},
        "validation": _validation(shacl),
    }


@router.get("/sources/{name}/quality", operation_id="get_source_quality")
def source_quality_report(
    name: str,
    catalogue: CatalogueDep,
    conformance: ConformanceDep,
    sample_service: SamplesDep,
) -> dict[str, Any]:
    """The mean scores of a source's datasets and each dataset's total and rating."""
    if catalogue.graphs.current(name) is None:
        raise SourceNotFound(f"no source named {name!r} has been loaded", where="name")
    samples = sample_service.store
    ids = [item.id for item in _all_items(catalogue, name)]
    sampled = [i for i in ids if samples.has_sample(i)]
    conforms = conformance.source(name)
    mean, per = source_quality(catalogue, name, sampled, conforms=conforms)
    return {
        "source": name,
        "datasets": len(per),
        **mean.to_dict(),
        "validation": {
            "status": "unavailable" if conforms is None else "done",
            "conforming": None if conforms is None else sum(conforms.values()),
        },
        "items": [
            {
                "id": ident,
                "percent": r.percent,
                "rating": r.rating,
                "ai_readiness": r.percent_of("ai_readiness"),
            }
            for ident, r in sorted(per.items())
        ],
    }


def _all_items(catalogue: Catalogue, source: str) -> list[Any]:
    items, cursor = [], None
    while True:
        page = catalogue.datasets(cursor=cursor, source=source, limit=1000)
        items += page.items
        if not page.next_cursor:
            return items
        cursor = page.next_cursor
