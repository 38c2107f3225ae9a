"""Human labels, in the visitor's language, for the codes the pages show.

One table per kind of code (access levels, verdicts, data spaces, themes, file types,
licences, languages, countries, access modes…), each code with its English label and,
where known, German and French ones. Every page shows a code through :func:`label` (the
``label`` filter of the templates, which knows the page's language), so a code reads the
same everywhere; a code no table knows is shown as the record's own label for it when the
record gives one (``extra``), else as its last IRI segment, underscores as spaces.

The access levels, themes and data spaces are the search facets' own tables
(:mod:`catalog.search.vocab`): one label per access level, on the search page and the
dataset page alike.
"""

from __future__ import annotations

from collections.abc import Mapping

from catalog.offers.org_types import ORG_TYPE_LABELS
from catalog.offers.purposes import PURPOSES
from catalog.offers.rules import MODE_LABEL
from catalog.search.vocab import ACCESS_LEVELS, DATA_SPACES, THEMES

PAGE_LANGUAGES = ("en", "de", "fr")

L = dict[str, str]


def _t(en: str, de: str | None = None, fr: str | None = None) -> L:
    out = {"en": en}
    if de:
        out["de"] = de
    if fr:
        out["fr"] = fr
    return out


def _page_langs(table: Mapping[str, Mapping[str, str]]) -> dict[str, L]:
    return {
        code: {k: v for k, v in labels.items() if k in PAGE_LANGUAGES}
        for code, labels in table.items()
    }


def _access() -> dict[str, L]:
    """The search facet's access levels, under their facet values (``non-public``) and the
    facts' level names (``non_public``) and EU access-right codes (``NON_PUBLIC``)."""
    table = _page_langs(ACCESS_LEVELS)
    for code in list(table):
        table.setdefault(code.replace("-", "_"), table[code])
    for code, level in (("PUBLIC", "public"), ("RESTRICTED", "restricted")):
        table[code] = table[level]
    table["NON_PUBLIC"] = table["non-public"]
    table["ACA"] = table["academic"]
    return table


_EU_LANGUAGES: dict[str, L] = {
    "BUL": _t("Bulgarian", "Bulgarisch", "bulgare"),
    "CES": _t("Czech", "Tschechisch", "tchèque"),
    "DAN": _t("Danish", "Dänisch", "danois"),
    "DEU": _t("German", "Deutsch", "allemand"),
    "ELL": _t("Greek", "Griechisch", "grec"),
    "ENG": _t("English", "Englisch", "anglais"),
    "EST": _t("Estonian", "Estnisch", "estonien"),
    "FIN": _t("Finnish", "Finnisch", "finnois"),
    "FRA": _t("French", "Französisch", "français"),
    "GLE": _t("Irish", "Irisch", "irlandais"),
    "HRV": _t("Croatian", "Kroatisch", "croate"),
    "HUN": _t("Hungarian", "Ungarisch", "hongrois"),
    "ITA": _t("Italian", "Italienisch", "italien"),
    "LAV": _t("Latvian", "Lettisch", "letton"),
    "LIT": _t("Lithuanian", "Litauisch", "lituanien"),
    "MLT": _t("Maltese", "Maltesisch", "maltais"),
    "NLD": _t("Dutch", "Niederländisch", "néerlandais"),
    "POL": _t("Polish", "Polnisch", "polonais"),
    "POR": _t("Portuguese", "Portugiesisch", "portugais"),
    "RON": _t("Romanian", "Rumänisch", "roumain"),
    "SLK": _t("Slovak", "Slowakisch", "slovaque"),
    "SLV": _t("Slovenian", "Slowenisch", "slovène"),
    "SPA": _t("Spanish", "Spanisch", "espagnol"),
    "SWE": _t("Swedish", "Schwedisch", "suédois"),
    # beyond the 24 official languages: neighbours and regional languages records use
    "NOR": _t("Norwegian", "Norwegisch", "norvégien"),
    "ISL": _t("Icelandic", "Isländisch", "islandais"),
    "CAT": _t("Catalan", "Katalanisch", "catalan"),
    "EUS": _t("Basque", "Baskisch", "basque"),
    "GLG": _t("Galician", "Galicisch", "galicien"),
    "LTZ": _t("Luxembourgish", "Luxemburgisch", "luxembourgeois"),
    "UKR": _t("Ukrainian", "Ukrainisch", "ukrainien"),
    "RUS": _t("Russian", "Russisch", "russe"),
    "TUR": _t("Turkish", "Türkisch", "turc"),
    "SRP": _t("Serbian", "Serbisch", "serbe"),
    "MUL": _t("Multiple languages", "Mehrere Sprachen", "multilingue"),
}
#: ISO 639-1 codes (language tags of literals, ``dct:language`` given as text).
_ISO_639_1 = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN",
    "it": "ITA", "lv": "LAV", "lt": "LIT", "mt": "MLT", "nl": "NLD", "pl": "POL",
    "pt": "POR", "ro": "RON", "sk": "SLK", "sl": "SLV", "es": "SPA", "sv": "SWE",
    "no": "NOR", "is": "ISL", "ca": "CAT", "eu": "EUS", "gl": "GLG", "lb": "LTZ",
    "uk": "UKR", "ru": "RUS", "tr": "TUR", "sr": "SRP",
}  # fmt: skip

