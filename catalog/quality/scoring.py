"""Scoring datasets and sources: one dataset's report from the rules, a source's mean."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rdflib import URIRef

from catalog.facts import DatasetFacts
from catalog.facts.derive import facts_from_rdflib
from catalog.facts.read import catalogue_facts, record_facts
from catalog.model import Dataset
from catalog.offers.licence_store import licence_table
from catalog.offers.licences import LicenceTable
from catalog.quality.report import QualityReport, mean_report
from catalog.quality.rules import RULES, Subject, format_code
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue


def dataset_quality(
    ds: Dataset,
    facts: DatasetFacts | None = None,
    *,
    has_sample: bool = False,
    sample_columns: int = 0,
    conforms: bool | None = None,
    table: LicenceTable | None = None,
) -> QualityReport:
    """Score one dataset's metadata with every rule; ``conforms`` is its SHACL outcome
    when known.

    Access rights and licences are read from the record's ``facts`` (derived from ``ds``
    when not given, e.g. for a draft that is not stored yet)."""
    if facts is None:
        facts = facts_from_rdflib(ds.to_graph(), ds.iri or "", "draft")
    dists = tuple(ds.distribution)
    tbl = table or LicenceTable()
    subject = Subject(
        ds=ds,
        facts=facts,
        dists=dists,
        terms=tuple(tbl.lookup(iri) for iri in facts.licences),
        formats=tuple(format_code(d.format) for d in dists if d.format),
        lang_tags=frozenset(
            {lang for lang, _ in ds.title.pairs()} | {lang for lang, _ in ds.description.pairs()}
        ),
        has_sample=has_sample,
        sample_columns=sample_columns,
        conforms=conforms,
    )
    return QualityReport(ds.iri or "", [rule(subject) for rule in RULES])


def quality_of(catalogue: Catalogue, dataset_id: str, **kwargs: Any) -> QualityReport:
    """One stored dataset's report (reads its record once)."""
    record = catalogue.get(dataset_id)
    ds = Dataset.from_graph(to_rdflib_graph(record.triples), URIRef(record.ref.iri))
    facts = record_facts(catalogue, dataset_id)
    table = licence_table(catalogue.documents)
    return dataset_quality(ds, facts, table=table, **kwargs)


def source_quality(
    catalogue: Catalogue,
    source: str,
    has_sample: Iterable[str] = (),
    only: set[str] | None = None,
    conforms: Mapping[str, bool] | None = None,
) -> tuple[QualityReport, dict[str, QualityReport]]:
    """The mean report of a source's datasets (one store read) and each dataset's report.

    ``conforms`` maps dataset IRIs to their SHACL outcome (see :class:`ConformanceCache`).
    """
    graph = to_rdflib_graph(catalogue.export_triples(source))
    facts = {f.dataset_id: f for f in catalogue_facts(catalogue, source)}
    table = licence_table(catalogue.documents)
    sampled = set(has_sample)
    per: dict[str, QualityReport] = {}
    cursor = None
    while True:
        page = catalogue.datasets(cursor=cursor, source=source, limit=1000)
        for item in page.items:
            if only is not None and item.id not in only:
                continue
            ds = Dataset.from_graph(graph, URIRef(item.iri))
            shacl = conforms.get(item.iri) if conforms is not None else None
            per[item.id] = dataset_quality(
                ds, facts.get(item.id), has_sample=item.id in sampled, conforms=shacl, table=table
            )
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return mean_report(f"source:{source}", per.values()), per
