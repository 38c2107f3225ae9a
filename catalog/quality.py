"""Metadata quality per dataset and per source, with what to fix, plus AI-readiness.

The dimensions and weights follow the spirit of data.europa.eu's Metadata Quality
Assessment (MQA): findability, accessibility, interoperability, reusability and
contextuality, each a sum of points for checks that pass. Reachability of URLs is not
probed here (the catalogue never fetches on a page view), so accessibility scores the
presence of access and download URLs. AI-readiness adds what an AI developer needs: a
licence that clearly permits training, a sample, a described schema and tagged languages.

>>> report = dataset_quality(model, has_sample=True)        # doctest: +SKIP
>>> report.percent, report.fixes()[:1]
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import URIRef

from catalog.errors import QueryTimeout, ShapesError
from catalog.facts import DatasetFacts
from catalog.facts.derive import facts_from_rdflib
from catalog.facts.read import catalogue_facts, record_facts
from catalog.model import Dataset
from catalog.offers.licence_store import licence_table
from catalog.offers.licences import LicenceTable
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue
from catalog.validation import ValidationReport, load_shapes, validate_graph

log = logging.getLogger(__name__)

EU_VOCAB = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
#: Formats that are open and machine-readable (EU file-type codes and common media types).
OPEN_FORMATS = {
    "CSV",
    "JSON",
    "JSON_LD",
    "XML",
    "RDF_XML",
    "RDF_TURTLE",
    "PARQUET",
    "TSV",
    "GEOJSON",
    "NETCDF",
    "TIFF",
    "GEOTIFF",
    "TXT",
    "N_TRIPLES",
    "HDF5",
    "JSONL",
}
DIMENSIONS = (
    "findability",
    "accessibility",
    "interoperability",
    "reusability",
    "contextuality",
    "ai_readiness",
)


@dataclass(frozen=True)
class Check:
    """One check: its points if it passes, and what to do when it fails."""

    dimension: str
    name: str
    points: int
    passed: bool
    fix: str
    share: float | None = None  # in a source's mean: the fraction of datasets passing

    @property
    def earned(self) -> float:
        return self.points * (self.share if self.share is not None else float(self.passed))

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "name": self.name,
            "points": self.points,
            "passed": self.passed,
            "share": self.share,
            "fix": None if self.passed else self.fix,
        }


@dataclass
class QualityReport:
    """The checks of one dataset (or the mean of a source), scored per dimension."""

    subject: str
    checks: list[Check] = field(default_factory=list)

    def score(self, dimension: str) -> tuple[int, int]:
        own = [c for c in self.checks if c.dimension == dimension]
        return round(sum(c.earned for c in own)), sum(c.points for c in own)

    def percent_of(self, dimension: str) -> int:
        got, best = self.score(dimension)
        return round(100 * got / best) if best else 0

    @property
    def percent(self) -> int:
        """The MQA-style total over the five metadata dimensions (AI-readiness apart)."""
        got = best = 0
        for dim in DIMENSIONS[:-1]:
            g, b = self.score(dim)
            got, best = got + g, best + b
        return round(100 * got / best) if best else 0

    @property
    def rating(self) -> str:
        p = self.percent
        return "excellent" if p >= 85 else "good" if p >= 60 else "sufficient" if p >= 35 else "bad"

    def fixes(self) -> list[str]:
        return [c.fix for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "percent": self.percent,
            "rating": self.rating,
            "dimensions": {d: self.percent_of(d) for d in DIMENSIONS},
            "checks": [c.to_dict() for c in self.checks],
            "fixes": self.fixes(),
        }


def _vocab(values: Iterable[object], kind: str) -> bool:
    vals = [str(v) for v in values if v]
    return bool(vals) and all(v.startswith(EU_VOCAB + kind + "/") for v in vals)


def _format_code(value: object) -> str:
    s = str(value or "")
    return s.rsplit("/", 1)[-1].upper().replace("-", "_") if s else ""


def dataset_quality(
    ds: Dataset,
    facts: DatasetFacts | None = None,
    *,
    has_sample: bool = False,
    sample_columns: int = 0,
    conforms: bool | None = None,
    table: LicenceTable | None = None,
) -> QualityReport:
    """Score one dataset's metadata; ``conforms`` is its SHACL outcome when known.

    Access rights and licences are read from the record's ``facts`` (derived from ``ds``
    when not given, e.g. for a draft that is not stored yet)."""
    if facts is None:
        facts = facts_from_rdflib(ds.to_graph(), ds.iri or "", "draft")
    dists = list(ds.distribution)
    licences = list(facts.licences)
    tbl = table or LicenceTable()
    terms = [tbl.lookup(iri) for iri in licences]
    formats = [_format_code(d.format) for d in dists if d.format]
    lang_tags = {lang for lang, _ in ds.title.pairs()} | {
        lang for lang, _ in ds.description.pairs()
    }
    c: list[Check] = []

    def add(dim: str, name: str, points: int, passed: bool, fix: str) -> None:
        c.append(Check(dim, name, points, bool(passed), fix))

    add("findability", "keywords", 30, len(ds.keyword) > 0, "Add keywords (dcat:keyword).")
    add("findability", "themes", 30, bool(ds.theme), "Add a theme from the EU data-theme list.")
    add("findability", "spatial coverage", 20, bool(ds.spatial), "State the place (dct:spatial).")
    add(
        "findability",
        "temporal coverage",
        20,
        bool(ds.temporal),
        "State the period covered (dct:temporal).",
    )
    add(
        "accessibility",
        "access URL",
        50,
        bool(dists) and all(d.access_url for d in dists),
        "Give every distribution an access URL (dcat:accessURL).",
    )
    add(
        "accessibility",
        "download URL",
        30,
        any(d.download_url for d in dists),
        "Give a download URL (dcat:downloadURL) where the data can be fetched directly.",
    )
    add(
        "accessibility",
        "access service",
        20,
        any(d.access_service for d in dists),
        "Describe the API that serves the data (dcat:accessService).",
    )
    add(
        "interoperability",
        "format",
        20,
        bool(formats) and len(formats) == len(dists),
        "State each distribution's format (dct:format).",
    )
    add(
        "interoperability",
        "media type",
        10,
        any(d.media_type for d in dists),
        "State the IANA media type (dcat:mediaType).",
    )
    add(
        "interoperability",
        "format from vocabulary",
        10,
        _vocab((d.format for d in dists if d.format), "file-type"),
        "Use the EU file-type vocabulary for dct:format.",
    )
    add(
        "interoperability",
        "open, machine-readable format",
        30,
        any(f in OPEN_FORMATS for f in formats),
        "Offer at least one open, machine-readable format (CSV, JSON, Parquet, RDF, ...).",
    )
    add(
        "interoperability",
        "DCAT-AP compliance",
        30,
        conforms is not False,
        "Fix the violations in the validation report.",
    )
    add("reusability", "licence", 20, bool(licences), "Attach a licence to each distribution.")
    add(
        "reusability",
        "licence from vocabulary",
        10,
        bool(terms) and all(terms),
        "Use a licence the catalogue knows (EU licence list or SPDX).",
    )
    add(
        "reusability",
        "access rights",
        10,
        bool(facts.access_values),
        "State the access rights (dct:accessRights).",
    )
    add(
        "reusability",
        "access rights from vocabulary",
        5,
        facts.access_level != "unknown" and not facts.access_conflict,
        "Use one value of the EU access-right vocabulary (PUBLIC, RESTRICTED, NON_PUBLIC).",
    )
    add(
        "reusability",
        "contact point",
        20,
        bool(ds.contact_point),
        "Add a contact point (dcat:contactPoint).",
    )
    add("reusability", "publisher", 10, ds.publisher is not None, "Name the publisher.")
    add(
        "contextuality",
        "rights",
        5,
        any(d.rights for d in dists),
        "Add a rights statement (dct:rights).",
    )
    add(
        "contextuality",
        "byte size",
        5,
        any(d.byte_size for d in dists),
        "State the size in bytes (dcat:byteSize).",
    )
    add("contextuality", "issued", 5, ds.issued is not None, "State when it was issued.")
    add("contextuality", "modified", 5, ds.modified is not None, "State when it last changed.")
    trainable = bool(terms) and all(
        t is not None and {"ai-training", "commercial"} <= t.permits for t in terms
    )
    add(
        "ai_readiness",
        "licence clear for training",
        40,
        trainable,
        "Use a licence that clearly permits AI training, commercial included (e.g. CC BY 4.0).",
    )
    add("ai_readiness", "sample present", 25, has_sample, "Upload a sample (Parquet or CSV).")
    add(
        "ai_readiness",
        "schema described",
        20,
        sample_columns > 0 or bool(ds.conforms_to) or any(d.conforms_to for d in dists),
        "Describe the schema: upload a sample or link it with dct:conformsTo.",
    )
    add(
        "ai_readiness",
        "languages tagged",
        15,
        bool(ds.language) and bool(lang_tags) and "" not in lang_tags,
        "Tag titles and descriptions with languages and state dct:language.",
    )
    return QualityReport(ds.iri or "", c)


def quality_of(catalogue: Catalogue, dataset_id: str, **kwargs: Any) -> QualityReport:
    """One stored dataset's report (reads its record once)."""
    record = catalogue.get(dataset_id)
    ds = Dataset.from_graph(to_rdflib_graph(record.triples), URIRef(record.ref.iri))
    facts = record_facts(catalogue, dataset_id)
    table = licence_table(catalogue.settings)
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
    table = licence_table(catalogue.settings)
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


