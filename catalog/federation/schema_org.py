"""schema.org ``Dataset`` JSON-LD for dataset pages, so general dataset search engines
(Google Dataset Search and the like) index the catalogue.

:func:`dataset_jsonld` maps the typed DCAT-AP model (:class:`catalog.model.Dataset`) and the
record's facts (access, licences) the way
the W3C DCAT ↔ schema.org alignment does: title → ``name``, description → ``description``,
keywords, publisher/creators → ``Organization``, ``issued``/``modified`` → dates, licence →
``license``, distributions with a download URL → ``DataDownload``, temporal and spatial
coverage. Metadata only: no sample rows or statistics.

The dataset page (``api/web/dataset_page.py``) embeds it in ``<script
type="application/ld+json">``, escaped by :func:`script_json` (the page template's
``json_ld`` filter); :func:`script_tag` gives the whole element the same way.
"""

from __future__ import annotations

import json
from typing import Any

from catalog.facts import ACCESS_CODES, DatasetFacts
from catalog.model import Agent, Dataset, Distribution
from catalog.namespaces import EU_ACCESS_RIGHT

CONTEXT = "https://schema.org/"
_LANGS = ["en"]


def dataset_jsonld(model: Dataset, facts: DatasetFacts, url: str) -> dict[str, Any]:
    """The schema.org ``Dataset`` of one record; ``url`` is its page in this catalogue.

    Access and licences come from the record's facts (the one reading of them)."""
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "name": model.title.best(_LANGS) or model.iri or url,
        # schema.org asks for a description of 50+ characters; fall back to the title
        "description": model.description.best(_LANGS) or model.title.best(_LANGS) or "",
        "url": url,
    }
    if model.iri:
        doc["@id"] = model.iri
        doc["sameAs"] = model.iri
    identifiers = sorted({v.lexical for v in model.identifier})
    if identifiers:
        doc["identifier"] = identifiers
    doc.update(common_fields(model))
    licences = sorted(facts.licences)
    if licences:
        doc["license"] = licences[0] if len(licences) == 1 else licences
    if model.landing_page:
        doc["mainEntityOfPage"] = model.landing_page[0]
    if model.theme:
        doc["about"] = [{"@id": t} for t in model.theme]
    downloads = [d for d in (_download(x) for x in model.distribution) if d]
    if downloads:
        doc["distribution"] = downloads
    coverage = _temporal(model)
    if coverage:
        doc["temporalCoverage"] = coverage
    places = [p.iri for p in model.spatial if p.iri]
    if places:
        doc["spatialCoverage"] = [{"@type": "Place", "sameAs": p} for p in places]
    doc["isAccessibleForFree"] = facts.rows_public
    doc["conditionsOfAccess"] = _conditions(facts)
    return doc


def _conditions(facts: DatasetFacts) -> str:
    if facts.health_route and facts.health is not None:
        return f"Health data: a data permit from {facts.health.body} (EHDS)."
    if facts.access_conflict:
        return "Contradictory access rights (" + " and ".join(facts.access_values) + ")."
    code = ACCESS_CODES.get(facts.access_level)
    return f"{EU_ACCESS_RIGHT!s}{code}" if code else "Access rights not stated."


def common_fields(model: Dataset, *, organisation_type: str = "Organization") -> dict[str, Any]:
    """The schema.org Dataset fields Croissant shares: keywords, publisher, creators,
    dates and version (``organisation_type`` is ``sc:Organization`` in Croissant)."""
    doc: dict[str, Any] = {}
    keywords = sorted({k for _, k in model.keyword.pairs()})
    if keywords:
        doc["keywords"] = keywords
    publisher = _organisation(model.publisher, organisation_type)
    if publisher:
        doc["publisher"] = publisher
    creators = [c for c in (_organisation(a, organisation_type) for a in model.creator) if c]
    if creators:
        doc["creator"] = creators
    for key, value in (("datePublished", model.issued), ("dateModified", model.modified)):
        if value is not None:
            doc[key] = value.lexical
    version = model.version or model.version_info
    if version is not None:
        doc["version"] = version.lexical
    return doc


def _organisation(agent: Agent | None, kind: str = "Organization") -> dict[str, Any] | None:
    if agent is None:
        return None
    name = agent.name.best(_LANGS)
    if not name:
        return None
    out: dict[str, Any] = {"@type": kind, "name": name}
    if agent.homepage:
        out["url"] = agent.homepage
    return out


def _download(dist: Distribution) -> dict[str, Any] | None:
    url = (dist.download_url or dist.access_url or (None,))[0]
    if not url:
        return None
    out: dict[str, Any] = {"@type": "DataDownload", "contentUrl": url}
    fmt = dist.media_type or dist.format
    if fmt is not None:
        out["encodingFormat"] = str(fmt)
    title = dist.title.best(_LANGS)
    if title:
        out["name"] = title
    return out


def _temporal(model: Dataset) -> str | None:
    for period in model.temporal:
        start, end = period.start, period.end
        if start or end:
            return f"{start.lexical if start else '..'}/{end.lexical if end else '..'}"
    return None


def script_json(doc: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """``doc`` as JSON that cannot end its ``<script>`` element: every ``<``, ``>`` and
    ``&`` escaped as a JSON unicode escape."""
    text = json.dumps(doc, ensure_ascii=False, indent=indent, sort_keys=sort_keys)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text


def script_tag(doc: dict[str, Any]) -> str:
    """``doc`` as a ``<script type="application/ld+json">`` element, safe inside HTML."""
    return f'<script type="application/ld+json">{script_json(doc, sort_keys=True)}</script>'
