"""A dataset record laid out for people, as data.europa.eu shows one: who publishes it and
whom to ask, what it covers (time, places, population), how big it is, in which languages,
under which legislation and through which health data access body, how it came to be.

Everything comes from the model (:class:`~catalog.model.Dataset`) and the dataset's facts;
only what the record states is listed. Codes stay codes here (the templates label them in the
visitor's language); dates, sizes and counts are formatted for the page's language.
"""

from __future__ import annotations

import re
from typing import Any

from rdflib import Graph, Literal, URIRef

from api.web.labels import known_label, label
from api.web.render import safe_url
from catalog.facts import DatasetFacts
from catalog.model import Dataset
from catalog.model.agent import Agent, ContactPoint
from catalog.model.common import PeriodOfTime
from catalog.model.values import LangText, TypedValue
from catalog.namespaces import DCT, FOAF, RDFS, SKOS
from catalog.offers.licences import LicenceTable

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
#: Predicates whose values name a resource, best first (a record's own labels for its IRIs).
_NAMES = (SKOS.prefLabel, DCT.title, RDFS.label, FOAF.name)


def format_date(value: object, lang: str = "en") -> str:
    """``2015-01-01`` as "1 January 2015" (de "1. Januar 2015", fr "1 janvier 2015"); a year
    or a year and month as far as given; anything else as it was written."""
    text = str(value or "").strip()
    found = _DATE.match(text)
    if not found:
        return text
    year, month, day = found.groups()
    if not month or not 1 <= int(month) <= 12:
        return year
    name = _MONTHS.get(lang, _MONTHS["en"]).split()[int(month) - 1]
    if not day:
        return f"{name} {year}"
    sep = ". " if lang == "de" else " "
    return f"{int(day)}{sep}{name} {year}"


def format_count(value: object, lang: str = "en") -> str:
    """A whole number with the page language's digit grouping (4,812,330 / 4.812.330)."""
    try:
        number = int(str(value))
    except ValueError:
        return str(value)
    grouped = f"{number:,}"
    return grouped.replace(",", {"de": ".", "fr": "\u202f"}.get(lang, ","))


def human_bytes(value: object, lang: str = "en") -> str | None:
    """A byte size in words: "812 bytes", "4.2 MB", "1.3 GB" (decimal units, as DCAT's
    ``dcat:byteSize`` counts bytes)."""
    try:
        size = int(float(str(value)))
    except ValueError:
        return None
    if size < 1000:
        return f"{size} bytes" if lang != "de" else f"{size} Byte"
    amount = float(size)
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        amount /= 1000
        if amount < 1000 or unit == "PB":
            text = f"{amount:.1f}".rstrip("0").rstrip(".")
            return f"{text.replace('.', ',') if lang in ('de', 'fr') else text} {unit}"
    return None


def period(p: PeriodOfTime, lang: str) -> str | None:
    """A period as "start – end" (an open end reads "from …", an open start "until …")."""
    start = format_date(p.start, lang) if p.start else None
    end = format_date(p.end, lang) if p.end else None
    if start and end:
        return f"{start} – {end}"
    if start:
        return {"de": "ab ", "fr": "depuis le "}.get(lang, "from ") + start
    if end:
        return {"de": "bis ", "fr": "jusqu'au "}.get(lang, "until ") + end
    return None


def graph_labels(graph: Graph, langs: list[str]) -> dict[str, str]:
    """The names a record gives the IRIs it mentions (a licence's title, a standard's name,
    a health category's label), in the visitor's best language."""
    found: dict[str, str] = {}
    for predicate in _NAMES:
        texts: dict[str, list[tuple[str, str]]] = {}
        for s, o in graph.subject_objects(predicate):
            if isinstance(s, URIRef) and isinstance(o, Literal):
                texts.setdefault(str(s), []).append((o.language or "", str(o)))
        for iri, pairs in texts.items():
            best = LangText(pairs).best(langs)
            if best and iri not in found:
                found[iri] = best
    return found


def _agent(agent: Agent, langs: list[str]) -> dict[str, Any]:
    emails = [str(e).removeprefix("mailto:") for e in agent.email]
    return {
        "name": agent.name.best(langs) or agent.iri,
        "homepage": safe_url(agent.homepage),
        "emails": [e for e in emails if "@" in e],
    }


def _contact(cp: ContactPoint, langs: list[str]) -> dict[str, Any]:
    return {
        "name": cp.fn.best(langs) or cp.organization_name.best(langs),
        "emails": [e for e in cp.emails if "@" in e],
        "urls": [u for u in map(safe_url, cp.has_url) if u],
        "phones": [str(t).removeprefix("tel:") for t in cp.has_telephone],
    }


