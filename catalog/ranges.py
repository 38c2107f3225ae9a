"""The classes DCAT-AP 3.0.1's ranges entail, stated on the way out.

DCAT-AP gives most properties a class as range: the value of ``dct:language`` is a
``dct:LinguisticSystem``, of ``dct:format`` a ``dct:MediaTypeOrExtent``, of
``dcat:mediaType`` a ``dct:MediaType``. Records rarely say so: a language is an EU
authority-table IRI with no type in the record, as in almost every catalogue. The official
shapes check these ranges with ``sh:class``, which needs the type triple in the data, and
SEMIC's validator adds it from "background knowledge" (the controlled vocabularies loaded
beside the data). An export that states the entailed types is what a reader applying the
profile's ranges would conclude anyway; it adds no fact the profile does not imply.

:func:`entailed_types` derives them, for the property and the class of its subject as the
profile defines them (``dct:type`` of a dataset is a ``skos:Concept``; ``dct:source`` of a
catalogue record is a record). Types lead to more types (a value typed as a distribution
gets its format typed), so the rule runs to a fixpoint, bounded by :data:`_ROUNDS`.

:func:`background` adds what SEMIC's background knowledge would add for the EU data themes:
their labels (a ``skos:Concept`` needs a ``skos:prefLabel``), so a record citing
``data-theme/ENVI`` with no label exports as a valid DCAT-AP document.

The table is the project's reading of the DCAT-AP 3.0.1 specification (its class ranges,
as the official shapes check them), written here; it is kept in step with the official
shapes by ``tests/catalog/test_ranges.py``. The exports (:mod:`catalog.federation.dcat_export`)
and validation (:mod:`catalog.validation`) both apply :func:`with_ranges`, so a record is
judged as it is exported.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

ADMS = "http://www.w3.org/ns/adms#"
DCAT = "http://www.w3.org/ns/dcat#"
DCATAP = "http://data.europa.eu/r5r/"
DCT = "http://purl.org/dc/terms/"
ELI = "http://data.europa.eu/eli/ontology#"
FOAF = "http://xmlns.com/foaf/0.1/"
LOCN = "http://www.w3.org/ns/locn#"
ODRL = "http://www.w3.org/ns/odrl/2/"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SPDX = "http://spdx.org/rdf/terms#"
TIME = "http://www.w3.org/2006/time#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

_CONCEPT = SKOS + "Concept"
_AGENT = FOAF + "Agent"
_DOCUMENT = FOAF + "Document"
_DATASET = DCAT + "Dataset"
_DISTRIBUTION = DCAT + "Distribution"
_SERVICE = DCAT + "DataService"
_CATALOG = DCAT + "Catalog"
_RECORD = DCAT + "CatalogRecord"
_LEGISLATION = (DCATAP + "applicableLegislation", ELI + "LegalResource")

# property -> class, per class of the subject (DCAT-AP 3.0.1, "range" of each property)
_RESOURCE_COMMON = {
    DCT + "publisher": _AGENT,
    DCT + "conformsTo": DCT + "Standard",
    DCT + "accessRights": DCT + "RightsStatement",
    DCAT + "contactPoint": VCARD + "Kind",
    DCAT + "landingPage": _DOCUMENT,
    DCAT + "theme": _CONCEPT,
    FOAF + "page": _DOCUMENT,
    _LEGISLATION[0]: _LEGISLATION[1],
}
RANGES: dict[str, dict[str, str]] = {
    _CATALOG: {
        DCT + "creator": _AGENT,
        DCT + "publisher": _AGENT,
        DCT + "hasPart": _CATALOG,
        DCT + "language": DCT + "LinguisticSystem",
        DCT + "license": DCT + "LicenseDocument",
        DCT + "rights": DCT + "RightsStatement",
        DCT + "spatial": DCT + "Location",
        DCT + "temporal": DCT + "PeriodOfTime",
        DCAT + "catalog": _CATALOG,
        DCAT + "dataset": _DATASET,
        DCAT + "record": _RECORD,
        DCAT + "service": _SERVICE,
        DCAT + "themeTaxonomy": SKOS + "ConceptScheme",
        FOAF + "homepage": _DOCUMENT,
        _LEGISLATION[0]: _LEGISLATION[1],
    },
    _RECORD: {
        DCT + "conformsTo": DCT + "Standard",
        DCT + "language": DCT + "LinguisticSystem",
        DCT + "source": _RECORD,
        FOAF + "primaryTopic": DCAT + "Resource",
        ADMS + "status": _CONCEPT,
    },
    _DATASET: {
        **_RESOURCE_COMMON,
        DCT + "accrualPeriodicity": DCT + "Frequency",
        DCT + "creator": _AGENT,
        DCT + "language": DCT + "LinguisticSystem",
        DCT + "provenance": DCT + "ProvenanceStatement",
        DCT + "source": _DATASET,
        DCT + "spatial": DCT + "Location",
        DCT + "temporal": DCT + "PeriodOfTime",
        DCT + "type": _CONCEPT,
        DCAT + "distribution": _DISTRIBUTION,
        DCAT + "hasVersion": _DATASET,
        DCAT + "inSeries": DCAT + "DatasetSeries",
        DCAT + "qualifiedRelation": DCAT + "Relationship",
        ADMS + "identifier": ADMS + "Identifier",
        ADMS + "sample": _DISTRIBUTION,
        PROV + "qualifiedAttribution": PROV + "Attribution",
        PROV + "wasGeneratedBy": PROV + "Activity",
    },
    DCAT + "DatasetSeries": {
        DCT + "accrualPeriodicity": DCT + "Frequency",
        DCT + "publisher": _AGENT,
        DCT + "spatial": DCT + "Location",
        DCT + "temporal": DCT + "PeriodOfTime",
        DCAT + "contactPoint": VCARD + "Kind",
        _LEGISLATION[0]: _LEGISLATION[1],
    },
    _SERVICE: {
        **_RESOURCE_COMMON,
        DCT + "format": DCT + "MediaTypeOrExtent",
        DCT + "license": DCT + "LicenseDocument",
        DCAT + "servesDataset": _DATASET,
    },
    _DISTRIBUTION: {
        DCT + "conformsTo": DCT + "Standard",
        DCT + "format": DCT + "MediaTypeOrExtent",
        DCT + "language": DCT + "LinguisticSystem",
        DCT + "license": DCT + "LicenseDocument",
        DCT + "rights": DCT + "RightsStatement",
        DCAT + "accessService": _SERVICE,
        DCAT + "compressFormat": DCT + "MediaType",
        DCAT + "mediaType": DCT + "MediaType",
        DCAT + "packageFormat": DCT + "MediaType",
        FOAF + "page": _DOCUMENT,
        ADMS + "status": _CONCEPT,
        DCATAP + "availability": _CONCEPT,
        SPDX + "checksum": SPDX + "Checksum",
        ODRL + "hasPolicy": ODRL + "Policy",
        _LEGISLATION[0]: _LEGISLATION[1],
    },
    DCAT + "Relationship": {DCAT + "hadRole": DCAT + "Role"},
    DCT + "LicenseDocument": {DCT + "type": _CONCEPT},
    DCT + "Location": {LOCN + "geometry": LOCN + "Geometry"},
    DCT + "PeriodOfTime": {
        TIME + "hasBeginning": TIME + "Instant",
        TIME + "hasEnd": TIME + "Instant",
    },
    _AGENT: {DCT + "type": _CONCEPT},
    SPDX + "Checksum": {SPDX + "algorithm": SPDX + "ChecksumAlgorithm"},
}
_ROUNDS = 6

#: Classes of described resources (records of their own): an untyped value gets one of
#: these only when the triples describe it. A bare reference to a dataset or a
#: distribution described elsewhere is left as it is (typing it would make the shapes
#: demand its whole description here).
DESCRIBED = frozenset(
    {_DATASET, DCAT + "DatasetSeries", _DISTRIBUTION, _SERVICE, _CATALOG, _RECORD}
    | {DCAT + "Resource", DCAT + "Relationship"}
)

ORG = "http://www.w3.org/ns/org#"
#: Subclasses the vocabularies declare (FOAF, ORG, vCard, DCMI terms, DCAT): a value typed
#: with one of these is also of the range class. A value typed with anything else gets no
#: range type, so a publisher typed as a vCard stays an error.
SUPERCLASSES: dict[str, frozenset[str]] = {
    DCAT + "DatasetSeries": frozenset({_DATASET, DCAT + "Resource"}),
    _CATALOG: frozenset({_DATASET, DCAT + "Resource"}),
    _DATASET: frozenset({DCAT + "Resource"}),
    _SERVICE: frozenset({DCAT + "Resource"}),
    FOAF + "Person": frozenset({_AGENT}),
    FOAF + "Organization": frozenset({_AGENT}),
    FOAF + "Group": frozenset({_AGENT}),
    ORG + "Organization": frozenset({_AGENT}),
    ORG + "FormalOrganization": frozenset({_AGENT}),
    ORG + "OrganizationalUnit": frozenset({_AGENT}),
    VCARD + "Individual": frozenset({VCARD + "Kind"}),
    VCARD + "Organization": frozenset({VCARD + "Kind"}),
    VCARD + "Group": frozenset({VCARD + "Kind"}),
    VCARD + "Location": frozenset({VCARD + "Kind"}),
    DCT + "MediaType": frozenset({DCT + "MediaTypeOrExtent"}),
    DCT + "Extent": frozenset({DCT + "MediaTypeOrExtent"}),
    DCT + "LicenseDocument": frozenset({DCT + "RightsStatement"}),
}

EU_DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme"
#: Background knowledge: the English labels of the EU data themes (the authority table
#: "data-theme"), which DCAT-AP's ``skos:Concept`` needs and records seldom repeat.
CONCEPT_LABELS: dict[str, str] = {
    EU_DATA_THEME + "/AGRI": "Agriculture, fisheries, forestry and food",
    EU_DATA_THEME + "/ECON": "Economy and finance",
    EU_DATA_THEME + "/EDUC": "Education, culture and sport",
    EU_DATA_THEME + "/ENER": "Energy",
    EU_DATA_THEME + "/ENVI": "Environment",
    EU_DATA_THEME + "/GOVE": "Government and public sector",
    EU_DATA_THEME + "/HEAL": "Health",
    EU_DATA_THEME + "/INTR": "International issues",
    EU_DATA_THEME + "/JUST": "Justice, legal system and public safety",
    EU_DATA_THEME + "/OP_DATPRO": "Provisional data",
    EU_DATA_THEME + "/REGI": "Regions and cities",
    EU_DATA_THEME + "/SOCI": "Population and society",
    EU_DATA_THEME + "/TECH": "Science and technology",
    EU_DATA_THEME + "/TRAN": "Transport",
}
#: … and the title of the table itself, a ``skos:ConceptScheme`` (``dcat:themeTaxonomy``).
SCHEME_TITLES: dict[str, str] = {EU_DATA_THEME: "Data theme"}
_PREF_LABEL = ox.NamedNode(SKOS + "prefLabel")
_TITLE = ox.NamedNode(DCT + "title")


def with_ranges(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """``triples`` with the types DCAT-AP's ranges entail and the EU theme labels: what the
    catalogue exports for them, and what it validates (SEMIC's "background knowledge")."""
    facts = list(triples)
    typed = facts + entailed_types(facts)
    return typed + background(typed)


def background(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Labels the EU data-theme table gives its concepts (and its own title), for the
    concepts and schemes in ``triples`` that have none there."""
    facts = list(triples)
    labelled = {t.subject for t in facts if t.predicate in (_PREF_LABEL, _TITLE)}
    out: list[ox.Triple] = []
    for t in facts:
        node = t.object
        if t.predicate != RDF_TYPE or t.subject in labelled:
            continue
        if not isinstance(t.subject, ox.NamedNode) or not isinstance(node, ox.NamedNode):
            continue
        if node.value == _CONCEPT and t.subject.value in CONCEPT_LABELS:
            label = CONCEPT_LABELS[t.subject.value]
            out.append(ox.Triple(t.subject, _PREF_LABEL, ox.Literal(label, language="en")))
            labelled.add(t.subject)
        elif node.value == SKOS + "ConceptScheme" and t.subject.value in SCHEME_TITLES:
            title = SCHEME_TITLES[t.subject.value]
            out.append(ox.Triple(t.subject, _TITLE, ox.Literal(title, language="en")))
            labelled.add(t.subject)
    return out


def entailed_types(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The ``rdf:type`` triples the DCAT-AP ranges entail for the values in ``triples`` that
    the triples do not type so already: a value with no type gets its range class (for the
    classes of :data:`DESCRIBED`, only when the triples describe it), a value typed with a
    subclass of it (:data:`SUPERCLASSES`) gets it too, a value typed otherwise nothing (a
    wrong type stays wrong). Literals have no class: they are left alone."""
    facts = list(triples)
    types: dict[ox.NamedNode | ox.BlankNode, set[str]] = {}
    for t in facts:
        subject, kind = t.subject, t.object
        if t.predicate != RDF_TYPE or not isinstance(kind, ox.NamedNode):
            continue
        if isinstance(subject, ox.NamedNode | ox.BlankNode):
            types.setdefault(subject, set()).add(kind.value)
    declared = {node: frozenset(kinds) for node, kinds in types.items()}
    described = {t.subject for t in facts if t.predicate != RDF_TYPE}
    added: list[ox.Triple] = []
    for _ in range(_ROUNDS):
        fresh: list[ox.Triple] = []
        for t in facts:
            value = t.object
            if not isinstance(value, ox.NamedNode | ox.BlankNode):
                continue
            subject = t.subject
            if isinstance(subject, ox.Triple):
                continue
            for cls in tuple(types.get(subject, ())):
                range_class = RANGES.get(cls, {}).get(t.predicate.value)
                if range_class is None or range_class in types.get(value, ()):
                    continue
                own = declared.get(value, frozenset())
                if own and not any(range_class in SUPERCLASSES.get(k, ()) for k in own):
                    continue
                if not own and range_class in DESCRIBED and value not in described:
                    continue
                types.setdefault(value, set()).add(range_class)
                fresh.append(ox.Triple(value, RDF_TYPE, ox.NamedNode(range_class)))
        if not fresh:
            break
        added.extend(fresh)
    return added
