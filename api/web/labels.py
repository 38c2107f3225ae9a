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
        if entry:
            return entry.get(lang) or entry["en"]
    return _fallback(text)