_COUNTRIES: dict[str, tuple[str, L]] = {  # alpha-3 (EU country authority) -> alpha-2, labels
    "AUT": ("AT", _t("Austria", "Österreich", "Autriche")),
    "BEL": ("BE", _t("Belgium", "Belgien", "Belgique")),
    "BGR": ("BG", _t("Bulgaria", "Bulgarien", "Bulgarie")),
    "HRV": ("HR", _t("Croatia", "Kroatien", "Croatie")),
    "CYP": ("CY", _t("Cyprus", "Zypern", "Chypre")),
    "CZE": ("CZ", _t("Czechia", "Tschechien", "Tchéquie")),
    "DNK": ("DK", _t("Denmark", "Dänemark", "Danemark")),
    "EST": ("EE", _t("Estonia", "Estland", "Estonie")),
    "FIN": ("FI", _t("Finland", "Finnland", "Finlande")),
    "FRA": ("FR", _t("France", "Frankreich", "France")),
    "DEU": ("DE", _t("Germany", "Deutschland", "Allemagne")),
    "GRC": ("GR", _t("Greece", "Griechenland", "Grèce")),
    "HUN": ("HU", _t("Hungary", "Ungarn", "Hongrie")),
    "IRL": ("IE", _t("Ireland", "Irland", "Irlande")),
    "ITA": ("IT", _t("Italy", "Italien", "Italie")),
    "LVA": ("LV", _t("Latvia", "Lettland", "Lettonie")),
    "LTU": ("LT", _t("Lithuania", "Litauen", "Lituanie")),
    "LUX": ("LU", _t("Luxembourg", "Luxemburg", "Luxembourg")),
    "MLT": ("MT", _t("Malta", "Malta", "Malte")),
    "NLD": ("NL", _t("Netherlands", "Niederlande", "Pays-Bas")),
    "POL": ("PL", _t("Poland", "Polen", "Pologne")),
    "PRT": ("PT", _t("Portugal", "Portugal", "Portugal")),
    "ROU": ("RO", _t("Romania", "Rumänien", "Roumanie")),
    "SVK": ("SK", _t("Slovakia", "Slowakei", "Slovaquie")),
    "SVN": ("SI", _t("Slovenia", "Slowenien", "Slovénie")),
    "ESP": ("ES", _t("Spain", "Spanien", "Espagne")),
    "SWE": ("SE", _t("Sweden", "Schweden", "Suède")),
    "NOR": ("NO", _t("Norway", "Norwegen", "Norvège")),
    "ISL": ("IS", _t("Iceland", "Island", "Islande")),
    "LIE": ("LI", _t("Liechtenstein", "Liechtenstein", "Liechtenstein")),
    "CHE": ("CH", _t("Switzerland", "Schweiz", "Suisse")),
    "SRB": ("RS", _t("Serbia", "Serbien", "Serbie")),
    "GBR": ("GB", _t("United Kingdom", "Vereinigtes Königreich", "Royaume-Uni")),
    "UKR": ("UA", _t("Ukraine", "Ukraine", "Ukraine")),
    "TUR": ("TR", _t("Türkiye", "Türkei", "Turquie")),
    "USA": ("US", _t("United States", "Vereinigte Staaten", "États-Unis")),
}


def _countries() -> dict[str, L]:
    table: dict[str, L] = {}
    for alpha3, (alpha2, labels) in _COUNTRIES.items():
        table[alpha3] = table[alpha2] = labels
    table["EL"] = table["GR"]  # the EU's own code for Greece
    table["EU"] = _t("the European Union", "die Europäische Union", "l'Union européenne")
    table["EEA"] = _t(
        "the European Economic Area",
        "der Europäische Wirtschaftsraum",
        "l'Espace économique européen",
    )
    table["EUR"] = _t("Europe", "Europa", "Europe")  # EU continent authority
    return table


