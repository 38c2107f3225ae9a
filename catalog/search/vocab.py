"""Facet vocabularies: labels in several languages and the one access-level scale.

Theme and data-space labels are indexed in every language listed here, so a query in one
language finds records that carry only another when their theme matches ("Gesundheit",
"santé" and "υγεία" all find a dataset with theme HEAL).
"""

from __future__ import annotations

from catalog.facts import DatasetFacts
from catalog.namespaces import DATASPACE, EU_DATA_THEME

L = dict[str, str]

#: EU data theme vocabulary (code -> labels), from the Publications Office authority table.
THEMES: dict[str, L] = {
    "AGRI": {
        "en": "Agriculture, fisheries, forestry and food",
        "de": "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel",
        "fr": "Agriculture, pêche, sylviculture et alimentation",
        "pl": "Rolnictwo, rybołówstwo, leśnictwo i żywność",
        "el": "Γεωργία, αλιεία, δασοκομία και τρόφιμα",
    },
    "ECON": {
        "en": "Economy and finance",
        "de": "Wirtschaft und Finanzen",
        "fr": "Économie et finances",
        "pl": "Gospodarka i finanse",
        "el": "Οικονομία και χρηματοοικονομικά θέματα",
    },
    "EDUC": {
        "en": "Education, culture and sport",
        "de": "Bildung, Kultur und Sport",
        "fr": "Éducation, culture et sport",
        "pl": "Edukacja, kultura i sport",
        "el": "Παιδεία, πολιτιστικά θέματα και αθλητισμός",
    },
    "ENER": {"en": "Energy", "de": "Energie", "fr": "Énergie", "pl": "Energia", "el": "Ενέργεια"},
    "ENVI": {
        "en": "Environment",
        "de": "Umwelt",
        "fr": "Environnement",
        "pl": "Środowisko",
        "el": "Περιβάλλον",
    },
    "GOVE": {
        "en": "Government and public sector",
        "de": "Regierung und öffentlicher Sektor",
        "fr": "Gouvernement et secteur public",
        "pl": "Rząd i sektor publiczny",
        "el": "Κυβέρνηση και δημόσιος τομέας",
    },
    "HEAL": {"en": "Health", "de": "Gesundheit", "fr": "Santé", "pl": "Zdrowie", "el": "Υγεία"},
    "INTR": {
        "en": "International issues",
        "de": "Internationale Themen",
        "fr": "Questions internationales",
        "pl": "Kwestie międzynarodowe",
        "el": "Διεθνή θέματα",
    },
    "JUST": {
        "en": "Justice, legal system and public safety",
        "de": "Justiz, Rechtssystem und öffentliche Sicherheit",
        "fr": "Justice, système juridique et sécurité publique",
        "pl": "Sprawiedliwość, system prawny i bezpieczeństwo publiczne",
        "el": "Δικαιοσύνη, νομικό σύστημα και δημόσια ασφάλεια",
    },
    "OP_DATPRO": {
        "en": "Provisional data",
        "de": "Vorläufige Daten",
        "fr": "Données provisoires",
        "pl": "Dane tymczasowe",
        "el": "Προσωρινά δεδομένα",
    },
    "REGI": {
        "en": "Regions and cities",
        "de": "Regionen und Städte",
        "fr": "Régions et villes",
        "pl": "Regiony i miasta",
        "el": "Περιφέρειες και πόλεις",
    },
    "SOCI": {
        "en": "Population and society",
        "de": "Bevölkerung und Gesellschaft",
        "fr": "Population et société",
        "pl": "Ludność i społeczeństwo",
        "el": "Πληθυσμός και κοινωνία",
    },
    "TECH": {
        "en": "Science and technology",
        "de": "Wissenschaft und Technologie",
        "fr": "Science et technologie",
        "pl": "Nauka i technologia",
        "el": "Επιστήμη και τεχνολογία",
    },
    "TRAN": {
        "en": "Transport",
        "de": "Verkehr",
        "fr": "Transports",
        "pl": "Transport",
        "el": "Μεταφορές",
    },
}

