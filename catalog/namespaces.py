"""Every RDF namespace the catalogue uses, in one module.

rdflib's built-in ``DCAT`` is DCAT 2 and lacks ``DatasetSeries`` and ``inSeries``; ``DCAT``
here is a closed DCAT 3 namespace, so a typo in a term raises an error instead of minting
a new IRI.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace


class DCAT(DefinedNamespace):
    """W3C Data Catalog Vocabulary, version 3 (closed)."""

    _NS = Namespace("http://www.w3.org/ns/dcat#")
    _fail = True

    # classes
    Catalog: URIRef
    CatalogRecord: URIRef
    DataService: URIRef
    Dataset: URIRef
    DatasetSeries: URIRef
    Distribution: URIRef
    Relationship: URIRef
    Resource: URIRef
    Role: URIRef
    # properties
    accessService: URIRef
    accessURL: URIRef
    bbox: URIRef
    byteSize: URIRef
    catalog: URIRef
    centroid: URIRef
    compressFormat: URIRef
    contactPoint: URIRef
    dataset: URIRef
    distribution: URIRef
    downloadURL: URIRef
    endDate: URIRef
    endpointDescription: URIRef
    endpointURL: URIRef
    first: URIRef
    hadRole: URIRef
    hasCurrentVersion: URIRef
    hasVersion: URIRef
    inCatalog: URIRef
    inSeries: URIRef
    isVersionOf: URIRef
    keyword: URIRef
    landingPage: URIRef
    last: URIRef
    mediaType: URIRef
    next: URIRef
    packageFormat: URIRef
    prev: URIRef
    previousVersion: URIRef
    qualifiedRelation: URIRef
    record: URIRef
    seriesMember: URIRef
    servesDataset: URIRef
    service: URIRef
    spatialResolutionInMeters: URIRef
    startDate: URIRef
    temporalResolution: URIRef
    theme: URIRef
    themeTaxonomy: URIRef
    version: URIRef


DCT = DCTERMS
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
DPV = Namespace("https://w3id.org/dpv#")
HEALTHDCATAP = Namespace("http://healthdataportal.eu/ns/health#")
GEODCATAP = Namespace("http://data.europa.eu/930/")
SCHEMA = Namespace("http://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DSPACE = Namespace("https://w3id.org/dspace/2025/1/")
CNT = Namespace("http://www.w3.org/2011/content#")
TIME = Namespace("http://www.w3.org/2006/time#")
OA = Namespace("http://www.w3.org/ns/oa#")

# EU vocabularies (Publications Office authority tables)
EU_ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")
EU_LICENCE = Namespace("http://publications.europa.eu/resource/authority/licence/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_DATA_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
#: IANA media types, in the form DCAT-AP's examples and the EU vocabularies use (http://).
IANA_MEDIA_TYPES = "http://www.iana.org/assignments/media-types/"

# The project's own small vocabulary (schemas/vocab/datalab.ttl)
DLAB = Namespace("https://w3id.org/datalab/ns#")
# Data spaces a dataset belongs to (objects of dlab:dataSpace)
DATASPACE = Namespace("https://w3id.org/datalab/dataspace/")

#: The catalogue's bookkeeping on dataset records: kept in the store, never exported.
#: Public project terms (``dlab:dataSpace``, lab and offer terms) are not in this set.
INTERNAL_PREDICATES: frozenset[str] = frozenset(
    str(DLAB) + name
    for name in (
        "datasetId",
        "harvestSource",
        "sourceRecordId",
        "harvestPage",
        "harvestedAt",
        "recordHash",
        "harvestJob",
    )
)

PREFIXES: dict[str, str] = {
    "dcat": str(DCAT._NS),
    "dct": str(DCT),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "adms": str(ADMS),
    "dcatap": str(DCATAP),
    "odrl": str(ODRL),
    "spdx": str(SPDX),
    "locn": str(LOCN),
    "dqv": str(DQV),
    "dpv": str(DPV),
    "healthdcatap": str(HEALTHDCATAP),
    "geodcatap": str(GEODCATAP),
    "prov": str(PROV),
    "org": str(ORG),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "xsd": str(XSD),
    "schema": str(SCHEMA),
    "sh": str(SH),
    "hydra": str(HYDRA),
    "time": str(TIME),
    "dlab": str(DLAB),
}


def sparql_prefixes() -> str:
    """The PREFIX header shared by the catalogue's own SPARQL queries."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


__all__ = [
    "ADMS",
    "CNT",
    "DATASPACE",
    "DCAT",
    "DCATAP",
    "DCT",
    "DLAB",
    "DPV",
    "DQV",
    "DSPACE",
    "EU_ACCESS_RIGHT",
    "EU_COUNTRY",
    "EU_DATA_THEME",
    "EU_FILE_TYPE",
    "EU_FREQUENCY",
    "EU_LANGUAGE",
    "EU_LICENCE",
    "FOAF",
    "GEODCATAP",
    "HEALTHDCATAP",
    "HYDRA",
    "IANA_MEDIA_TYPES",
    "INTERNAL_PREDICATES",
    "LOCN",
    "OA",
    "ODRL",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SH",
    "SKOS",
    "SPDX",
    "TIME",
    "VCARD",
    "XSD",
    "sparql_prefixes",
]
