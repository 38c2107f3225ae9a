"""The CKAN fields ckanext-dcat defines, with their DCAT-AP / HealthDCAT-AP property: one table
read both ways.

The CKAN API (:mod:`catalog.federation.ckan_package`) writes these fields from a record and
the CKAN connector (``connectors/ckan/mapping.py``) reads them back, so a record exported
and harvested again keeps them. Field names are ckanext-dcat's (``euro_dcat_ap_3`` and
``euro_health_dcat_ap``); each travels as an ``extra`` (lists as JSON, as ckanext-dcat's
classic profiles store them) or at the top level of a scheming package (read too).

Kinds: ``iri`` (a list of IRIs), ``text`` (literals; language-tagged ones also travel in
``<field>_translated`` as ``{lang: [values]}``), ``typed`` (one literal of the given XSD
datatype), ``date`` (``xsd:date`` or ``xsd:dateTime``, by the value's form).
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.namespaces import IANA_MEDIA_TYPES

ADMS = "http://www.w3.org/ns/adms#"
DCAT = "http://www.w3.org/ns/dcat#"
DCATAP = "http://data.europa.eu/r5r/"
DCT = "http://purl.org/dc/terms/"
DPV = "https://w3id.org/dpv#"
FOAF = "http://xmlns.com/foaf/0.1/"
HEALTH = "http://healthdataportal.eu/ns/health#"
OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
LOCN = "http://www.w3.org/ns/locn#"
#: IANA's media types, as the catalogue writes them (one spelling: catalog.namespaces).
IANA = IANA_MEDIA_TYPES
#: The ``https://`` spelling records harvested before may hold.
IANA_HTTPS = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class Field:
    """One CKAN field and the property it stands for."""

    key: str
    prop: str
    kind: str  # "iri" | "text" | "typed" | "date"
    datatype: str | None = None


#: Dataset fields besides the CKAN core ones (title, notes, tags, url, organisation...).
DATASET_FIELDS: tuple[Field, ...] = (
    Field("identifier", DCT + "identifier", "text"),
    Field("alternate_identifier", ADMS + "identifier", "text"),
    Field("version", OWL + "versionInfo", "text"),
    Field("version_notes", ADMS + "versionNotes", "text"),
    Field("issued", DCT + "issued", "date"),
    Field("modified", DCT + "modified", "date"),
    Field("theme", DCAT + "theme", "iri"),
    Field("language", DCT + "language", "iri"),
    Field("conforms_to", DCT + "conformsTo", "iri"),
    Field("documentation", FOAF + "page", "iri"),
    Field("related_resource", DCT + "relation", "iri"),
    Field("has_version", DCT + "hasVersion", "iri"),
    Field("is_version_of", DCT + "isVersionOf", "iri"),
    Field("is_referenced_by", DCT + "isReferencedBy", "iri"),
    Field("source", DCT + "source", "iri"),
    Field("sample", ADMS + "sample", "iri"),
    Field("spatial_uri", DCT + "spatial", "iri"),
    Field("frequency", DCT + "accrualPeriodicity", "iri"),
    Field("dcat_type", DCT + "type", "iri"),
    Field("access_rights", DCT + "accessRights", "iri"),
    Field("applicable_legislation", DCATAP + "applicableLegislation", "iri"),
    Field("in_series", DCAT + "inSeries", "iri"),
    Field(
        "spatial_resolution_in_meters", DCAT + "spatialResolutionInMeters", "typed", XSD + "decimal"
    ),
    Field("temporal_resolution", DCAT + "temporalResolution", "typed", XSD + "duration"),
    # HealthDCAT-AP (ckanext-dcat's euro_health_dcat_ap profile)
    Field("analytics", HEALTH + "analytics", "iri"),
    Field("code_values", HEALTH + "hasCodeValues", "iri"),
    Field("coding_system", HEALTH + "hasCodingSystem", "iri"),
    Field("health_category", HEALTH + "healthCategory", "iri"),
    Field("health_theme", HEALTH + "healthTheme", "iri"),
    Field("max_typical_age", HEALTH + "maxTypicalAge", "typed", XSD + "nonNegativeInteger"),
    Field("min_typical_age", HEALTH + "minTypicalAge", "typed", XSD + "nonNegativeInteger"),
    Field("number_of_records", HEALTH + "numberOfRecords", "typed", XSD + "nonNegativeInteger"),
    Field(
        "number_of_unique_individuals",
        HEALTH + "numberOfUniqueIndividuals",
        "typed",
        XSD + "nonNegativeInteger",
    ),
    Field("population_coverage", HEALTH + "populationCoverage", "text"),
    Field("publisher_note", HEALTH + "publisherNote", "text"),
    Field("publisher_type", HEALTH + "publisherType", "iri"),
    Field("legal_basis", DPV + "hasLegalBasis", "iri"),
    Field("personal_data", DPV + "hasPersonalData", "iri"),
    Field("purpose", DPV + "hasPurpose", "iri"),
)

#: Resource fields besides name, description, url, format and mimetype.
RESOURCE_FIELDS: tuple[Field, ...] = (
    Field("issued", DCT + "issued", "date"),
    Field("modified", DCT + "modified", "date"),
    Field("language", DCT + "language", "iri"),
    Field("documentation", FOAF + "page", "iri"),
    Field("conforms_to", DCT + "conformsTo", "iri"),
    Field("applicable_legislation", DCATAP + "applicableLegislation", "iri"),
    Field("access_services", DCAT + "accessService", "iri"),
    Field("status", ADMS + "status", "iri"),
    Field("compress_format", DCAT + "compressFormat", "iri"),
    Field("package_format", DCAT + "packageFormat", "iri"),
    Field(
        "spatial_resolution_in_meters", DCAT + "spatialResolutionInMeters", "typed", XSD + "decimal"
    ),
    Field("temporal_resolution", DCAT + "temporalResolution", "typed", XSD + "duration"),
)

#: Structured dataset fields (lists of objects): agents and periods.
AGENT_FIELDS = {
    "publisher": DCT + "publisher",
    "creator": DCT + "creator",
    "hdab": HEALTH + "hdab",
}
PERIOD_FIELDS = {
    "temporal_coverage": DCT + "temporal",
    "retention_period": HEALTH + "retentionPeriod",
}


def date_type(value: str) -> str:
    """``xsd:dateTime`` for a value with a time, else ``xsd:date``."""
    return XSD + ("dateTime" if "T" in value else "date")