def _number(value: TypedValue | None, lang: str) -> str | None:
    return format_count(value, lang) if value is not None else None


def licence_name(iri: str | None, name: str | None, table: LicenceTable, lang: str) -> str | None:
    """A distribution's licence as people know it: the catalogue's licence table (CC BY 4.0,
    from any of its IRIs), the EU licence labels, else the record's own title for it."""
    if not iri:
        return name
    terms = table.lookup(iri)
    if terms is not None:
        return terms.label
    return known_label(iri, "licence", lang) or name or label(iri, "licence", lang)


def distributions(
    ds: Dataset, langs: list[str], lang: str, table: LicenceTable
) -> list[dict[str, Any]]:
    """The distributions' rows: title, format, licence, size, links."""
    rows = []
    for d in ds.distribution:
        fmt = str(d.format) if d.format is not None else None
        media = str(d.media_type) if d.media_type is not None else None
        lic = d.license
        rows.append(
            {
                "title": d.title.best(langs),
                "format": fmt,
                "media_type": media,
                "licence": licence_name(
                    lic.iri if lic else None, lic.name_for(langs) if lic else None, table, lang
                ),
                "size": human_bytes(d.byte_size, lang) if d.byte_size is not None else None,
                "access": [u for u in map(safe_url, d.access_url) if u],
                "download": [u for u in map(safe_url, d.download_url) if u],
            }
        )
    return rows


def record_view(
    ds: Dataset, facts: DatasetFacts, langs: list[str], lang: str, table: LicenceTable
) -> dict[str, Any]:
    """The record's facts for the page; an absent property is an empty value."""
    spatial: list[dict[str, Any]] = []
    for place in ds.spatial:
        if place.iri:
            spatial.append({"iri": place.iri, "text": None})
        elif place.pref_label:
            spatial.append({"iri": None, "text": place.pref_label.best(langs)})
        elif place.bbox or place.geometry:
            spatial.append({"iri": None, "text": None, "bbox": True})
    size: list[str] = []
    records = _number(ds.number_of_records, lang)
    people = _number(ds.number_of_unique_individuals, lang)
    byte_sizes = [d.byte_size for d in ds.distribution if d.byte_size is not None]
    ages = None
    if ds.min_typical_age is not None or ds.max_typical_age is not None:
        low = str(ds.min_typical_age) if ds.min_typical_age is not None else "?"
        high = str(ds.max_typical_age) if ds.max_typical_age is not None else "?"
        ages = f"{low}–{high}"
    total = 0
    for b in byte_sizes:
        try:
            total += int(float(str(b)))
        except ValueError:
            continue
    if byte_sizes and total:
        size.append(human_bytes(total, lang) or "")
    activities = [
        {
            "text": a.title.best(langs) or a.label.best(langs),
            "types": list(a.type),
            "started": format_date(a.started_at, lang) if a.started_at else None,
            "ended": format_date(a.ended_at, lang) if a.ended_at else None,
            "links": [u for u in map(safe_url, a.see_also) if u],
        }
        for a in ds.was_generated_by
    ]
    return {
        "publisher": _agent(ds.publisher, langs) if ds.publisher else None,
        "contacts": [_contact(cp, langs) for cp in ds.contact_point],
        "temporal": [t for t in (period(p, lang) for p in ds.temporal) if t],
        "spatial": spatial,
        "records": records,
        "individuals": people,
        "ages": ages,
        "population": ds.population_coverage.best(langs),
        "byte_size": size[0] if size else None,
        "languages": list(ds.language),
        "themes": list(ds.theme),
        "data_spaces": list(facts.space_ids),
        "types": list(ds.type),
        "frequency": ds.frequency,
        "version": str(ds.version or ds.version_info or "") or None,
        "issued": format_date(ds.issued, lang) if ds.issued else None,
        "modified": format_date(ds.modified, lang) if ds.modified else None,
        "conforms_to": list(ds.conforms_to),
        "legislation": list(ds.applicable_legislation),
        "legal_basis": list(ds.legal_basis),
        "hdab": [_agent(a, langs) for a in ds.hdab],
        "health_categories": list(ds.health_category),
        "purposes": list(ds.purpose),
        "personal_data": list(ds.personal_data),
        "has_personal_data": facts.personal_data,
        "retention": [t for t in (period(p, lang) for p in ds.retention_period) if t],
        "provenance": [t for t in (p.label.best(langs) for p in ds.provenance) if t],
        "activities": activities,
        "quality_annotations": [
            u for q in ds.quality_annotation for u in map(safe_url, q.body) if u
        ],
        "landing": [u for u in map(safe_url, ds.landing_page) if u],
        "documentation": [u for u in map(safe_url, ds.documentation) if u],
        "identifiers": [str(i) for i in ds.identifier],
    }
