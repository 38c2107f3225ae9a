"""Dataspace Protocol 2025-1 catalogues → DCAT-AP 3 records.

A DSP ``Catalog`` is compact JSON-LD whose ``@context`` is
``https://w3id.org/dspace/2025/1/context.jsonld``; it is expanded with the project's bundled
context for that IRI (``schemas/contexts/dspace-2025-1.jsonld``, which reads every term as
the spec's context does), never fetched. Each ``dcat:Dataset`` becomes one record that owns
its ``odrl:hasPolicy`` offers (the dataset's terms, kept as ODRL triples), its distributions
and the ``dcat:DataService`` each distribution is reached through. A dataset without an
offer or without a distribution breaks the DSP dataset schema and is reported as a
per-record failure.

Mapping to DCAT-AP, in two explicit steps:

* before expansion (:func:`normalise`), what DSP means but its context leaves undefined is
  said in full: a distribution's ``format`` that is a transfer type (``HttpData-PULL``, no
  IRI) is not a file format, so it moves to ``dlab:transferType``; a media type
  (``text/csv``) becomes ``dcat:mediaType``; an ``accessService`` or ``endpointURL`` given
  as a string (a literal, for the context) becomes the IRI it names; a bare ODRL action or
  left operand the DSP ODRL profile lacks (``read``, ``spatial``) becomes ``odrl:<name>``
  when it is one of the ODRL 2.2 Common Vocabulary;
* after expansion (:func:`split_records`), each distribution gets the DSP endpoint of its
  data service as ``dcat:accessURL`` (data is obtained by negotiating there), and each data
  service a ``dct:title`` when it has none and ``dct:conformsTo`` the DSP 2025-1 namespace
  (:data:`DSP_SPEC`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from catalog.errors import DatalabError, HarvestError
from catalog.harvest.contract import RecordFailure, SourceRecord
from catalog.namespaces import DATASPACE, DLAB, EU_ACCESS_RIGHT
from catalog.offers.odrl import ODRL_ACTIONS, ODRL_LEFT_OPERANDS
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
#: What a DSP data service conforms to: the Dataspace Protocol 2025-1 (its namespace IRI).
DSP_SPEC = "https://w3id.org/dspace/2025/1/"
IANA_MEDIA = "https://www.iana.org/assignments/media-types/"
#: ODRL values the DSP ODRL profile defines as terms (the rest are written ``odrl:<name>``).
_PROFILE_TERMS = {"use"}

P_TYPE = ox.NamedNode(RDF_TYPE)
P_DATASPACE = ox.NamedNode(str(DLAB.dataSpace))
P_ACCESS = ox.NamedNode(DCT + "accessRights")
P_IDENT = ox.NamedNode(DCT + "identifier")
P_DISTRIBUTION = ox.NamedNode(DCAT + "distribution")
P_ACCESS_SERVICE = ox.NamedNode(DCAT + "accessService")
P_ACCESS_URL = ox.NamedNode(DCAT + "accessURL")
P_ENDPOINT_URL = ox.NamedNode(DCAT + "endpointURL")
P_TITLE = ox.NamedNode(DCT + "title")
P_CONFORMS = ox.NamedNode(DCT + "conformsTo")
TRANSFER_TYPE = str(DLAB.transferType)
RESTRICTED = ox.NamedNode(str(EU_ACCESS_RIGHT.RESTRICTED))


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


def normalise(doc: Any) -> Any:
    """The catalogue with what DSP means said in full (see the module's docstring); the
    input is not changed."""
    if isinstance(doc, list):
        return [normalise(v) for v in doc]
    if not isinstance(doc, dict):
        return doc
    out = {k: (v if k == "@context" else normalise(v)) for k, v in doc.items()}
    kind = out.get("@type")
    if kind == "Distribution":
        fmt = out.get("format")
        if isinstance(fmt, str) and ":" not in fmt:
            del out["format"]
            if "/" in fmt:
                out[DCAT + "mediaType"] = {"@id": IANA_MEDIA + fmt.strip()}
            else:
                out[TRANSFER_TYPE] = fmt
        if isinstance(out.get("accessService"), str):
            out["accessService"] = {"@id": out["accessService"]}
    if kind == "DataService":
        for key in ("endpointURL", "endpointDescription"):
            if isinstance(out.get(key), str):
                out[key] = {"@id": out[key]}
    for key, names in (("action", ODRL_ACTIONS), ("leftOperand", ODRL_LEFT_OPERANDS)):
        value = out.get(key)
        if isinstance(value, str) and value in names and value not in _PROFILE_TERMS:
            out[key] = "odrl:" + value
    return out


def parse_triples(
    content: bytes, base: str, limits: ParseLimits, resolver: ContextResolver
) -> list[ox.Triple]:
    """Expand the catalogue (after :func:`normalise`) with the bundled DSP context."""
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HarvestError(f"the DSP catalogue answer is not JSON: {exc}", where=base) from exc
    content = json.dumps(normalise(doc)).encode("utf-8")
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
        own.extend(_access(node, by_subject))
        records.append(SourceRecord(node.value, node, own))
    return records, failures


def _objects(by_subject: dict[Any, list[ox.Triple]], s: Any, p: ox.NamedNode) -> list[Any]:
    return [t.object for t in by_subject.get(s, []) if t.predicate == p]


def _access(dataset: Any, by_subject: dict[Any, list[ox.Triple]]) -> list[ox.Triple]:
    """DCAT-AP's mandatory links of a DSP dataset's distributions and data services: each
    distribution's ``dcat:accessURL`` (its data service's DSP endpoint), each data
    service's ``dct:title`` (if it has none) and ``dct:conformsTo`` the DSP."""
    added: list[ox.Triple] = []
    titled: set[Any] = set()
    for dist in _objects(by_subject, dataset, P_DISTRIBUTION):
        for service in _objects(by_subject, dist, P_ACCESS_SERVICE):
            endpoints = [
                e
                for e in _objects(by_subject, service, P_ENDPOINT_URL)
                if isinstance(e, ox.NamedNode)
            ]
            if not _objects(by_subject, dist, P_ACCESS_URL):
                added += [ox.Triple(dist, P_ACCESS_URL, e) for e in endpoints]
            if service in titled:
                continue
            titled.add(service)
            added.append(ox.Triple(service, P_CONFORMS, ox.NamedNode(DSP_SPEC)))
            if not _objects(by_subject, service, P_TITLE) and endpoints:
                title = f"Dataspace Protocol endpoint {endpoints[0].value}"
                added.append(ox.Triple(service, P_TITLE, ox.Literal(title, language="en")))
    return added
