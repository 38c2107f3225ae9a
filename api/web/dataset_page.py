"""What the dataset page shows: metadata, distributions, quality, sample, offers, JSON-LD.

The record is read once; the sample's rows and statistics only when the gate of
:class:`SampleService` opens them to this visitor (a refusal shows the reason, never
counts or values).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from rdflib import URIRef

from api.deps import get_samples
from api.links import public_path
from api.services import Services
from api.web.charts import column_chart
from api.web.render import safe_url
from api.web.session import web_principal
from catalog.errors import InvalidInput, SampleNotFound
from catalog.facts.read import record_facts
from catalog.federation.schema_org import dataset_jsonld
from catalog.labs import ensure_registry
from catalog.model import Dataset
from catalog.offers import RequesterProfile
from catalog.offers.licence_store import licence_table
from catalog.offers.live import answer_offers
from catalog.offers.profiles import FORM_ORG_TYPES, PURPOSES
from catalog.quality import dataset_quality
from catalog.rdf_bridge import to_rdflib_graph
from catalog.samples.filters import SampleQuery

PAGE_ROWS = 20


def _label(value: object) -> str:
    text = str(value or "")
    return text.rsplit("/", 1)[-1].rsplit("#", 1)[-1] or text


def _sample(request: Request, services: Services, dataset_id: str) -> dict[str, Any] | None:
    service = get_samples(services)
    principal = web_principal(request)
    try:
        overview = service.overview(principal, dataset_id)
    except SampleNotFound:
        return None
    out: dict[str, Any] = {"overview": overview, "rows": None, "charts": [], "error": None}
    if not overview["access"]["rows_visible"]:
        return out
    q = request.query_params
    try:
        offset = max(0, min(int(q.get("offset") or 0), 2**62))
    except ValueError:
        offset = 0
    filters = [f for f in q.getlist("filter") if f][:10]
    sort = q.get("sort") or None
    try:
        query = SampleQuery.parse(filters, sort, offset=offset, limit=PAGE_ROWS)
        out["rows"] = service.rows(principal, dataset_id, query)
    except InvalidInput as exc:
        out["error"] = exc.message
    stats = service.statistics(principal, dataset_id)
    out["charts"] = [{"stats": s, "chart": column_chart(s)} for s in stats.get("columns", [])]
    out["filters"], out["sort"], out["offset"] = filters, sort, offset
    return out


def _offers(
    request: Request, services: Services, dataset_id: str
) -> tuple[dict[str, Any], str | None]:
    q = request.query_params
    try:
        profile = RequesterProfile.parse(q.get("org_type"), q.get("country"), q.get("purpose"))
        error = None
    except InvalidInput as exc:
        profile, error = None, exc.message
    offers = answer_offers(services.catalogue, dataset_id, profile, live=services.offers)
    return offers.to_dict(), error


def dataset_context(
    request: Request, services: Services, dataset_id: str, langs: list[str]
) -> dict[str, Any]:
    cat = services.catalogue
    facts = record_facts(cat, dataset_id)
    record = cat.get(dataset_id)
    ds = Dataset.from_graph(to_rdflib_graph(record.triples), URIRef(record.ref.iri))
    title = ds.title_for(langs) or dataset_id
    description = ds.description_for(langs)
    ensure_registry(cat)
    sample = _sample(request, services, dataset_id)
    columns = len(sample["overview"]["columns"]) if sample else 0
    quality = dataset_quality(
        ds,
        facts,
        has_sample=sample is not None,
        sample_columns=columns,
        table=licence_table(cat.documents),
    )
    offers, profile_error = _offers(request, services, dataset_id)
    dists = [
        {
            "title": d.title.best(langs) or _label(d.format) or "Distribution",
            "format": _label(d.format) if d.format else None,
            "media_type": _label(d.media_type) if d.media_type else None,
            "access": [u for u in map(safe_url, d.access_url) if u],
            "download": [u for u in map(safe_url, d.download_url) if u],
            "licence": _label(d.license.iri) if d.license and d.license.iri else None,
        }
        for d in ds.distribution
    ]
    url = public_path(request, f"/ui/datasets/{quote(dataset_id, safe='')}")
    return {
        "dataset_id": dataset_id,
        "ds": ds,
        "title": title,
        "description": description,
        "langs": langs,
        "lang": (langs or ["en"])[0],
        "keywords": [k for lang, k in ds.keyword.pairs() if not langs or lang in ("", *langs)]
        or [k for _, k in ds.keyword.pairs()],
        "themes": [_label(t) for t in ds.theme],
        "publisher": ds.publisher.name.best(langs) if ds.publisher else None,
        "access_level": facts.access_level,
        "access_category": facts.access_category,
        "landing": [u for u in map(safe_url, ds.landing_page) if u],
        "distributions": dists,
        "quality": quality.to_dict(),
        "sample": sample,
        "offers": offers,
        "profile_error": profile_error,
        "org_types": sorted(FORM_ORG_TYPES),
        "purposes": PURPOSES,
        "jsonld": dataset_jsonld(ds, facts, url),
    }
