"""Dataspace Protocol 2025-1 catalogues → DCAT-AP 3 records.

A DSP ``Catalog`` is compact JSON-LD whose ``@context`` is
``https://w3id.org/dspace/2025/1/context.jsonld``; it is expanded with the project's bundled
copy (``schemas/contexts/dspace-2025-1.jsonld``), never fetched. Each ``dcat:Dataset`` becomes
one record that owns its ``odrl:hasPolicy`` offers (the dataset's terms, kept as ODRL
triples), its distributions and the ``dcat:DataService`` each distribution is reached
through. A dataset without an offer or without a distribution breaks the DSP dataset schema
and is reported as a per-record failure. A distribution gets its data service's endpoint as
``dcat:accessURL`` and an untitled data service a title naming its endpoint, which DCAT-AP
makes mandatory and DSP leaves implicit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from catalog.errors import DatalabError, HarvestError
from catalog.harvest.contract import RecordFailure, SourceRecord
from catalog.namespaces import DATASPACE, DLAB, EU_ACCESS_RIGHT
from catalog.ownership import owned_closure
from catalog.rdf_bounds import ParseLimits
from catalog.rdf_input import ContextResolver, iter_triples

DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
DCAT = "http://www.w3.org/ns/dcat#"
ODRL = "http://www.w3.org/ns/odrl/2/"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DATASET_TYPES = {DCAT + "Dataset", DCAT + "DatasetSeries"}
CATALOG_TYPE = DCAT + "Catalog"

P_TYPE = ox.NamedNode(RDF_TYPE)
P_DATASPACE = ox.NamedNode(str(DLAB.dataSpace))
P_ACCESS = ox.NamedNode(DCT + "accessRights")
P_IDENT = ox.NamedNode(DCT + "identifier")
RESTRICTED = ox.NamedNode(str(EU_ACCESS_RIGHT.RESTRICTED))
P_TITLE = ox.NamedNode(DCT + "title")
P_SERVICE = ox.NamedNode(DCAT + "accessService")
P_ENDPOINT = ox.NamedNode(DCAT + "endpointURL")
P_ACCESS_URL = ox.NamedNode(DCAT + "accessURL")


def catalog_request(filters: list[Any] | None = None) -> dict[str, Any]:
    """The ``CatalogRequestMessage`` the connector POSTs (DSP 2025-1, HTTPS binding)."""
    return {"@context": [DSP_CONTEXT], "@type": "CatalogRequestMessage", "filter": filters or []}


def data_space_iri(name: str) -> ox.NamedNode:
    """``https://w3id.org/datalab/dataspace/<name>`` for a data space short name."""
    return ox.NamedNode(str(DATASPACE) + name.strip().lower())


def read_catalog_json(content: bytes, where: str) -> dict[str, Any]:
    """The response as a JSON object; a ``CatalogError`` or a non-catalogue is a HarvestError."""
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HarvestError(f"the DSP catalogue answer is not JSON: {exc}", where=where) from exc
    if not isinstance(doc, dict):
        raise HarvestError("the DSP catalogue answer is not a JSON object", where=where)
    kind = doc.get("@type")
    if kind == "CatalogError":
        reason = doc.get("reason")
        text = "; ".join(map(str, reason)) if isinstance(reason, list) else str(reason or "")
        raise HarvestError(
            f"the connector answered CatalogError {doc.get('code', '')!s}: {text}".strip(),
            where=where,
        )
    if kind != "Catalog":
        raise HarvestError(
            f"expected a DSP Catalog, got @type {kind!r}; is the URL a DSP catalogue endpoint?",
            where=where,
        )
    return doc


def structural_failures(doc: dict[str, Any]) -> dict[str, str]:
    """Datasets (by ``@id``) that break the DSP dataset schema, with the reason."""
    bad: dict[str, str] = {}
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        for ds in node.get("dataset") or []:
            if not isinstance(ds, dict):
                continue
            ident = str(ds.get("@id", "(no @id)"))
            if not ds.get("hasPolicy"):
                bad[ident] = "DSP dataset has no odrl:hasPolicy offer (required by DSP 2025-1)"
            elif not ds.get("distribution"):
                bad[ident] = "DSP dataset has no distribution (required by DSP 2025-1)"
        stack.extend(c for c in node.get("catalog") or [] if isinstance(c, dict))
    return bad


def parse_triples(
    content: bytes, base: str, limits: ParseLimits, resolver: ContextResolver
) -> list[ox.Triple]:
    """Expand the catalogue with the bundled DSP context into triples."""
    try:
        return [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in iter_triples(
                content, ox.RdfFormat.JSON_LD, limits, base_iri=base, resolver=resolver
            )
        ]
    except DatalabError as exc:
        raise HarvestError(f"the DSP catalogue could not be read: {exc}", where=base) from exc