_FILE_TYPES: dict[str, L] = {
    "BIN": _t("binary file", "Binärdatei", "fichier binaire"),
    "CSV": _t("CSV"),
    "TSV": _t(
        "TSV (tab-separated values)", "TSV (tabulatorgetrennt)", "TSV (séparé par tabulations)"
    ),
    "JSON": _t("JSON"),
    "JSON_LD": _t("JSON-LD"),
    "GEOJSON": _t("GeoJSON"),
    "XML": _t("XML"),
    "RDF": _t("RDF"),
    "RDF_XML": _t("RDF/XML"),
    "RDF_TURTLE": _t("RDF Turtle"),
    "RDF_N_TRIPLES": _t("RDF N-Triples"),
    "PARQUET": _t("Apache Parquet"),
    "XLS": _t("Excel (XLS)"),
    "XLSX": _t("Excel (XLSX)"),
    "ODS": _t("OpenDocument spreadsheet", "OpenDocument-Tabelle", "tableur OpenDocument"),
    "PDF": _t("PDF"),
    "HTML": _t("HTML"),
    "TXT": _t("plain text", "Text", "texte brut"),
    "ZIP": _t("ZIP archive", "ZIP-Archiv", "archive ZIP"),
    "GZIP": _t("gzip archive", "gzip-Archiv", "archive gzip"),
    "TAR": _t("TAR archive", "TAR-Archiv", "archive TAR"),
    "TIFF": _t("TIFF image", "TIFF-Bild", "image TIFF"),
    "GEOTIFF": _t("GeoTIFF"),
    "JPEG": _t("JPEG image", "JPEG-Bild", "image JPEG"),
    "PNG": _t("PNG image", "PNG-Bild", "image PNG"),
    "NETCDF": _t("NetCDF"),
    "HDF": _t("HDF"),
    "HDF5": _t("HDF5"),
    "SHP": _t("Shapefile"),
    "GML": _t("GML"),
    "KML": _t("KML"),
    "JATS": _t("JATS XML (journal articles)", "JATS-XML (Fachartikel)", "JATS XML (articles)"),
    "TMX": _t(
        "TMX (translation memory)", "TMX (Translation Memory)", "TMX (mémoire de traduction)"
    ),
    "TBX": _t("TBX (terminology)", "TBX (Terminologie)", "TBX (terminologie)"),
    "WAV": _t("WAV audio", "WAV-Audio", "audio WAV"),
    "FLAC": _t("FLAC audio", "FLAC-Audio", "audio FLAC"),
    "MP3": _t("MP3 audio", "MP3-Audio", "audio MP3"),
    "SQL": _t("SQL"),
    "SPARQLQ": _t("SPARQL query", "SPARQL-Abfrage", "requête SPARQL"),
    "API": _t("API"),
}

_MEDIA_TYPES: dict[str, L] = {
    "text/csv": _t("CSV"),
    "text/tab-separated-values": _t("TSV (tab-separated values)"),
    "application/json": _t("JSON"),
    "application/fhir+json": _t("FHIR JSON"),
    "application/geo+json": _t("GeoJSON"),
    "application/xml": _t("XML"),
    "application/zip": _t("ZIP archive", "ZIP-Archiv", "archive ZIP"),
    "application/gzip": _t("gzip archive", "gzip-Archiv", "archive gzip"),
    "application/octet-stream": _t("binary file", "Binärdatei", "fichier binaire"),
    "application/vnd.apache.parquet": _t("Apache Parquet"),
    "application/x-parquet": _t("Apache Parquet"),
    "application/ld+json": _t("JSON-LD"),
    "text/turtle": _t("RDF Turtle"),
    "application/rdf+xml": _t("RDF/XML"),
    "application/pdf": _t("PDF"),
    "audio/flac": _t("FLAC audio", "FLAC-Audio", "audio FLAC"),
    "audio/vnd.wave": _t("WAV audio", "WAV-Audio", "audio WAV"),
    "image/tiff": _t("TIFF image", "TIFF-Bild", "image TIFF"),
}

_LICENCES: dict[str, L] = {
    "CC0": _t("CC0 1.0 (public domain)", "CC0 1.0 (gemeinfrei)", "CC0 1.0 (domaine public)"),
    "CC0-1.0": _t("CC0 1.0 (public domain)", "CC0 1.0 (gemeinfrei)", "CC0 1.0 (domaine public)"),
    "CC_BY_4_0": _t("CC BY 4.0"),
    "CC-BY-4.0": _t("CC BY 4.0"),
    "CC_BYSA_4_0": _t("CC BY-SA 4.0"),
    "CC-BY-SA-4.0": _t("CC BY-SA 4.0"),
    "CC_BYNC_4_0": _t("CC BY-NC 4.0"),
    "CC-BY-NC-4.0": _t("CC BY-NC 4.0"),
    "CC_BYND_4_0": _t("CC BY-ND 4.0"),
    "CC_BYNCSA_4_0": _t("CC BY-NC-SA 4.0"),
    "CC_BYNCND_4_0": _t("CC BY-NC-ND 4.0"),
    "CC_BY_3_0": _t("CC BY 3.0"),
    "ODC_BY": _t("ODC-BY (Open Data Commons Attribution)"),
    "ODC-By-1.0": _t("ODC-BY 1.0 (Open Data Commons Attribution)"),
    "ODC_ODBL": _t("ODbL (Open Database License)"),
    "ODbL-1.0": _t("ODbL 1.0 (Open Database License)"),
    "ODC_PDDL": _t("ODC PDDL (public domain)"),
    "PDDL-1.0": _t("ODC PDDL 1.0 (public domain)"),
    "DL_DE_BY_2_0": _t(
        "Data licence Germany – attribution 2.0", "Datenlizenz Deutschland – Namensnennung 2.0"
    ),
    "DL_DE_ZERO_2_0": _t("Data licence Germany – zero 2.0", "Datenlizenz Deutschland – Zero 2.0"),
    "ETALAB_2_0": _t("Licence Ouverte / Etalab 2.0"),
    "OGL_3_0": _t("Open Government Licence 3.0"),
    "Apache-2.0": _t("Apache License 2.0"),
    "MIT": _t("MIT License"),
    "EUPL-1.2": _t("EUPL 1.2"),
}

