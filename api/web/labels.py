"""Human labels, in the visitor's language, for the codes the pages show.

One table per kind of code (access levels, verdicts, data spaces, themes, file types,
licences, languages, countries, access modes…), each code with its English label and,
where known, German and French ones. Every page shows a code through :func:`label` (the
``label`` filter of the templates, which knows the page's language), so a code reads the
same everywhere; a code no table knows is shown as its last IRI segment, underscores as
spaces.
"""

from __future__ import annotations

PAGE_LANGUAGES = ("en", "de", "fr")

# kind → code → {lang: label}; "en" is always there.
TABLES: dict[str, dict[str, dict[str, str]]] = {
    "access": {
        "public": {"en": "public", "de": "öffentlich", "fr": "public"},
        "restricted": {"en": "restricted", "de": "eingeschränkt", "fr": "restreint"},
        "non_public": {"en": "non-public", "de": "nicht öffentlich", "fr": "non public"},
    },
    "verdict": {
        "may_offer": {"en": "may offer", "de": "darf anbieten", "fr": "peut proposer"},
        "may_offer_under_conditions": {
            "en": "may offer under conditions",
            "de": "darf unter Bedingungen anbieten",
            "fr": "peut proposer sous conditions",
        },
        "needs_review": {"en": "needs review", "de": "Prüfung nötig", "fr": "à examiner"},
        "may_not_offer": {
            "en": "may not offer",
            "de": "darf nicht anbieten",
            "fr": "ne peut pas proposer",
        },
    },
    "word": {
        "in_review": {"en": "in review", "de": "in Prüfung", "fr": "en cours d'examen"},
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


def label(code: object, kind: str | None = None, lang: str = "en") -> str:
    """The label of ``code`` (an IRI or a bare code) of ``kind`` in ``lang``; without a
    kind, the first table that knows the code."""
    text = str(code or "")
    tail = text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    tables = [TABLES[kind]] if kind in TABLES else list(TABLES.values())
    for table in tables:
        entry = table.get(text) or table.get(tail)
        if entry:  # a regional tag ("de-de") reads its language's label
            return entry.get(lang) or entry.get(lang.split("-", 1)[0]) or entry["en"]
    return _fallback(text)
