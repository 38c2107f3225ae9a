"""The licence table (schemas/licences/licences.json): terms from the licence texts, IRI forms,
and every licence IRI the corpus and the connectors produce."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import pystac
import pytest
from lxml import etree
from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from rdflib import Graph
from rdflib.namespace import DCTERMS, RDF, SKOS

from catalog.errors import ConfigurationError, MappingError
from catalog.offers.licences import (
    DATA_FILE,
    DUTIES,
    TABLE,
    USES,
    LicenceTable,
    LicenceTerms,
    read_table,
)
from connectors.oai_pmh.language_mapping import LanguageRecordMapper
from connectors.stac.mapping import CollectionMapper

EU = "http://publications.europa.eu/resource/authority/licence/"
ALL = set(USES)
NC = ALL - {"commercial"}
ATT = {"attribution"}

# (IRI as a data space writes it, key, permits, requires, prohibits), each from the licence text
CASES = [
    # CC0 §2 waives every right for any purpose and sets no condition
    (EU + "CC0", "CC0-1.0", ALL, set(), set()),
    # PDDL §3 dedication; attribution is only a non-binding community norm
    ("http://opendatacommons.org/licenses/pddl/1.0/", "PDDL-1.0", ALL, set(), set()),
    # "Jede Nutzung ist ohne Einschränkungen oder Bedingungen zulässig"
    ("https://www.govdata.de/dl-de/zero-2-0", "DL-DE-ZERO-2.0", ALL, set(), set()),
    # Quellenvermerk: provider + licence text reference + changed data marked
    ("http://dcat-ap.de/def/licenses/dl-by-de/2.0", "DL-DE-BY-2.0", ALL, ATT | {"notice"}, set()),
    (EU + "CC_BY_4_0", "CC-BY-4.0", ALL, ATT, set()),
    # CC BY-NC 4.0 §1(i) NonCommercial, §2(a)(1) grant for NonCommercial purposes only
    ("http://spdx.org/licenses/CC-BY-NC-4.0", "CC-BY-NC-4.0", NC, ATT, {"commercial"}),
    # CC BY-NC-SA 3.0 §4(b) share-alike, §4(c) non-commercial
    (
        "http://creativecommons.org/licenses/by-nc-sa/3.0/",
        "CC-BY-NC-SA-3.0",
        NC,
        ATT | {"share-alike"},
        {"commercial"},
    ),
    # CC BY-ND 4.0 §2(a)(1)(B): Adapted Material never Shared; AI training left unsettled
    (
        EU + "CC_BYND_4_0",
        "CC-BY-ND-4.0",
        {"commercial", "distribution", "tdm"},
        ATT,
        {"derivatives"},
    ),
    (
        EU + "CC_BYNCND_3_0",
        "CC-BY-NC-ND-3.0",
        {"distribution", "tdm"},
        ATT,
        {"commercial", "derivatives"},
    ),
    # ODbL §4.3 attribution, §4.4 share alike
    (EU + "ODC_BL", "ODbL-1.0", ALL, ATT | {"share-alike"}, set()),
    # IODL 2.0 dropped IODL 1.0's share-alike: indicate the source, nothing else
    ("http://www.dati.gov.it/iodl/2.0/", "IODL-2.0", ALL, ATT, set()),
    ("http://www.formez.it/iodl/", "IODL-1.0", ALL, ATT | {"share-alike"}, set()),
    ("https://www.etalab.gouv.fr/licence-ouverte-open-licence", "etalab-2.0", ALL, ATT, set()),
    (
        "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
        "LO-1.0",
        ALL,
        ATT,
        set(),
    ),
    ("https://data.norge.no/nlod/en/2.0", "NLOD-2.0", ALL, ATT, set()),
    (
        "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "OGL-UK-3.0",
        ALL,
        ATT,
        set(),
    ),
    # Decision 2011/833/EU art. 6: reuse on condition of acknowledging the source
    (EU + "COM_REUSE", "COM-REUSE", ALL, ATT, set()),
    (EU + "GPL_3_0", "GPL-3.0-only", ALL, ATT | {"notice", "share-alike"}, set()),
    # Regulation 1159/2013 art. 3 free, full and open; art. 8 source and modifications
    (
        "http://data.europa.eu/eli/reg_del/2013/1159/oj",
        "COPERNICUS",
        ALL,
        ATT | {"notice"},
        set(),
    ),
    (
        "https://sentinel.esa.int/documents/247904/690755/Sentinel_Data_Legal_Notice",
        "SENTINEL-LEGAL-NOTICE",
        ALL,
        ATT | {"notice"},
        set(),
    ),
    # ELRA End-User art. 3/5 internal research only, art. 6 no derivative products, art. 7
    # no redistribution, art. 15 acknowledgement
    (
        "http://purl.org/NET/rdflicense/elra-end-user",
        "ELRA-END-USER",
        {"tdm", "ai-training"},
        ATT | {"non-commercial"},
        {"commercial", "derivatives", "distribution"},
    ),
    # ELRA VAR art. 6 may market derivative products, art. 7 never the resources themselves
    (
        "http://purl.org/NET/rdflicense/elra-var",
        "ELRA-VAR",
        {"commercial", "derivatives", "tdm", "ai-training"},
        ATT,
        {"distribution"},
    ),
    # META-SHARE NC NoReD §2.2(b) internal non-commercial use, (c) no redistribution, (g) no
    # commercial use; §2.1(c) non-commercial derivative products
    (
        "http://www.meta-net.eu/meta-share/meta-share-licenses/"
        "META-SHARE%20NonCommercial%20NoRedistribution-v%201.0.pdf",
        "MS-NC-NORED",
        {"derivatives", "tdm", "ai-training"},
        ATT | {"non-commercial"},
        {"commercial", "distribution"},
    ),
    (
        "http://purl.org/NET/rdflicense/ms-c-nored-ff",
        "MS-C-NORED-FF",
        {"commercial", "derivatives", "tdm", "ai-training"},
        ATT,
        {"distribution"},
    ),
]


@pytest.fixture(scope="module")
def table() -> LicenceTable:
    return LicenceTable()


@pytest.mark.parametrize(("iri", "key", "permits", "requires", "prohibits"), CASES)
def test_terms_follow_the_licence_text(table, iri, key, permits, requires, prohibits):
    entry = table.lookup(iri)
    assert entry is not None, iri
    assert (entry.key, set(entry.permits), set(entry.requires), set(entry.prohibits)) == (
        key,
        permits,
        requires,
        prohibits,
    )


def test_no_derivatives_leaves_ai_training_unsettled_and_no_invented_duties():
    nd = {e.key for e in TABLE if "derivatives" in e.prohibits}
    assert {"CC-BY-ND-4.0", "CC-BY-NC-ND-1.0", "MS-C-NORED-ND", "ELRA-END-USER"} <= nd
    for entry in TABLE:
        if "derivatives" in entry.prohibits and not entry.key.startswith("ELRA"):
            assert "ai-training" not in entry.permits | entry.prohibits, entry.key
    assert {e.key for e in TABLE if not e.requires} == {"CC0-1.0", "PDDL-1.0", "DL-DE-ZERO-2.0"}


@pytest.mark.parametrize(
    ("key", "is_open"),
    [
        ("CC-BY-SA-4.0", True),
        ("COPERNICUS", True),
        ("DL-DE-ZERO-2.0", True),
        ("IODL-1.0", True),
        ("CC-BY-NC-4.0", False),
        ("CC-BY-ND-2.5", False),
        ("MS-C-NORED", False),
        ("ELRA-VAR", False),
    ],
)
def test_open_means_open_definition(key, is_open):
    assert {entry.key: entry for entry in TABLE}[key].open is is_open


_SCHEMES = ("http://", "https://", "https://www.")
_CC_TAILS = ("", "/", "/legalcode", "/legalcode.en", "/legalcode.txt", "/deed.de", "/deed.zh-hans")


def _cc_forms(path: str) -> list[str]:
    return [f"{s}creativecommons.org/{path}{t}" for s in _SCHEMES for t in _CC_TAILS]


@pytest.mark.parametrize("entry", [e for e in TABLE if e.key.startswith("CC")], ids=lambda e: e.key)
def test_every_iri_form_of_a_creative_commons_licence(table, entry):
    [cc] = [a for a in entry.aliases if "creativecommons.org/" in a and "/public-domain/" not in a]
    path = cc.split("creativecommons.org/", 1)[1].rstrip("/")
    eu = [a for a in entry.aliases if a.startswith(EU)]
    spdx = [
        f"{s}spdx.org/licenses/{entry.key}{x}" for s in _SCHEMES for x in ("", ".html", ".json")
    ]
    forms = _cc_forms(path) + spdx
    forms += [v for a in eu for v in (a, a.replace("http:", "https:"), a + "/")]
    assert eu, f"{entry.key} has no EU authority IRI"
    assert {f: table.lookup(f) for f in forms} == dict.fromkeys(forms, entry)


@pytest.mark.parametrize(
    "iri",
    [
        "https://data.europa.eu/eli/reg_del/2013/1159/oj",
        "https://eur-lex.europa.eu/eli/reg_del/2013/1159/oj/eng",
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32013R1159",
        "https://eur-lex.europa.eu/legal-content/DE/ALL/?uri=CELEX%3A32013R1159",
        "https://eur-lex.europa.eu/legal-content/EN/TXT/PDF/?uri=CELEX:32013R1159&from=EN",
    ],
)
def test_copernicus_regulation_in_eli_and_eur_lex_forms(table, iri):
    assert table.lookup(iri) is table.lookup("http://data.europa.eu/eli/reg_del/2013/1159/oj")
    assert table.lookup(iri) is not None


@pytest.mark.parametrize(
    "iri",
    [
        "http://creativecommons.org/licenses/by/3.0/de/",  # a ported licence, not 3.0 Unported
        "http://spdx.org/licenses/CC-BY-3.0-DE",
        "http://spdx.org/licenses/CC-BY-4.0-extra",
        EU + "OP_DATPRO",  # "provisional data": no licence text to map
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32013R1158",
    ],
)
def test_near_misses_stay_unknown(table, iri):
    assert table.lookup(iri) is None


#: SPDX ids the data spaces use that must be keys of the table (besides CC 3.0 and 4.0)
REQUESTED = """CC0-1.0 PDDL-1.0 ODC-By-1.0 ODbL-1.0 EUPL-1.1 EUPL-1.2 Apache-2.0 MIT GPL-3.0-only
DL-DE-BY-2.0 DL-DE-ZERO-2.0 etalab-2.0 NLOD-1.0 NLOD-2.0 OGL-UK-3.0 CC-BY-1.0 CC-BY-2.0 CC-BY-2.5"""


def test_keys_are_spdx_ids_exactly_where_the_file_says_so():
    rows = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    for row in rows["licences"]:
        if row["spdx"]:
            assert canonicalize_license_expression(row["key"]) == row["key"]
        else:
            with pytest.raises(InvalidLicenseExpression):
                canonicalize_license_expression(row["key"])
        assert row["source"].strip(), row["key"]
    requested = set(REQUESTED.split()) | {
        f"CC-{kind}-{version}"
        for kind in ("BY", "BY-SA", "BY-NC", "BY-NC-SA", "BY-ND", "BY-NC-ND")
        for version in ("3.0", "4.0")
    }
    assert requested <= {row["key"] for row in rows["licences"] if row["spdx"]}


def test_every_eu_authority_concept_and_its_exact_match(table, corpus):
    g = Graph().parse(corpus / "dcat-ap" / "vocabularies" / "licences-skos.rdf")
    shared = {  # exactMatch IRIs naming several licences (or an index page): not aliases
        "https://joinup.ec.europa.eu/collection/eupl/eupl-text-11-12",
        "http://www.gnu.org/licenses/licenses.html",
    }
    concepts = set(g.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) == 47
    for concept in concepts:
        entry = table.lookup(str(concept))
        if str(concept) == EU + "OP_DATPRO":
            assert entry is None
            continue
        assert entry is not None, concept
        for match in {str(m) for m in g.objects(concept, SKOS.exactMatch)} - shared:
            assert table.lookup(match) is entry, (concept, match)
        label = str(next(v for v in g.objects(concept, SKOS.prefLabel) if v.language == "en"))
        version = re.search(r"Creative Commons .* (\d\.\d)", label)
        if version:
            assert entry.key.endswith(version.group(1)), (concept, entry.key)


def _sentinel_collections(corpus: Path) -> list[pystac.Collection]:
    out = []
    for path in ("sentinel1/collection.json", "sentinel2/l2a-collection/collection.json"):
        doc = json.loads((corpus / "stac" / path).read_text())
        # keep license/about links, drop the relative navigation links (no I/O in tests)
        doc["links"] = [x for x in doc["links"] if x["rel"] in ("license", "about")]
        collection = pystac.Collection.from_dict(doc)
        collection.set_self_href(f"https://stac.example/collections/{collection.id}")
        out.append(collection)
    return out


def test_every_licence_the_stac_connector_writes_for_sentinel_is_known(table, corpus):
    written = set()
    for collection in _sentinel_collections(corpus):
        _, triples = CollectionMapper().map(collection, [], None, None)
        written |= {t.object.value for t in triples if t.predicate.value == str(DCTERMS.license)}
    assert written == {"http://data.europa.eu/eli/reg_del/2013/1159/oj"}
    assert {table.lookup(iri).key for iri in written} == {"COPERNICUS"}


# Licence IRIs in the corpus that name no licence of the table, and why.
NOT_LISTED = {
    "https://data.exampleMS.gov/resource/FreeAndOpen": "DCAT-AP HVD example member-state licence",
    "https://data.exampleMS.gov/resource/NoCommercialUseWithFees": "DCAT-AP HVD example",
    "https://orgea.exampleMS.gov/api/documentation/TermsOfUse": "DCAT-AP HVD example terms",
    "https://data.some.org/link/to/license": "ckanext-dcat placeholder",
    "https://url.to.license": "ckanext-dcat placeholder",
    "https://resources.data.gov/vocab/license/TODO/CC_BYNC_4_0": "placeholder path, not published",
    "https://datos.madrid.es/egob/catalogo/aviso-legal": "Madrid city council's own legal notice",
    "https://www.w3.org/Consortium/Legal/2002/ipr-notice-20021231#Copyright/": "W3C doc notice",
    "https://www.indigoag.com/forms/atlas-sentinel-license": "a vendor's licence for its product",
}
_LICENCE_KEYS = {"license", "licence", "license_url", "dct:license", "dcterms:license"}
_TURTLE = re.compile(r"(?:dct|dcterms):license\s+<(https?://[^>\s]+)>")
_XML = re.compile(r"<(?:dct|dcterms):license\s+rdf:resource=\"(https?://[^\"]+)\"")


def _json_licences(node: Any, under: bool = False) -> set[str]:
    if isinstance(node, str):
        return {node} if under and node.startswith(("http://", "https://")) else set()
    if isinstance(node, list):
        return {iri for item in node for iri in _json_licences(item, under)}
    if not isinstance(node, dict):
        return set()
    found = _json_licences(node.get("@id") or node.get("uri"), under) if under else set()
    for key, value in node.items():
        if key == "@context":  # term definitions, not licences
            continue
        name = key.rsplit("/", 1)[-1] if key.startswith("http") else key
        found |= _json_licences(value, name.lower() in _LICENCE_KEYS)
    return found


def _rdf_licences(path: Path) -> set[str]:
    fmt = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml"}[path.suffix]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = Graph().parse(path, format=fmt)
    except Exception:  # the corpus keeps files that do not parse: read those as text
        text = path.read_text(encoding="utf-8", errors="replace")
        return set(_TURTLE.findall(text)) | set(_XML.findall(text))
    # a licence IRI written as a literal (ckanext-dcat's dataset_afs.ttl) is read all the same
    return {str(o) for o in g.objects(None, DCTERMS.license) if str(o).startswith("http")}


def _language_licences(path: Path) -> set[str]:
    root = etree.parse(str(path)).getroot()
    records = [m[0] for m in root.iter("{*}metadata") if len(m)] or [root]
    found = set()
    for record in records:
        try:
            triples = LanguageRecordMapper().map("https://lr.example/r", record)
        except MappingError:  # OAI-PMH Identify / ListMetadataFormats answers hold no record
            continue
        found |= {
            t.object.value
            for t in triples
            if t.predicate.value == str(DCTERMS.license) and t.object.value.startswith("http")
        }
    return found


@pytest.fixture(scope="module")
def corpus_licences(corpus: Path) -> set[str]:
    found: set[str] = set()
    for folder in ("dcat-ap", "geodcat-ap", "healthdcat-ap", "ckan", "croissant", "odrl"):
        for path in sorted((corpus / folder).rglob("*")):
            if path.suffix in (".ttl", ".nt", ".rdf"):
                found |= _rdf_licences(path)
            elif path.suffix in (".json", ".jsonld"):
                try:
                    found |= _json_licences(json.loads(path.read_text(encoding="utf-8")))
                except ValueError:  # croissant/full_croissant_dataset.jsonld: invalid JSON
                    continue
    for path in sorted((corpus / "language").rglob("*.xml")):
        found |= _language_licences(path)
    for item in sorted((corpus / "stac").rglob("S*.json")):
        links = json.loads(item.read_text())["links"]
        found |= {x["href"] for x in links if x["rel"] == "license"}
    return found


def test_corpus_licence_iris_are_found_or_named_as_not_listed(table, corpus_licences):
    unknown = {iri for iri in corpus_licences if table.lookup(iri) is None}
    assert unknown == set(NOT_LISTED)
    for must in (
        EU + "CC_BYNCND_3_0",  # HealthDCAT-AP
        "http://creativecommons.org/licenses/by-nc/2.0/",  # ckanext-dcat
        "https://creativecommons.org/public-domain/cc0/",  # Health-RI
        "https://opensource.org/license/mit",
        "http://www.opendefinition.org/licenses/cc-by",  # CKAN demo
        "http://spdx.org/licenses/LGPL-3.0-only",  # written by the language connector
        "http://creativecommons.org/licenses/by-nc-sa/3.0/",  # CLARIN CMDI
        "https://scihub.copernicus.eu/twiki/do/view/SciHubWebPortal/TermsConditions",
    ):
        assert must in corpus_licences
        assert table.lookup(must) is not None


def test_the_data_file_ships_in_the_schemas_package():
    assert DATA_FILE.is_file()
    assert (DATA_FILE.parent / "README.md").is_file()
    assert len(read_table()) == len(TABLE) == len(LicenceTable()) > 60


def _write(tmp_path: Path, *rows: dict, uses: tuple = USES) -> Path:
    path = tmp_path / "licences.json"
    doc = {"uses": list(uses), "duties": list(DUTIES), "licences": list(rows)}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


ROW = {"key": "X-1", "label": "X", "permits": ["tdm"], "aliases": ["https://x.example/1"]}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{**ROW, "permits": ["mining"]}], "permits must list"),
        ([{**ROW, "requires": ["payment"]}], "requires must list"),
        ([{**ROW, "prohibits": ["tdm"]}], "both permitted and prohibited"),
        ([ROW, {**ROW, "aliases": []}], "listed twice"),
        ([ROW, {**ROW, "key": "Y-1", "aliases": ["http://www.x.example/1/"]}], "names both"),
        ([{"key": "X-1"}], "needs a 'key' and a 'label'"),
    ],
)
def test_a_broken_table_is_refused(tmp_path, rows, message):
    with pytest.raises(ConfigurationError, match=message):
        read_table(_write(tmp_path, *rows))


def test_a_table_whose_vocabulary_drifted_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="uses and duties"):
        read_table(_write(tmp_path, ROW, uses=(*USES, "mining")))


def test_put_replaces_a_mapping_in_a_copy_only(table):
    iri = EU + "CC_BY_4_0"
    other = table.copy()
    replacement = LicenceTerms("OWN", "own", frozenset(), aliases=(iri,))
    other.put(replacement)
    assert other.lookup(iri) is replacement and other.version == table.version + 1
    assert table.lookup(iri).key == "CC-BY-4.0"
    assert len(other) == len(table) + 1