_ACCESS_MODES: dict[str, L] = {
    code: _t(MODE_LABEL[code], de, fr)
    for code, de, fr in (
        ("Download", "Herunterladen", "téléchargement"),
        (
            "SecureProcessingEnvironment",
            "sichere Verarbeitungsumgebung",
            "environnement de traitement sécurisé",
        ),
        (
            "FederatedExecution",
            "föderierte oder entfernte Ausführung",
            "exécution fédérée ou à distance",
        ),
        ("SyntheticDataOnly", "nur synthetische Daten", "données synthétiques uniquement"),
        ("MetadataOnly", "nur Metadaten", "métadonnées uniquement"),
    )
}

#: What a licence or policy permits or prohibits (catalog.offers.licences.USES).
_USES: dict[str, L] = {
    "commercial": _t("commercial use", "kommerzielle Nutzung", "usage commercial"),
    "derivatives": _t("derived works", "Bearbeitungen", "œuvres dérivées"),
    "distribution": _t("passing the data on to others", "Weitergabe an Dritte", "redistribution"),
    "tdm": _t("text and data mining", "Text- und Data-Mining", "fouille de textes et de données"),
    "ai-training": _t(
        "training AI models", "Training von KI-Modellen", "entraînement de modèles d'IA"
    ),
}

#: Duties: the licence table's and ODRL actions labs require.
_DUTIES: dict[str, L] = {
    "attribution": _t("credit the source", "Quelle nennen", "citer la source"),
    "attribute": _t("credit the source", "Quelle nennen", "citer la source"),
    "share-alike": _t(
        "share what you derive under the same licence",
        "Bearbeitungen unter gleicher Lizenz weitergeben",
        "partager les dérivés sous la même licence",
    ),
    "notice": _t(
        "keep the licence and copyright notices",
        "Lizenz- und Urheberhinweise beibehalten",
        "conserver les mentions de licence",
    ),
    "non-commercial": _t(
        "no commercial use", "keine kommerzielle Nutzung", "pas d'usage commercial"
    ),
    "obtainConsent": _t("obtain consent", "Einwilligung einholen", "obtenir le consentement"),
    "inform": _t("inform the data holder", "Dateninhaber informieren", "informer le détenteur"),
    "compensate": _t("pay the fee", "Entgelt zahlen", "payer la redevance"),
    "acceptTracking": _t(
        "accept that use is tracked",
        "Nachverfolgung der Nutzung akzeptieren",
        "accepter le suivi de l'usage",
    ),
    "anonymize": _t("anonymise results", "Ergebnisse anonymisieren", "anonymiser les résultats"),
    "delete": _t(
        "delete the data afterwards", "Daten danach löschen", "supprimer les données ensuite"
    ),
    "include": _t(
        "include the required notices", "Pflichthinweise beifügen", "inclure les mentions requises"
    ),
    "watermark": _t("watermark outputs", "Ergebnisse kennzeichnen", "marquer les résultats"),
    "nextPolicy": _t(
        "pass these terms on", "diese Bedingungen weitergeben", "transmettre ces conditions"
    ),
    "reviewPolicy": _t(
        "have the terms reviewed", "Bedingungen prüfen lassen", "faire examiner les conditions"
    ),
    "ensureExclusivity": _t(
        "keep the data exclusive", "Daten exklusiv halten", "garder les données exclusives"
    ),
    "publishResults": _t(
        "publish the results", "Ergebnisse veröffentlichen", "publier les résultats"
    ),
    "acknowledge": _t("acknowledge the data lab", "Data Lab nennen", "mentionner le laboratoire"),
}

_ORG_TYPES: dict[str, L] = {
    code: _t(ORG_TYPE_LABELS[code], de, fr)
    for code, de, fr in (
        (
            "Research",
            "Forschungseinrichtung (Hochschule oder Forschungsinstitut)",
            "organisme de recherche (université ou institut)",
        ),
        ("StartUp", "Start-up", "start-up"),
        ("SME", "kleines oder mittleres Unternehmen (KMU)", "petite ou moyenne entreprise (PME)"),
        ("LargeCompany", "Großunternehmen", "grande entreprise"),
        ("PublicSector", "öffentliche Stelle", "organisme public"),
        (
            "HealthcareProvider",
            "Gesundheitsdienstleister (Klinik, Praxis, Pflege)",
            "prestataire de soins (hôpital, clinique)",
        ),
        ("NonProfit", "gemeinnützige Organisation", "organisation à but non lucratif"),
    )
}

