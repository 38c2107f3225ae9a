"""Small resources used by several classes: licences, rights, time, places, checksums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rdflib import URIRef

from catalog.model.base import Kind, Resource, prop
from catalog.model.values import LangText, TypedValue
from catalog.namespaces import ADMS, DCAT, DCT, DQV, LOCN, OA, PROV, RDFS, SCHEMA, SKOS, SPDX, TIME


@dataclass(frozen=True, kw_only=True)
class LicenseDocument(Resource):
    """A ``dct:LicenseDocument``: usually just an IRI, optionally a label and a type."""

    TYPE: ClassVar[URIRef | None] = None

    label: LangText = prop(RDFS.label, Kind.TEXT)
    title: LangText = prop(DCT.title, Kind.TEXT)
    type: str | None = prop(DCT.type, Kind.IRI)

    def name_for(self, langs: list[str]) -> str | None:
        """What the record calls the licence (its title, else its label), if anything."""
        return self.title.best(langs) or self.label.best(langs)


@dataclass(frozen=True, kw_only=True)
class RightsStatement(Resource):
    """A ``dct:RightsStatement``: an IRI or a labelled blank node."""

    TYPE: ClassVar[URIRef | None] = None

    label: LangText = prop(RDFS.label, Kind.TEXT)


@dataclass(frozen=True, kw_only=True)
class ProvenanceStatement(Resource):
    """A ``dct:ProvenanceStatement``: how the data came to be, in words."""

    TYPE: ClassVar[URIRef | None] = None

    label: LangText = prop(RDFS.label, Kind.TEXT)


@dataclass(frozen=True, kw_only=True)
class TimeInstant(Resource):
    """A ``time:Instant`` (the OWL-Time form of a period's start or end)."""

    TYPE: ClassVar[URIRef | None] = TIME.Instant

    in_xsd_date: TypedValue | None = prop(TIME.inXSDDate, Kind.LIT)
    in_xsd_date_time: TypedValue | None = prop(TIME.inXSDDateTime, Kind.LIT)
    in_xsd_date_time_stamp: TypedValue | None = prop(TIME.inXSDDateTimeStamp, Kind.LIT)

    @property
    def value(self) -> TypedValue | None:
        return self.in_xsd_date_time_stamp or self.in_xsd_date_time or self.in_xsd_date


@dataclass(frozen=True, kw_only=True)
class PeriodOfTime(Resource):
    """A ``dct:PeriodOfTime``: ``dcat:startDate``/``dcat:endDate``, or the OWL-Time or
    schema.org forms found in older records (all read, each written back as it was read)."""

    TYPE: ClassVar[URIRef | None] = DCT.PeriodOfTime

    start_date: TypedValue | None = prop(DCAT.startDate, Kind.LIT)
    end_date: TypedValue | None = prop(DCAT.endDate, Kind.LIT)
    has_beginning: TimeInstant | None = prop(TIME.hasBeginning, Kind.NODE, TimeInstant)
    has_end: TimeInstant | None = prop(TIME.hasEnd, Kind.NODE, TimeInstant)
    schema_start_date: TypedValue | None = prop(SCHEMA.startDate, Kind.LIT)
    schema_end_date: TypedValue | None = prop(SCHEMA.endDate, Kind.LIT)

    @property
    def start(self) -> TypedValue | None:
        """The start, whichever form the record used."""
        begin = self.has_beginning.value if self.has_beginning else None
        return self.start_date or begin or self.schema_start_date

    @property
    def end(self) -> TypedValue | None:
        """The end, whichever form the record used."""
        end = self.has_end.value if self.has_end else None
        return self.end_date or end or self.schema_end_date


@dataclass(frozen=True, kw_only=True)
class Location(Resource):
    """A ``dct:Location``: an IRI (e.g. a country), or a bounding box, centroid, geometry."""

    TYPE: ClassVar[URIRef | None] = None

    bbox: tuple[TypedValue, ...] = prop(DCAT.bbox, Kind.LITS)
    centroid: tuple[TypedValue, ...] = prop(DCAT.centroid, Kind.LITS)
    geometry: tuple[TypedValue, ...] = prop(LOCN.geometry, Kind.LITS)
    pref_label: LangText = prop(SKOS.prefLabel, Kind.TEXT)


@dataclass(frozen=True, kw_only=True)
class Checksum(Resource):
    """An ``spdx:Checksum``: algorithm IRI and hexadecimal value."""

    TYPE: ClassVar[URIRef | None] = SPDX.Checksum

    algorithm: str | None = prop(SPDX.algorithm, Kind.IRI)
    checksum_value: TypedValue | None = prop(SPDX.checksumValue, Kind.LIT)


@dataclass(frozen=True, kw_only=True)
class Identifier(Resource):
    """An ``adms:Identifier``: a notation and the agency that issued its scheme."""

    TYPE: ClassVar[URIRef | None] = ADMS.Identifier

    notation: tuple[TypedValue, ...] = prop(SKOS.notation, Kind.LITS)
    schema_agency: LangText = prop(ADMS.schemaAgency, Kind.TEXT)
    creator: tuple[str, ...] = prop(DCT.creator, Kind.IRIS)


@dataclass(frozen=True, kw_only=True)
class Relationship(Resource):
    """A ``dcat:Relationship``: a related resource and the role of the relation."""

    TYPE: ClassVar[URIRef | None] = DCAT.Relationship

    relation: tuple[str, ...] = prop(DCT.relation, Kind.IRIS)
    had_role: tuple[str, ...] = prop(DCAT.hadRole, Kind.IRIS)


@dataclass(frozen=True, kw_only=True)
class Activity(Resource):
    """A ``prov:Activity`` that generated a dataset (``prov:wasGeneratedBy``): what was done
    (label, title, type) and when."""

    TYPE: ClassVar[URIRef | None] = PROV.Activity

    label: LangText = prop(RDFS.label, Kind.TEXT)
    title: LangText = prop(DCT.title, Kind.TEXT)
    type: tuple[str, ...] = prop(DCT.type, Kind.IRIS)
    started_at: TypedValue | None = prop(PROV.startedAtTime, Kind.LIT)
    ended_at: TypedValue | None = prop(PROV.endedAtTime, Kind.LIT)
    see_also: tuple[str, ...] = prop(RDFS.seeAlso, Kind.IRIS)


@dataclass(frozen=True, kw_only=True)
class QualityAnnotation(Resource):
    """A ``dqv:QualityAnnotation`` (or ``dqv:QualityCertificate``): a Web Annotation whose
    body (a certificate, a report) says something about the dataset's quality."""

    TYPE: ClassVar[URIRef | None] = DQV.QualityAnnotation

    body: tuple[str, ...] = prop(OA.hasBody, Kind.IRIS)
    target: tuple[str, ...] = prop(OA.hasTarget, Kind.IRIS)
    motivated_by: tuple[str, ...] = prop(OA.motivatedBy, Kind.IRIS)
    label: LangText = prop(RDFS.label, Kind.TEXT)
