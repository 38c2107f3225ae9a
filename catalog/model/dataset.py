"""``dcat:Dataset`` and ``dcat:DatasetSeries``: the records the catalogue is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rdflib import URIRef

from catalog.model.agent import Agent, Attribution, ContactPoint
from catalog.model.base import Kind, Resource, prop
from catalog.model.common import (
    Activity,
    Identifier,
    Location,
    PeriodOfTime,
    ProvenanceStatement,
    QualityAnnotation,
    Relationship,
)
from catalog.model.distribution import Distribution
from catalog.model.values import LangText, TypedValue
from catalog.namespaces import (
    ADMS,
    DCAT,
    DCATAP,
    DCT,
    DPV,
    DQV,
    FOAF,
    HEALTHDCATAP,
    ODRL,
    OWL,
    PROV,
)


@dataclass(frozen=True, kw_only=True)
class Dataset(Resource):
    """A DCAT-AP 3 dataset with its distributions, agents, coverage and terms.

    Related datasets (series, versions, sources) are kept as IRIs; distributions, agents,
    periods and places are nested model objects.
    """

    TYPE: ClassVar[URIRef | None] = DCAT.Dataset

    title: LangText = prop(DCT.title, Kind.TEXT)
    description: LangText = prop(DCT.description, Kind.TEXT)
    keyword: LangText = prop(DCAT.keyword, Kind.TEXT)
    theme: tuple[str, ...] = prop(DCAT.theme, Kind.IRIS)
    type: tuple[str, ...] = prop(DCT.type, Kind.IRIS)
    language: tuple[str, ...] = prop(DCT.language, Kind.IRIS)
    identifier: tuple[TypedValue, ...] = prop(DCT.identifier, Kind.LITS)
    other_identifier: tuple[Identifier, ...] = prop(ADMS.identifier, Kind.NODES, Identifier)
    version: TypedValue | None = prop(DCAT.version, Kind.LIT)
    version_info: TypedValue | None = prop(OWL.versionInfo, Kind.LIT)
    version_notes: LangText = prop(ADMS.versionNotes, Kind.TEXT)
    issued: TypedValue | None = prop(DCT.issued, Kind.LIT)
    modified: TypedValue | None = prop(DCT.modified, Kind.LIT)
    created: TypedValue | None = prop(DCT.created, Kind.LIT)
    publisher: Agent | None = prop(DCT.publisher, Kind.NODE, Agent)
    creator: tuple[Agent, ...] = prop(DCT.creator, Kind.NODES, Agent)
    contact_point: tuple[ContactPoint, ...] = prop(DCAT.contactPoint, Kind.NODES, ContactPoint)
    qualified_attribution: tuple[Attribution, ...] = prop(
        PROV.qualifiedAttribution, Kind.NODES, Attribution
    )
    qualified_relation: tuple[Relationship, ...] = prop(
        DCAT.qualifiedRelation, Kind.NODES, Relationship
    )
    distribution: tuple[Distribution, ...] = prop(DCAT.distribution, Kind.NODES, Distribution)
    sample: tuple[Distribution, ...] = prop(ADMS.sample, Kind.NODES, Distribution)
    spatial: tuple[Location, ...] = prop(DCT.spatial, Kind.NODES, Location)
    temporal: tuple[PeriodOfTime, ...] = prop(DCT.temporal, Kind.NODES, PeriodOfTime)
    spatial_resolution_in_meters: tuple[TypedValue, ...] = prop(
        DCAT.spatialResolutionInMeters, Kind.LITS
    )
    temporal_resolution: tuple[TypedValue, ...] = prop(DCAT.temporalResolution, Kind.LITS)
    frequency: str | None = prop(DCT.accrualPeriodicity, Kind.IRI)
    conforms_to: tuple[str, ...] = prop(DCT.conformsTo, Kind.IRIS)
    access_rights: str | None = prop(DCT.accessRights, Kind.IRI)
    provenance: tuple[ProvenanceStatement, ...] = prop(
        DCT.provenance, Kind.NODES, ProvenanceStatement
    )
    landing_page: tuple[str, ...] = prop(DCAT.landingPage, Kind.IRIS)
    documentation: tuple[str, ...] = prop(FOAF.page, Kind.IRIS)
    in_series: tuple[str, ...] = prop(DCAT.inSeries, Kind.IRIS)
    prev: str | None = prop(DCAT.prev, Kind.IRI)
    has_version: tuple[str, ...] = prop(DCAT.hasVersion, Kind.IRIS)
    is_version_of: tuple[str, ...] = prop(DCAT.isVersionOf, Kind.IRIS)
    source: tuple[str, ...] = prop(DCT.source, Kind.IRIS)
    relation: tuple[str, ...] = prop(DCT.relation, Kind.IRIS)
    is_referenced_by: tuple[str, ...] = prop(DCT.isReferencedBy, Kind.IRIS)
    applicable_legislation: tuple[str, ...] = prop(DCATAP.applicableLegislation, Kind.IRIS)
    hvd_category: tuple[str, ...] = prop(DCATAP.hvdCategory, Kind.IRIS)
    has_policy: tuple[str, ...] = prop(ODRL.hasPolicy, Kind.IRIS)
    was_generated_by: tuple[Activity, ...] = prop(PROV.wasGeneratedBy, Kind.NODES, Activity)
    quality_annotation: tuple[QualityAnnotation, ...] = prop(
        DQV.hasQualityAnnotation, Kind.NODES, QualityAnnotation
    )
    # HealthDCAT-AP: who grants access (the health data access body) and what the data holds
    hdab: tuple[Agent, ...] = prop(HEALTHDCATAP.hdab, Kind.NODES, Agent)
    health_category: tuple[str, ...] = prop(HEALTHDCATAP.healthCategory, Kind.IRIS)
    health_theme: tuple[str, ...] = prop(HEALTHDCATAP.healthTheme, Kind.IRIS)
    coding_system: tuple[str, ...] = prop(HEALTHDCATAP.hasCodingSystem, Kind.IRIS)
    number_of_records: TypedValue | None = prop(HEALTHDCATAP.numberOfRecords, Kind.LIT)
    number_of_unique_individuals: TypedValue | None = prop(
        HEALTHDCATAP.numberOfUniqueIndividuals, Kind.LIT
    )
    min_typical_age: TypedValue | None = prop(HEALTHDCATAP.minTypicalAge, Kind.LIT)
    max_typical_age: TypedValue | None = prop(HEALTHDCATAP.maxTypicalAge, Kind.LIT)
    population_coverage: LangText = prop(HEALTHDCATAP.populationCoverage, Kind.TEXT)
    retention_period: tuple[PeriodOfTime, ...] = prop(
        HEALTHDCATAP.retentionPeriod, Kind.NODES, PeriodOfTime
    )
    # DPV (as HealthDCAT-AP uses it): legal basis, purposes, categories of personal data
    legal_basis: tuple[str, ...] = prop(DPV.hasLegalBasis, Kind.IRIS)
    purpose: tuple[str, ...] = prop(DPV.hasPurpose, Kind.IRIS)
    personal_data: tuple[str, ...] = prop(DPV.hasPersonalData, Kind.IRIS)

    def title_for(self, langs: list[str]) -> str | None:
        """The title in the best of ``langs`` (see :meth:`LangText.best`)."""
        return self.title.best(langs)

    def description_for(self, langs: list[str]) -> str | None:
        """The description in the best of ``langs``."""
        return self.description.best(langs)


@dataclass(frozen=True, kw_only=True)
class DatasetSeries(Dataset):
    """A ``dcat:DatasetSeries``: a dataset whose members point to it with ``dcat:inSeries``."""

    TYPE: ClassVar[URIRef | None] = DCAT.DatasetSeries

    first: str | None = prop(DCAT.first, Kind.IRI)
    last: str | None = prop(DCAT.last, Kind.IRI)
    series_member: tuple[str, ...] = prop(DCAT.seriesMember, Kind.IRIS)