#: German and French for the purposes of catalog.offers.purposes (English is theirs).
_PURPOSE_DE_FR: dict[str, tuple[str, str]] = {
    "academic-research": ("akademische Forschung", "recherche académique"),
    "non-commercial-research": ("nicht kommerzielle Forschung", "recherche non commerciale"),
    "commercial-research": (
        "Forschung durch oder für ein Unternehmen",
        "recherche par ou pour une entreprise",
    ),
    "non-commercial-ai-training": (
        "ein nicht kommerzielles KI-Modell für die Forschung trainieren",
        "entraîner un modèle d'IA non commercial pour la recherche",
    ),
    "commercial-ai-training": (
        "ein kommerzielles KI-Modell trainieren",
        "entraîner un modèle d'IA commercial",
    ),
    "non-commercial-fine-tuning": (
        "ein KI-Modell für nicht kommerzielle Forschung nachtrainieren",
        "affiner un modèle d'IA pour la recherche non commerciale",
    ),
    "commercial-fine-tuning": (
        "ein kommerzielles KI-Modell nachtrainieren",
        "affiner un modèle d'IA commercial",
    ),
    "non-commercial-ai-evaluation": (
        "ein KI-Modell für nicht kommerzielle Forschung testen",
        "tester un modèle d'IA pour la recherche non commerciale",
    ),
    "commercial-ai-evaluation": (
        "ein kommerzielles KI-Modell testen",
        "tester un modèle d'IA commercial",
    ),
    "commercial-product": (
        "ein kommerzielles Produkt oder einen Dienst betreiben",
        "créer ou exploiter un produit ou service commercial",
    ),
    "public-interest": ("Arbeit im öffentlichen Interesse", "travail d'intérêt public"),
}


def _purposes() -> dict[str, L]:
    table: dict[str, L] = {}
    for key, purpose in PURPOSES.items():
        de, fr = _PURPOSE_DE_FR.get(key, (None, None))
        table[key] = _t(purpose.label, de, fr)
    return table


_FREQUENCIES: dict[str, L] = {
    "CONT": _t("continuously updated", "laufend aktualisiert", "mise à jour continue"),
    "DAILY": _t("daily", "täglich", "quotidienne"),
    "WEEKLY": _t("weekly", "wöchentlich", "hebdomadaire"),
    "MONTHLY": _t("monthly", "monatlich", "mensuelle"),
    "QUARTERLY": _t("quarterly", "vierteljährlich", "trimestrielle"),
    "ANNUAL": _t("annual", "jährlich", "annuelle"),
    "BIENNIAL": _t("every two years", "alle zwei Jahre", "biennale"),
    "IRREG": _t("irregular", "unregelmäßig", "irrégulière"),
    "NEVER": _t("never updated", "keine Aktualisierung", "jamais mise à jour"),
    "UNKNOWN": _t("not known", "unbekannt", "inconnue"),
}

_DATASET_TYPES: dict[str, L] = {
    "PERSONAL_DATA": _t("personal data", "personenbezogene Daten", "données à caractère personnel"),
    "STATISTICAL": _t("statistical data", "statistische Daten", "données statistiques"),
    "SYNTHETIC_DATA": _t("synthetic data", "synthetische Daten", "données synthétiques"),
    "TEST_DATA": _t("test data", "Testdaten", "données de test"),
    "CODE_LIST": _t("code list", "Codeliste", "liste de codes"),
    "GEOSPATIAL": _t("geospatial data", "Geodaten", "données géospatiales"),
}

#: DPV legal bases, purposes and personal-data categories HealthDCAT-AP records name.
_DPV: dict[str, L] = {
    "PublicInterest": _t("public interest", "öffentliches Interesse", "intérêt public"),
    "LegalObligation": _t("legal obligation", "rechtliche Verpflichtung", "obligation légale"),
    "Consent": _t("consent", "Einwilligung", "consentement"),
    "Contract": _t("contract", "Vertrag", "contrat"),
    "LegitimateInterest": _t("legitimate interest", "berechtigtes Interesse", "intérêt légitime"),
    "VitalInterest": _t("vital interest", "lebenswichtiges Interesse", "intérêt vital"),
    "ScientificResearch": _t(
        "scientific research", "wissenschaftliche Forschung", "recherche scientifique"
    ),
    "AcademicResearch": _t("academic research", "akademische Forschung", "recherche académique"),
    "NonCommercialResearch": _t(
        "non-commercial research", "nicht kommerzielle Forschung", "recherche non commerciale"
    ),
    "CommercialResearch": _t(
        "commercial research", "kommerzielle Forschung", "recherche commerciale"
    ),
    "ResearchAndDevelopment": _t(
        "research and development", "Forschung und Entwicklung", "recherche et développement"
    ),
    "CommercialPurpose": _t("commercial purposes", "kommerzielle Zwecke", "fins commerciales"),
    "NonCommercialPurpose": _t(
        "non-commercial purposes", "nicht kommerzielle Zwecke", "fins non commerciales"
    ),
    "PublicBenefit": _t("public benefit", "Gemeinwohl", "bien public"),
    "HealthRecord": _t("health records", "Gesundheitsakten", "dossiers de santé"),
    "Age": _t("age", "Alter", "âge"),
    "Gender": _t("gender", "Geschlecht", "genre"),
    "Health": _t("health", "Gesundheit", "santé"),
    "Genetic": _t("genetic data", "genetische Daten", "données génétiques"),
    "Location": _t("location", "Standort", "localisation"),
}