DATA_SPACES: dict[str, L] = {
    "health": {
        "en": "Health data space",
        "de": "Gesundheitsdatenraum",
        "fr": "Espace des données de santé",
        "pl": "Przestrzeń danych dotyczących zdrowia",
        "el": "Χώρος δεδομένων υγείας",
    },
    "language": {
        "en": "Language data space",
        "de": "Sprachdatenraum",
        "fr": "Espace des données linguistiques",
        "pl": "Przestrzeń danych językowych",
        "el": "Χώρος γλωσσικών δεδομένων",
    },
    "earth-observation": {
        "en": "Earth observation data space",
        "de": "Erdbeobachtungsdatenraum",
        "fr": "Espace des données d'observation de la Terre",
        "pl": "Przestrzeń danych obserwacji Ziemi",
        "el": "Χώρος δεδομένων γεωσκόπησης",
    },
    "research": {
        "en": "Research data space",
        "de": "Forschungsdatenraum",
        "fr": "Espace des données de recherche",
        "pl": "Przestrzeń danych badawczych",
        "el": "Χώρος ερευνητικών δεδομένων",
    },
}

#: The one access scale, most open first.
ACCESS_LEVELS: dict[str, L] = {
    "public": {
        "en": "Public",
        "de": "Öffentlich",
        "fr": "Public",
        "pl": "Publiczny",
        "el": "Δημόσιο",
    },
    "academic": {
        "en": "Academic use",
        "de": "Akademische Nutzung",
        "fr": "Usage académique",
        "pl": "Użytek akademicki",
        "el": "Ακαδημαϊκή χρήση",
    },
    "restricted": {
        "en": "Restricted",
        "de": "Eingeschränkt",
        "fr": "Restreint",
        "pl": "Ograniczony",
        "el": "Περιορισμένο",
    },
    "health-data-permit": {
        "en": "Health data permit (HDAB)",
        "de": "Gesundheitsdatengenehmigung (HDAB)",
        "fr": "Autorisation de données de santé (HDAB)",
        "pl": "Zezwolenie na dane dotyczące zdrowia (HDAB)",
        "el": "Άδεια δεδομένων υγείας (HDAB)",
    },
    "non-public": {
        "en": "Non-public",
        "de": "Nicht öffentlich",
        "fr": "Non public",
        "pl": "Niepubliczny",
        "el": "Μη δημόσιο",
    },
    "unknown": {
        "en": "Not stated",
        "de": "Nicht angegeben",
        "fr": "Non indiqué",
        "pl": "Nie podano",
        "el": "Δεν αναφέρεται",
    },
}
_YES_NO: dict[str, L] = {
    "true": {"en": "Yes", "de": "Ja", "fr": "Oui", "pl": "Tak", "el": "Ναι"},
    "false": {"en": "No", "de": "Nein", "fr": "Non", "pl": "Nie", "el": "Όχι"},
}


def local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def access_facet(facts: DatasetFacts) -> str:
    """The search facet value of a dataset's access: its facts' one access category."""
    return facts.access_category


_THEME_PREFIX = str(EU_DATA_THEME)
_SPACE_PREFIX = str(DATASPACE)


def theme_code(iri: str) -> str:
    return iri[len(_THEME_PREFIX) :] if iri.startswith(_THEME_PREFIX) else iri


def space_code(iri: str) -> str:
    return iri[len(_SPACE_PREFIX) :] if iri.startswith(_SPACE_PREFIX) else iri


def labels_for(field: str, value: str) -> L:
    """The known labels of one facet value (empty if none are known)."""
    table = {
        "theme": THEMES,
        "data_space": DATA_SPACES,
        "access": ACCESS_LEVELS,
        "ai_training": _YES_NO,
        "has_sample": _YES_NO,
    }.get(field, {})
    return table.get(value, {})
