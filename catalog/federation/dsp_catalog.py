"""The Dataspace Protocol 2025-1 catalogue: ``CatalogRequestMessage`` in, ``Catalog`` out.

A DSP catalogue lists what a consumer can negotiate for, so every dataset carries the data
labs' offers as ``odrl:hasPolicy`` ``Offer``s (from :mod:`catalog.offers`; a lab that may
not offer the dataset, or whose terms need a person's review, contributes no offer) and
its distributions, each reached through this catalogue's ``DataService`` (whose
``endpointURL`` is this instance's DSP endpoint). A dataset no lab may offer breaks the
DSP dataset schema (``hasPolicy`` needs at least one offer), so it is left out of the
DSP catalogue; it stays in ``/catalog``.

The datasets are those of the DCAT-AP export (same selection, deduplication and
federation rules, see :mod:`catalog.federation.dcat_export`), flat under the root
catalogue, ordered by IRI and paged by page number; the router adds the ``Link`` header.
Only metadata is exported: never a sample's rows, statistics or file.

Supported ``filter`` entries (DSP leaves the filter implementation-specific): objects
with any of ``dataSpace`` (name or IRI), ``source`` (source name) and ``modifiedSince``
(ISO date or date-time). Anything else is refused (HTTP 400, ``CatalogError``).

Everything is compact JSON-LD under the spec's DSP context alone
(``https://w3id.org/dspace/2025/1/context.jsonld``), and reads as meant with the spec's own
context: a term the context does not define is never written bare (it would be dropped, or
become a document-relative IRI). So titles, descriptions and keywords are ``dct:title``,
``dct:description`` and ``dcat:keyword`` (the context declares the ``dct``/``dcat``
prefixes); ODRL actions and left operands the DSP ODRL profile lacks are ``odrl:`` compact
IRIs (only ``use`` and the operators are terms of it); the project's own terms are full
IRIs. A distribution's ``accessService`` is the catalogue's ``DataService`` itself (the
context reads a bare string there as a literal).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from catalog.errors import DatasetNotFound, InvalidInput, LimitExceeded
from catalog.facts import ACCESS_CODES
from catalog.facts.read import record_facts
from catalog.federation.dcat_export import CatalogQuery, catalogue_iri, check_since, select_entries
from catalog.graphs import check_source_name
from catalog.ids import dataset_id as id_of_iri
from catalog.labs import ensure_registry
from catalog.model import Dataset
from catalog.namespaces import DLAB, DPV, EU_ACCESS_RIGHT
from catalog.offers import offers_for
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue
from catalog.settings import Settings, default_of

DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
#: The protocol version spoken, and where its endpoints are under the public URL (the HTTPS
#: binding's ``path``: ``<public_url><path>`` is the ``<base>`` of every DSP endpoint).
PROTOCOL_VERSION = "2025-1"
DSP_PATH = "/dsp"
DEFAULT_FORMAT = "HttpData-PULL"
_FILTER_KEYS = {"dataSpace", "source", "modifiedSince"}
_PREFIXES = {"dlab:": str(DLAB), "dpv:": str(DPV), "cc:": "http://creativecommons.org/ns#"}
#: The ODRL terms the DSP 2025-1 ODRL profile (``odrl-profile.jsonld``, imported by the DSP
#: context) defines as values: the one action and the operators. Any other ODRL name is
#: written ``odrl:<name>``.
ODRL_PROFILE_VALUES = frozenset(
    {"use", "eq", "gt", "gteq", "lt", "lteq", "neq", "isA", "hasPart", "isPartOf"}
    | {"isAllOf", "isAnyOf", "isNoneOf"}
)


@dataclass(frozen=True)
class DspPage:
    """One page of the DSP catalogue: the ``Catalog`` document and its paging figures."""

    document: dict[str, Any]
    page: int
    last_page: int
    total: int


def endpoint_url(public_url: str) -> str:
    """This instance's DSP endpoint (``endpointURL`` of its DataService)."""
    return public_url.rstrip("/") + DSP_PATH


def service_iri(base_iri: str) -> str:
    return catalogue_iri(base_iri) + "/dsp-service"


def version_document(settings: Settings) -> dict[str, Any]:
    """The ``VersionResponse`` of ``/.well-known/dspace-version`` (DSP 2025-1, "Exposure of
    Versions"): the one version spoken, over the HTTPS binding at :data:`DSP_PATH`, served by
    the catalogue's DataService (``serviceId``, its ``@id`` in the catalogue). No ``auth``:
    the catalogue endpoints take no credentials."""
    return {
        "protocolVersions": [
            {
                "version": PROTOCOL_VERSION,
                "path": DSP_PATH,
                "binding": "HTTPS",
                "serviceId": service_iri(settings.base_iri),
            }
        ]
    }