#: Legislation by ELI (``dcatap:applicableLegislation``); keys are whole IRIs.
_ELI = "http://data.europa.eu/eli/"
_LEGISLATION: dict[str, L] = {
    _ELI + "reg/2025/327/oj": _t(
        "European Health Data Space Regulation (EU) 2025/327",
        "Verordnung (EU) 2025/327 über den europäischen Gesundheitsdatenraum",
        "Règlement (UE) 2025/327 relatif à l'espace européen des données de santé",
    ),
    _ELI + "reg/2016/679/oj": _t(
        "General Data Protection Regulation (EU) 2016/679",
        "Datenschutz-Grundverordnung (EU) 2016/679",
        "Règlement général sur la protection des données (UE) 2016/679",
    ),
    _ELI + "reg/2024/1689/oj": _t(
        "AI Act, Regulation (EU) 2024/1689",
        "KI-Verordnung (EU) 2024/1689",
        "Règlement (UE) 2024/1689 sur l'intelligence artificielle",
    ),
    _ELI + "reg/2022/868/oj": _t(
        "Data Governance Act, Regulation (EU) 2022/868",
        "Daten-Governance-Rechtsakt (EU) 2022/868",
        "Règlement (UE) 2022/868 sur la gouvernance des données",
    ),
    _ELI + "reg/2023/2854/oj": _t(
        "Data Act, Regulation (EU) 2023/2854",
        "Datenverordnung (EU) 2023/2854",
        "Règlement (UE) 2023/2854 sur les données",
    ),
    _ELI + "dir/2019/1024/oj": _t(
        "Open Data Directive (EU) 2019/1024",
        "Open-Data-Richtlinie (EU) 2019/1024",
        "Directive (UE) 2019/1024 concernant les données ouvertes",
    ),
    _ELI + "reg_impl/2023/138/oj": _t(
        "High-value datasets, Implementing Regulation (EU) 2023/138",
        "Hochwertige Datensätze, Durchführungsverordnung (EU) 2023/138",
        "Ensembles de données de forte valeur, règlement d'exécution (UE) 2023/138",
    ),
    _ELI + "reg/2021/696/oj": _t(
        "EU Space Programme Regulation (EU) 2021/696",
        "Verordnung (EU) 2021/696 über das Weltraumprogramm der Union",
        "Règlement (UE) 2021/696 établissant le programme spatial de l'Union",
    ),
}

#: Offer routes (catalog.offers.resolution: Offer.route).
_ROUTES: dict[str, L] = {
    "licence": _t("under the licence", "nach der Lizenz", "selon la licence"),
    "ehds-data-permit": _t(
        "data permit of a health data access body",
        "Datengenehmigung einer Gesundheitsdatenzugangsstelle",
        "autorisation de données d'un organisme d'accès aux données de santé",
    ),
    "agreement": _t(
        "agreement with the data holder",
        "Vereinbarung mit dem Dateninhaber",
        "accord avec le détenteur",
    ),
}

