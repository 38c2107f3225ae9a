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
    # the conflicts a training basket names (catalog/baskets/conflicts.py)
    "conflict": {
        "share-alike": {
            "en": "share-alike licences clash",
            "de": "Share-Alike-Lizenzen unvereinbar",
            "fr": "licences share-alike incompatibles",
        },
        "non-commercial": {
            "en": "non-commercial only",
            "de": "nur nicht kommerziell",
            "fr": "non commercial uniquement",
        },
        "tdm-reservation": {
            "en": "text and data mining reserved",
            "de": "Text und Data Mining vorbehalten",
            "fr": "fouille de textes et de données réservée",
        },
        "ai-training": {
            "en": "AI training prohibited",
            "de": "KI-Training untersagt",
            "fr": "entraînement d'IA interdit",
        },
        "ehds-purpose": {
            "en": "purpose not allowed by the EHDS",
            "de": "Zweck nach dem EHDS nicht zulässig",
            "fr": "finalité non admise par l'EHDS",
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
        if entry:
            return entry.get(lang) or entry["en"]
    return _fallback(text)