def mean_report(subject: str, reports: Iterable[QualityReport]) -> QualityReport:
    """Checks averaged over reports: points in proportion to the datasets that pass."""
    reports = list(reports)
    if not reports:
        return QualityReport(subject, [])
    checks = []
    for i, first in enumerate(reports[0].checks):
        passed = sum(1 for r in reports if r.checks[i].passed)
        failing = len(reports) - passed
        fix = f"{first.fix} ({failing} of {len(reports)} datasets)"
        checks.append(
            Check(
                first.dimension,
                first.name,
                first.points,
                failing == 0,
                fix,
                share=passed / len(reports),
            )
        )
    return QualityReport(subject, checks)


def _digest(triples: Iterable[ox.Triple]) -> str:
    lines = sorted(str(t) for t in triples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


class ConformanceCache:
    """SHACL outcomes of records and sources, cached per version (bounded, thread-safe).

    A record's key is the digest of its triples, so any change to the record re-validates
    it; a source's key is its current graph version. A validation that fails or times out
    is not cached: the report then says conformance is unknown.
    """

    def __init__(self, catalogue: Catalogue, entries: int = 256) -> None:
        self.catalogue = catalogue
        self.entries = entries
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def _cached(self, key: str, compute: Any) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return value

    def _validate(self, triples: list[ox.Triple]) -> ValidationReport:
        s = self.catalogue.settings
        graph = to_rdflib_graph(triples)
        return validate_graph(graph, load_shapes(s.shapes_path), timeout_s=s.validation_timeout_s)

    def record(self, dataset_id: str) -> tuple[Any, ValidationReport | None]:
        """The record of ``dataset_id`` and its SHACL report (None when validation failed)."""
        record = self.catalogue.get(dataset_id)
        key = "record:" + _digest(record.triples)
        try:
            return record, self._cached(key, lambda: self._validate(record.triples))
        except (QueryTimeout, ShapesError) as exc:
            log.warning("SHACL validation of %s failed: %s", dataset_id, exc)
            return record, None

    def source(self, source: str) -> dict[str, bool] | None:
        """Dataset IRI -> conforms, for every dataset of ``source`` (one validation)."""
        version = self.catalogue.graphs.current(source)
        if version is None:
            return None

        def compute() -> dict[str, bool]:
            triples = self.catalogue.export_triples(source)
            report = self._validate(triples)
            bad = {f.dataset or f.focus for f in report.violations()}
            page_ids = []
            cursor = None
            while True:
                page = self.catalogue.datasets(cursor=cursor, source=source, limit=1000)
                page_ids += [item.iri for item in page.items]
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
            return {iri: iri not in bad for iri in page_ids}

        try:
            return self._cached("source:" + version, compute)  # type: ignore[no-any-return]
        except (QueryTimeout, ShapesError) as exc:
            log.warning("SHACL validation of source %s failed: %s", source, exc)
            return None


__all__ = [
    "DIMENSIONS",
    "Check",
    "ConformanceCache",
    "QualityReport",
    "dataset_quality",
    "mean_report",
    "quality_of",
    "source_quality",
]