# kind → code → {lang: label}; "en" is always there.
TABLES: dict[str, dict[str, L]] = {
    "access": _access(),
    "verdict": {
        "may_offer": _t("may offer", "darf anbieten", "peut proposer"),
        "may_offer_under_conditions": _t(
            "may offer under conditions",
            "darf unter Bedingungen anbieten",
            "peut proposer sous conditions",
        ),
        "needs_review": _t("needs review", "Prüfung nötig", "à examiner"),
        "may_not_offer": _t("may not offer", "darf nicht anbieten", "ne peut pas proposer"),
    },
    "word": {
        "in_review": _t("in review", "in Prüfung", "en cours d'examen"),
    },
    # the sample viewer's filter conditions (catalog.samples.filters.OPERATORS)
    "sample_op": {
        "eq": {"en": "equals (=)", "de": "gleich (=)", "fr": "égal à (=)"},
        "ne": {"en": "is not (≠)", "de": "ungleich (≠)", "fr": "différent de (≠)"},
        "lt": {"en": "less than (<)", "de": "kleiner als (<)", "fr": "inférieur à (<)"},
        "le": {"en": "at most (≤)", "de": "höchstens (≤)", "fr": "au plus (≤)"},
        "gt": {"en": "greater than (>)", "de": "größer als (>)", "fr": "supérieur à (>)"},
        "ge": {"en": "at least (≥)", "de": "mindestens (≥)", "fr": "au moins (≥)"},
        "between": {"en": "between", "de": "zwischen", "fr": "entre"},
        "contains": {"en": "contains", "de": "enthält", "fr": "contient"},
        "startswith": {"en": "starts with", "de": "beginnt mit", "fr": "commence par"},
        "in": {"en": "is one of", "de": "ist eines von", "fr": "est l'un de"},
        "isnull": {"en": "is empty", "de": "ist leer", "fr": "est vide"},
        "notnull": {"en": "is not empty", "de": "ist nicht leer", "fr": "n'est pas vide"},
    },
    # the families of sample column types (catalog.samples.stats.kind_of)
    "column_kind": {
        "integer": {"en": "whole number", "de": "Ganzzahl", "fr": "nombre entier"},
        "float": {"en": "number", "de": "Zahl", "fr": "nombre"},
        "decimal": {"en": "decimal number", "de": "Dezimalzahl", "fr": "nombre décimal"},
        "date": {"en": "date", "de": "Datum", "fr": "date"},
        "timestamp": {"en": "date and time", "de": "Zeitpunkt", "fr": "date et heure"},
        "time": {"en": "time of day", "de": "Uhrzeit", "fr": "heure"},
        "string": {"en": "text", "de": "Text", "fr": "texte"},
        "boolean": {"en": "yes/no", "de": "ja/nein", "fr": "oui/non"},
        "binary": {"en": "binary", "de": "binär", "fr": "binaire"},
        "nested": {"en": "nested", "de": "verschachtelt", "fr": "imbriqué"},
        "other": {"en": "other", "de": "sonstige", "fr": "autre"},
    },
    "theme": _page_langs(THEMES),
    "data_space": _page_langs(DATA_SPACES),
    "file_type": _FILE_TYPES,
    "media_type": _MEDIA_TYPES,
    "licence": _LICENCES,
    "language": _EU_LANGUAGES | {iso: _EU_LANGUAGES[code] for iso, code in _ISO_639_1.items()},
    "country": _countries(),
    "access_mode": _ACCESS_MODES,
    "use": _USES,
    "duty": _DUTIES,
    "org_type": _ORG_TYPES,
    "purpose": _purposes(),
    "frequency": _FREQUENCIES,
    "dataset_type": _DATASET_TYPES,
    "dpv": _DPV,
    "legislation": _LEGISLATION,
    "route": _ROUTES,
    # the conflicts a training basket names (catalog/baskets/conflicts.py)
    "conflict": {
        "share-alike": _t(
            "share-alike licences clash",
            "Share-Alike-Lizenzen unvereinbar",
            "licences share-alike incompatibles",
        ),
        "non-commercial": _t(
            "non-commercial only", "nur nicht kommerziell", "non commercial uniquement"
        ),
        "tdm-reservation": _t(
            "text and data mining reserved",
            "Text und Data Mining vorbehalten",
            "fouille de textes et de données réservée",
        ),
        "ai-training": _t(
            "AI training prohibited", "KI-Training untersagt", "entraînement d'IA interdit"
        ),
        "ehds-purpose": _t(
            "purpose not allowed by the EHDS",
            "Zweck nach dem EHDS nicht zulässig",
            "finalité non admise par l'EHDS",
        ),
    },
    # the search page and the header's own words (the layout helper's kinds)
    "facet": {
        "data_space": {"en": "Data space", "de": "Datenraum", "fr": "Espace de données"},
        "theme": {"en": "Theme", "de": "Thema", "fr": "Thème"},
        "publisher": {"en": "Publisher", "de": "Herausgeber", "fr": "Éditeur"},
        "country": {"en": "Country", "de": "Land", "fr": "Pays"},
        "licence": {"en": "Licence", "de": "Lizenz", "fr": "Licence"},
        "access": {"en": "Access", "de": "Zugang", "fr": "Accès"},
        "format": {"en": "File format", "de": "Dateiformat", "fr": "Format de fichier"},
        "lab": {"en": "Data lab", "de": "Datenlabor", "fr": "Laboratoire de données"},
        "ai_training": {
            "en": "Usable for AI training",
            "de": "Für KI-Training nutzbar",
            "fr": "Utilisable pour l'entraînement d'IA",
        },
        "has_sample": {"en": "Has a sample", "de": "Mit Stichprobe", "fr": "Avec échantillon"},
        "has_bbox": {"en": "Has a map area", "de": "Mit Kartenausschnitt", "fr": "Avec zone"},
    },
    "sort": {
        "relevance": {"en": "Best match", "de": "Beste Treffer", "fr": "Pertinence"},
        "modified": {
            "en": "Recently updated",
            "de": "Zuletzt aktualisiert",
            "fr": "Mis à jour récemment",
        },
        "title": {"en": "Title (A–Z)", "de": "Titel (A–Z)", "fr": "Titre (A–Z)"},
    },
    "ui": {
        "site": {
            "en": "Data Lab Catalogue",
            "de": "Data Lab Catalogue",
            "fr": "Data Lab Catalogue",
        },
        "skip": {"en": "Skip to content", "de": "Zum Inhalt", "fr": "Aller au contenu"},
        "skip_results": {
            "en": "Skip to results",
            "de": "Zu den Ergebnissen",
            "fr": "Aller aux résultats",
        },
        "main_nav": {"en": "Main", "de": "Hauptmenü", "fr": "Menu principal"},
        "search": {"en": "Search", "de": "Suche", "fr": "Recherche"},
        "baskets": {"en": "My baskets", "de": "Meine Körbe", "fr": "Mes paniers"},
        "requests": {"en": "Access requests", "de": "Zugangsanträge", "fr": "Demandes d'accès"},
        "steward": {"en": "Steward", "de": "Datenverwaltung", "fr": "Gestion des données"},
        "staff": {"en": "Factory staff", "de": "Factory-Team", "fr": "Équipe de la factory"},
        "sign_in": {"en": "Sign in", "de": "Anmelden", "fr": "Se connecter"},
        "sign_out": {"en": "Sign out", "de": "Abmelden", "fr": "Se déconnecter"},
        "find": {
            "en": "Find data for AI",
            "de": "Daten für KI finden",
            "fr": "Trouver des données pour l'IA",
        },
        "search_datasets": {
            "en": "Search datasets",
            "de": "Datensätze durchsuchen",
            "fr": "Rechercher des jeux de données",
        },
        "search_hint": {
            "en": "e.g. hospital stays, speech corpus",
            "de": "z. B. Krankenhausaufenthalte, Sprachkorpus",
            "fr": "p. ex. séjours hospitaliers, corpus oral",
        },
        "sort_by": {"en": "Sort by", "de": "Sortieren nach", "fr": "Trier par"},
        "filters": {"en": "Filters", "de": "Filter", "fr": "Filtres"},
        "active": {"en": "active", "de": "aktiv", "fr": "actifs"},
        "results": {"en": "Results", "de": "Ergebnisse", "fr": "Résultats"},
        "dataset": {"en": "dataset", "de": "Datensatz", "fr": "jeu de données"},
        "datasets": {"en": "datasets", "de": "Datensätze", "fr": "jeux de données"},
        "no_results": {
            "en": "No dataset matches. Try fewer words or remove a filter.",
            "de": "Kein Datensatz passt. Weniger Wörter oder weniger Filter versuchen.",
            "fr": "Aucun jeu de données ne correspond. Essayez moins de mots ou de filtres.",
        },
        "next_page": {"en": "Next page", "de": "Nächste Seite", "fr": "Page suivante"},
        "pages": {"en": "Result pages", "de": "Ergebnisseiten", "fr": "Pages de résultats"},
        "remove_filter": {"en": "remove filter", "de": "Filter entfernen", "fr": "retirer"},
        "ai_training": {
            "en": "usable for AI training",
            "de": "für KI-Training nutzbar",
            "fr": "utilisable pour l'entraînement d'IA",
        },
        "lab_offers_one": {
            "en": "lab may offer",
            "de": "Labor darf anbieten",
            "fr": "laboratoire peut proposer",
        },
        "lab_offers": {
            "en": "labs may offer",
            "de": "Labore dürfen anbieten",
            "fr": "laboratoires peuvent proposer",
        },
    },
}

