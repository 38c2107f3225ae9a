"""HealthDCAT-AP catalogues (EHDS health data access bodies, national health data catalogues).

A HealthDCAT-AP endpoint is a DCAT-AP RDF endpoint (any RDF syntax, Hydra or ``Link``
paging): :class:`HealthDcatConnector` reads it with the DCAT connector's semantics and keeps
every health field a record carries: the health data access body (``healthdcatap:hdab``,
with its blank-node agent), legal basis (``dpv:hasLegalBasis``), purposes
(``dpv:hasPurpose``), personal data categories (``dpv:hasPersonalData``), population
coverage, retention period, number of records and of unique individuals, coding systems
and code values, quality annotations (``dqv:hasQualityAnnotation``), age range, health
categories and themes. Each dataset is tagged ``dlab:dataSpace`` ``…/dataspace/health``.

With ``options["shapes"]`` (a SHACL file, e.g. the HealthDCAT-AP or Health-RI shapes) each
record is validated while harvesting and a non-conforming one becomes a per-record failure
naming every violated property; without it, records are validated after publication by the
harvest service like any other source.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pyoxigraph as ox

from catalog.harvest.contract import Capability, Page, RecordFailure, SourceRecord
from catalog.harvest.rdf_listing import RdfListing
from catalog.namespaces import DATASPACE, DLAB, DPV, DQV, HEALTHDCATAP
from catalog.settings import Settings

#: The HealthDCAT-AP properties the catalogue surfaces (all others are kept too).
HEALTH_FIELDS: dict[str, str] = {
    "hdab": str(HEALTHDCATAP.hdab),
    "legal_basis": str(DPV.hasLegalBasis),
    "purpose": str(DPV.hasPurpose),
    "personal_data": str(DPV.hasPersonalData),
    "population_coverage": str(HEALTHDCATAP.populationCoverage),
    "retention_period": str(HEALTHDCATAP.retentionPeriod),
    "number_of_records": str(HEALTHDCATAP.numberOfRecords),
    "number_of_unique_individuals": str(HEALTHDCATAP.numberOfUniqueIndividuals),
    "coding_system": str(HEALTHDCATAP.hasCodingSystem),
    "code_values": str(HEALTHDCATAP.hasCodeValues),
    "quality_annotation": str(DQV.hasQualityAnnotation),
    "health_category": str(HEALTHDCATAP.healthCategory),
    "health_theme": str(HEALTHDCATAP.healthTheme),
    "min_typical_age": str(HEALTHDCATAP.minTypicalAge),
    "max_typical_age": str(HEALTHDCATAP.maxTypicalAge),
}


def health_fields(record: SourceRecord) -> dict[str, list[str]]:
    """The HealthDCAT-AP fields a record carries on its dataset node, by short name."""
    by_iri = {iri: name for name, iri in HEALTH_FIELDS.items()}
    out: dict[str, list[str]] = {}
    for t in record.triples:
        if (
            t.subject == record.iri
            and t.predicate.value in by_iri
            and not isinstance(t.object, ox.Triple)
        ):
            out.setdefault(by_iri[t.predicate.value], []).append(t.object.value)
    return out


class HealthDcatConnector:
    """Harvests a HealthDCAT-AP catalogue into the health data space."""

    kind: ClassVar[str] = "healthdcat-ap"
    capabilities: ClassVar[Capability] = Capability.FULL_LISTING | Capability.COUNTED

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.options = options or {}
        self.listing = RdfListing(url, settings, fetcher)
        space = str(self.options.get("data_space", "health"))
        self.space = ox.NamedNode(str(DATASPACE) + space)
        self.shapes_path = self.options.get("shapes")
        self._shapes: Any = None

    def pages(self, since: str | None = None) -> Iterator[Page]:
        p_space = ox.NamedNode(str(DLAB.dataSpace))
        for page in self.listing.pages():
            kept: list[SourceRecord] = []
            for rec in page.records:
                triples = [*rec.triples, ox.Triple(rec.iri, p_space, self.space)]
                tagged = SourceRecord(rec.record_id, rec.iri, triples, rec.modified)
                problem = self._check(tagged) if self.shapes_path else None
                if problem:
                    page.failures.append(RecordFailure(rec.record_id, problem))
                else:
                    kept.append(tagged)
            page.records = kept
            yield page

    def _check(self, record: SourceRecord) -> str | None:
        """A plain-words list of SHACL violations of ``record``, or None if it conforms."""
        from catalog.rdf_bridge import to_rdflib_graph
        from catalog.validation import load_shapes, validate_graph

        if self._shapes is None:
            self._shapes = load_shapes(Path(str(self.shapes_path)))
        report = validate_graph(
            to_rdflib_graph(record.triples),
            self._shapes,
            timeout_s=self.settings.validation_timeout_s,
        )
        violations = report.violations()
        if not violations:
            return None
        reasons = sorted({f"{f.path}: {f.message}" if f.path else f.message for f in violations})
        return "does not conform to the HealthDCAT-AP shapes: " + "; ".join(reasons[:20])