# -- the request ------------------------------------------------------------------------------


def parse_request(
    body: bytes, max_bytes: int = default_of("dsp_max_request_bytes")
) -> CatalogQuery:
    """Read a ``CatalogRequestMessage`` of at most ``max_bytes`` (the
    ``dsp_max_request_bytes`` setting); its filter becomes a :class:`CatalogQuery`."""
    if len(body) > max_bytes:
        raise LimitExceeded(f"the catalogue request is over {max_bytes} bytes", where="body")
    try:
        message = json.loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the catalogue request is not JSON", where="body") from None
    if not isinstance(message, dict):
        raise InvalidInput("the catalogue request must be a JSON object", where="body")
    if message.get("@type") != "CatalogRequestMessage":
        raise InvalidInput(
            f"expected @type CatalogRequestMessage, got {message.get('@type')!r}", where="@type"
        )
    context = message.get("@context")
    names = context if isinstance(context, list) else [context]
    if DSP_CONTEXT not in names:
        raise InvalidInput(f"@context must name {DSP_CONTEXT}", where="@context")
    return _query(message.get("filter", []))


def _query(filters: Any) -> CatalogQuery:
    if not isinstance(filters, list):
        raise InvalidInput("filter must be an array", where="filter")
    found: dict[str, str] = {}
    for n, item in enumerate(filters):
        where = f"filter[{n}]"
        if not isinstance(item, dict) or not item:
            raise InvalidInput(
                "each filter is an object with dataSpace, source or modifiedSince", where=where
            )
        for key, value in item.items():
            if key not in _FILTER_KEYS:
                raise InvalidInput(
                    f"unsupported filter {key!r}; supported: {', '.join(sorted(_FILTER_KEYS))}",
                    where=where,
                )
            if not isinstance(value, str) or not value:
                raise InvalidInput(f"filter {key!r} takes a non-empty string", where=where)
            if key in found and found[key] != value:
                raise InvalidInput(f"filter {key!r} is given twice", where=where)
            found[key] = value
    source = found.get("source")
    return CatalogQuery(
        data_space=found.get("dataSpace"),
        source=check_source_name(source) if source else None,
        modified_since=check_since(found.get("modifiedSince")),
    )


# -- the answer -------------------------------------------------------------------------------