_IANA = "http://www.iana.org/assignments/media-types/"


def page_language(langs: list[str]) -> str:
    """The language of the page's own words: the first of ``langs`` the pages speak."""
    for tag in langs:
        base = tag.split("-", 1)[0]
        if base in PAGE_LANGUAGES:
            return base
    return "en"


def _fallback(code: str) -> str:
    tail = code.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] or code
    return tail.replace("_", " ")


def _keys(text: str) -> tuple[str, ...]:
    """The keys a code may be filed under: as given, a media type without the IANA prefix,
    the last IRI segment."""
    tail = text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    media = text[len(_IANA) :] if text.startswith(_IANA) else None
    return tuple(k for k in (text, media, tail) if k)


def known_label(code: object, kind: str | None = None, lang: str = "en") -> str | None:
    """The table's label of ``code`` in ``lang`` (English when the table has no such
    translation); ``None`` when no table (of ``kind``, or any without a kind) knows it."""
    text = str(code or "")
    if kind is not None and kind not in TABLES:
        return None  # a kind no table lists (standards, health categories): the record's own
    tables = [TABLES[kind]] if kind is not None else list(TABLES.values())
    for key in _keys(text):
        for table in tables:
            entry = table.get(key)
            if entry:  # a regional tag ("de-de") reads its language's label
                return entry.get(lang) or entry.get(lang.split("-", 1)[0]) or entry["en"]
    return None


def label(
    code: object,
    kind: str | None = None,
    lang: str = "en",
    extra: Mapping[str, str] | None = None,
) -> str:
    """The label of ``code`` (an IRI or a bare code) of ``kind`` in ``lang``; without a
    kind, the first table that knows the code. ``extra``: labels the record itself gives
    its IRIs (a licence's title, a standard's name), used when no table knows the code."""
    text = str(code or "")
    found = known_label(text, kind, lang)
    if found is not None:
        return found
    if extra and text in extra:
        return extra[text]
    return _fallback(text)
