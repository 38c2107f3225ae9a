"""What the dataset page shows: the answer for the visitor's profile first (which data lab
may offer it, how, how long, on what terms), then the record, quality, sample, JSON-LD.

The record is read once; the sample's rows and statistics only when the gate of
:class:`SampleService` opens them to this visitor (a refusal shows the reason, never
counts or values).
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

from fastapi import Request
from rdflib import URIRef

from api.deps import get_samples
from api.links import public_path
from api.services import Services
from api.web import sample_view
from api.web.labels import label, page_language
from api.web.offers_view import present_offers
from api.web.record_view import distributions, graph_labels, record_view
from api.web.session import web_principal
from api.web.synthetic_page import synthetic_context
from api.web.visitor_profile import VisitorProfile
from catalog.errors import SampleNotFound
from catalog.facts.read import record_facts
from catalog.federation.schema_org import dataset_jsonld
from catalog.labs import ensure_registry
from catalog.model import Dataset
from catalog.offers.geography import EEA_MEMBERS, country_code
from catalog.offers.licence_store import licence_table
from catalog.offers.live import answer_offers
from catalog.offers.profiles import FORM_ORG_TYPES, PURPOSES
from catalog.quality import dataset_quality
from catalog.rdf_bridge import to_rdflib_graph
from catalog.samples.stats import Column

PAGE_ROWS = 20


def _sample(request: Request, services: Services, dataset_id: str) -> dict[str, Any] | None:
    """The sample viewer (see :mod:`api.web.sample_view`), on the gate's one decision."""
    service = get_samples(services)
    try:
        meta = service.store.meta(dataset_id)
    except SampleNotFound:
        return None
    columns = [Column(**c) for c in meta["columns"]]
    req, build_error = sample_view.parse(request.query_params, columns, service.store.settings)
    try:
        query = sample_view.query_of(req, PAGE_ROWS)
        view = service.browse(web_principal(request), dataset_id, query)
    except SampleNotFound:  # deleted meanwhile
        return None
    return sample_view.context(view, req, build_error, PAGE_ROWS)


def dataset_context(
    request: Request,
    services: Services,
    dataset_id: str,
    langs: list[str],
    visitor: VisitorProfile,
) -> dict[str, Any]:
    """Everything the dataset page shows, for this visitor (``visitor``: their profile)."""
    cat = services.catalogue
    facts = record_facts(cat, dataset_id)
    record = cat.get(dataset_id)
    graph = to_rdflib_graph(record.triples)
    ds = Dataset.from_graph(graph, URIRef(record.ref.iri))
    shown = ds.title.best_with_language(langs)
    title = shown[1] if shown else dataset_id
    described = ds.description.best_with_language(langs)
    page_lang = page_language(langs)
    ensure_registry(cat)
    table = licence_table(cat.documents)
    sample = _sample(request, services, dataset_id)
    columns = len(sample["overview"]["columns"]) if sample else 0
    quality = dataset_quality(
        ds, facts, has_sample=sample is not None, sample_columns=columns, table=table
    )
    answer = answer_offers(cat, dataset_id, visitor.profile, live=services.offers).to_dict()
    url = public_path(request, f"/ui/datasets/{quote(dataset_id, safe='')}")
    keywords = [k for lang, k in ds.keyword.pairs() if not langs or lang in ("", *langs)]
    return {
        "dataset_id": dataset_id,
        "ds": ds,
        "title": title,
        "description": described[1] if described else None,
        # the description's language, where it differs from the title's (<p lang>)
        "description_lang": described[0] if described else "",
        "langs": langs,
        # the language of the shown title (<html lang>), and of the page's labels
        "lang": (shown[0] if shown and shown[0] else None) or page_lang,
        "label_lang": page_lang,
        "record_labels": graph_labels(graph, langs),
        "keywords": keywords or [k for _, k in ds.keyword.pairs()],
        "access_level": facts.access_level,
        "access_category": facts.access_category,
        "record": record_view(ds, facts, langs, page_lang, table),
        "distributions": distributions(ds, langs, page_lang, table),
        "quality": quality.to_dict(),
        "sample": sample,
        "synthetic": synthetic_context(request, services, dataset_id, sample),
        "offers": present_offers(answer, page_lang),
        "visitor": visitor,
        "profile_error": visitor.error,
        "org_types": list(FORM_ORG_TYPES.items()),
        "countries": _countries(page_lang, *[c for c in [visitor.form["country"]] if c]),
        "purposes": list(PURPOSES),
        "jsonld": dataset_jsonld(ds, facts, url),
    }


def _sort_key(text: str) -> str:
    """Alphabetical order as people expect it (Dänemark before Deutschland)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _countries(lang: str, *extra: str) -> list[tuple[str, str]]:
    """The countries the profile form offers (alpha-2, label), by label; ``extra``: the
    visitor's own, when it is none of the usual ones."""
    codes = {country_code(c) for c in EEA_MEMBERS | {"CH", "GB", "RS", "UA", "US", *extra}}
    named = [(c, label(c, "country", lang)) for c in codes if c]
    return sorted(named, key=lambda pair: _sort_key(pair[1]))