def build_catalog(cat: Catalogue, query: CatalogQuery, page: int, page_size: int) -> DspPage:
    """One page of the DSP ``Catalog`` for ``query``."""
    ensure_registry(cat)
    root = catalogue_iri(cat.settings.base_iri)
    selected = select_entries(cat, query, root)
    total = len(selected)
    last = max(1, -(-total // page_size))
    if page > last:
        raise InvalidInput(f"page {page} is past the last page ({last})", where="page")
    datasets = []
    for entry in selected[(page - 1) * page_size : page * page_size]:
        described = dataset_node(cat, entry.id)
        if described is not None:
            datasets.append(described)
    doc = _catalog_node(cat)
    if datasets:
        doc["dataset"] = datasets
    return DspPage(doc, page, last, total)


def _catalog_node(cat: Catalogue) -> dict[str, Any]:
    s = cat.settings
    root = catalogue_iri(s.base_iri)
    return {
        "@context": [DSP_CONTEXT],
        "@id": root,
        "@type": "Catalog",
        "participantId": root,
        "dct:title": s.catalogue_title,
        "dct:description": s.catalogue_description,
        "service": [data_service(s)],
    }


def data_service(settings: Settings) -> dict[str, Any]:
    """The catalogue's one ``DataService``: its DSP endpoint."""
    return {
        "@id": service_iri(settings.base_iri),
        "@type": "DataService",
        "endpointURL": endpoint_url(settings.public_url),
    }


def find_dataset(cat: Catalogue, ident: str) -> str:
    """A dataset's id from its id or its IRI (as DSP consumers know datasets by ``@id``)."""
    if ":" in ident:
        ident = id_of_iri(ident)
    return cat.find(ident).id


def dataset_document(cat: Catalogue, ident: str) -> dict[str, Any]:
    """The DSP ``Dataset`` answer of ``GET /catalog/datasets/{id}``."""
    ensure_registry(cat)
    node = dataset_node(cat, find_dataset(cat, ident))
    if node is None:
        raise DatasetNotFound(
            f"dataset {ident!r} is not offered by any data lab, so it has no DSP offer",
            where="id",
        )
    return {"@context": [DSP_CONTEXT], **node}


def dataset_node(cat: Catalogue, ident: str) -> dict[str, Any] | None:
    """One dataset as a DSP ``Dataset`` node, or ``None`` if no lab may offer it."""
    offers = [dsp_offer(o) for o in offers_for(cat, ident).odrl()]
    if not offers:
        return None
    record = cat.get(ident)
    model = Dataset.from_graph(to_rdflib_graph(record.triples), record.ref.iri)
    node: dict[str, Any] = {"@id": record.ref.iri, "@type": "Dataset"}
    title = model.title.best(["en"])
    description = model.description.best(["en"])
    if title:
        node["dct:title"] = title
    if description:
        node["dct:description"] = description
    keywords = sorted({k for _, k in model.keyword.pairs()})
    if keywords:
        node["dcat:keyword"] = keywords
    code = ACCESS_CODES.get(record_facts(cat, ident).access_level)
    if code:
        node["dct:accessRights"] = {"@id": str(EU_ACCESS_RIGHT) + code}
    node["hasPolicy"] = offers
    node["distribution"] = _distributions(cat, model)
    return node


def _distributions(cat: Catalogue, model: Dataset) -> list[dict[str, Any]]:
    service = data_service(cat.settings)
    out = []
    for dist in model.distribution:
        fmt = dist.format or dist.media_type
        item: dict[str, Any] = {
            "@type": "Distribution",
            "format": str(fmt) if fmt is not None else DEFAULT_FORMAT,
            "accessService": service,
        }
        if dist.iri:
            item["@id"] = dist.iri
        title = dist.title.best(["en"])
        if title:
            item["dct:title"] = title
        out.append(item)
    if not out:
        out.append({"@type": "Distribution", "format": DEFAULT_FORMAT, "accessService": service})
    return sorted(out, key=lambda d: (d.get("@id", ""), d["format"]))


def dsp_offer(odrl: dict[str, Any]) -> dict[str, Any]:
    """An ODRL Offer of :mod:`catalog.offers.jsonld` in DSP catalogue form.

    ``uid`` becomes ``@id``; ``target`` goes (a catalogue offer's target is the dataset it
    sits in); empty rule lists go; actions and left operands the DSP ODRL profile lacks become
    ``odrl:`` compact IRIs, the project's prefixed names full IRIs.
    """
    offer: dict[str, Any] = {"@id": odrl["uid"], "@type": "Offer", "assigner": odrl["assigner"]}
    for key in ("permission", "prohibition", "obligation"):
        rules = odrl.get(key) or []
        if rules:
            offer[key] = [_dedupe_duties(_expand(r)) for r in rules]
    return offer


def _dedupe_duties(rule: dict[str, Any]) -> dict[str, Any]:
    """Drop repeated duties (two licence duties can map to one ODRL action)."""
    if "duty" in rule:
        seen: list[Any] = []
        for duty in rule["duty"]:
            if duty not in seen:
                seen.append(duty)
        rule["duty"] = seen
    return rule


def _iri(value: str) -> str:
    for prefix, ns in _PREFIXES.items():
        if value.startswith(prefix):
            return ns + value[len(prefix) :]
    return value


def odrl_value(value: str) -> str:
    """An ODRL action, left operand or operator as the DSP context reads it: a term of the
    DSP ODRL profile as it is, another bare ODRL name as ``odrl:<name>``, a project prefixed
    name as a full IRI."""
    if value in ODRL_PROFILE_VALUES or value.startswith("odrl:"):
        return value
    if ":" in value:
        return _iri(value)
    return "odrl:" + value


def _right_operand(value: Any) -> Any:
    if isinstance(value, list):
        return [_right_operand(v) for v in value]
    if isinstance(value, dict) and isinstance(value.get("@id"), str):
        return {**value, "@id": _iri(value["@id"])}
    return value


def _expand(node: Any) -> Any:
    if isinstance(node, list):
        return [_expand(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "accessMode":
            out[str(DLAB.accessMode)] = {"@id": _iri(value)}
        elif key in ("action", "leftOperand", "operator") and isinstance(value, str):
            out[key] = odrl_value(value)
        elif key == "rightOperand":
            out[key] = _right_operand(value)
        else:
            out[_iri(key)] = _expand(value)
    return out


def catalog_error(code: str, reason: str) -> dict[str, Any]:
    """A DSP ``CatalogError`` message."""
    return {"@context": [DSP_CONTEXT], "@type": "CatalogError", "code": code, "reason": [reason]}