def _closure(node: Any, by_subject: dict[Any, list[ox.Triple]], stop: set[Any]) -> set[Any]:
    def links(s: Any) -> Iterable[tuple[str, object, Any]]:
        for t in by_subject.get(s, []):
            yield t.predicate.value, t.object, t.object

    return set(owned_closure(node, links, stop=lambda o: o in stop or o not in by_subject))


def split_records(
    triples: Iterable[ox.Triple], data_space: str, broken: dict[str, str] | None = None
) -> tuple[list[SourceRecord], list[RecordFailure]]:
    """One record per DSP dataset (with its offers, distributions and data services)."""
    by_subject: dict[Any, list[ox.Triple]] = {}
    for t in triples:
        by_subject.setdefault(t.subject, []).append(t)
    typed = {
        s: {
            t.object.value
            for t in ts
            if t.predicate.value == RDF_TYPE and not isinstance(t.object, ox.Triple)
        }
        for s, ts in by_subject.items()
    }
    datasets = [s for s, types in typed.items() if types & DATASET_TYPES]
    catalogs = {s for s, types in typed.items() if CATALOG_TYPE in types}
    stop = set(datasets) | catalogs
    space = data_space_iri(data_space)
    records: list[SourceRecord] = []
    failures: list[RecordFailure] = []
    for node in datasets:
        if not isinstance(node, ox.NamedNode):
            failures.append(
                RecordFailure("(blank node)", "a DSP dataset without an @id was skipped")
            )
            continue
        if broken and node.value in broken:
            failures.append(RecordFailure(node.value, broken[node.value]))
            continue
        owned = _closure(node, by_subject, stop - {node})
        own = [t for s in owned for t in by_subject.get(s, [])]
        own.append(ox.Triple(node, P_DATASPACE, space))
        predicates = {t.predicate for t in by_subject[node]}
        if P_ACCESS not in predicates:
            # access is only through a contract negotiation on one of the offers
            own.append(ox.Triple(node, P_ACCESS, RESTRICTED))
        if P_IDENT not in predicates:
            own.append(ox.Triple(node, P_IDENT, ox.Literal(node.value)))
        own.extend(_service_access(own))
        records.append(SourceRecord(node.value, node, own))
    return records, failures


def _service_access(own: list[ox.Triple]) -> list[ox.Triple]:
    """What DCAT-AP needs and DSP leaves implicit: a distribution is reached through its
    data service (DSP's access is a contract negotiation at the connector's endpoint), so
    its ``dcat:accessURL`` is the service's ``dcat:endpointURL`` (DCAT: an access URL may
    be a service endpoint); a data service without ``dct:title`` is titled after the
    endpoint it is."""
    endpoints: dict[Any, ox.NamedNode] = {}
    titled: set[Any] = set()
    for t in own:
        if t.predicate == P_ENDPOINT and isinstance(t.object, ox.NamedNode):
            endpoints.setdefault(t.subject, t.object)
        elif t.predicate == P_TITLE:
            titled.add(t.subject)
    with_access = {t.subject for t in own if t.predicate == P_ACCESS_URL}
    added: list[ox.Triple] = []
    for t in own:
        if t.predicate == P_SERVICE and t.subject not in with_access:
            endpoint = endpoints.get(t.object)
            if endpoint is not None:
                added.append(ox.Triple(t.subject, P_ACCESS_URL, endpoint))
                with_access.add(t.subject)
    for service, endpoint in endpoints.items():
        if service not in titled:
            title = ox.Literal(f"Dataspace Protocol endpoint {endpoint.value}", language="en")
            added.append(ox.Triple(service, P_TITLE, title))
    return added


def load_schemas(folder: Path) -> Any:
    """A jsonschema validator for DSP catalogues, from the spec's schema files in ``folder``.

    ``folder`` holds ``catalog-schema.json``, ``dataset-schema.json`` and
    ``contract-schema.json``; the spec's ``context-schema.json`` reference is satisfied by a
    minimal local schema (a string or an array that names the DSP context).
    """
    import jsonschema
    from referencing import Registry, Resource

    resources = []
    for name in ("catalog-schema.json", "dataset-schema.json", "contract-schema.json"):
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
    context_schema = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": "https://w3id.org/dspace/2025/1/common/context-schema.json",
        "type": "array",
        "contains": {"const": DSP_CONTEXT},
    }
    resources.append((context_schema["$id"], Resource.from_contents(context_schema)))
    registry = Registry().with_resources(resources)
    catalog = json.loads((folder / "catalog-schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft201909Validator(catalog, registry=registry)
