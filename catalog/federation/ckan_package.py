"""DCAT-AP records as CKAN package dictionaries, for the CKAN-compatible Action API.

The mapping is ckanext-dcat's ``euro_dcat_ap`` read backwards: ``uri`` carries the
dataset IRI (so a CKAN harvester, including this project's own connector, keeps the
dataset's identity), licence, access rights, themes and data spaces travel as ``extras``
or top-level fields, distributions become ``resources``. Only metadata is rendered:
samples, rows and statistics never appear here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF

from catalog import records
from catalog.errors import InvalidInput, NotFound
from catalog.facts import ACCESS_CODES
from catalog.facts.read import ref_facts
from catalog.graphs import CURRENT_GRAPHS, META_GRAPH
from catalog.ids import dataset_id
from catalog.namespaces import DATASPACE, DCAT, DCT, DLAB, EU_ACCESS_RIGHT, INTERNAL_PREDICATES
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue
from catalog.skolem import unskolemise

#: Errors the Action API reports in CKAN's own envelope.
NotFoundLike = NotFound

_SLUG = re.compile(r"[^a-z0-9_-]+")
_RANGE = re.compile(r"^metadata_modified:\[(\S+) TO (\S+)\]$")
_ORG_FILTER = re.compile(r"^organization:\"?([a-z0-9_-]+)\"?$")


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:100] or "unnamed"


@dataclass
class PackageSummary:
    """What search, sorting and paging need of one dataset, from one SPARQL query."""

    id: str
    iri: str
    source: str
    graph: str
    modified: str
    texts: list[str] = field(default_factory=list)
    organization: str | None = None


def _pick(graph: Graph, node: Any, prop: Any, prefer: str = "en") -> str | None:
    values = list(graph.objects(node, prop))
    for v in values:
        if isinstance(v, Literal) and v.language == prefer:
            return str(v)
    return str(values[0]) if values else None


def summaries(cat: Catalogue) -> list[PackageSummary]:
    rows = cat.store.select(
        f"SELECT ?id ?d ?source ?g ?mod ?at ?text ?org WHERE {{ {CURRENT_GRAPHS} "
        f"OPTIONAL {{ GRAPH <{META_GRAPH}> {{ ?src <{DLAB.loadedAt}> ?at }} }} "
        f"GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id "
        f"OPTIONAL {{ ?d <{DCT.modified}> ?mod }} "
        f"OPTIONAL {{ ?d <{DCT.title}>|<{DCT.description}>|<{DCAT.keyword}> ?text }} "
        f"OPTIONAL {{ ?d <{DCT.publisher}>/<{FOAF.name}> ?org }} }} }}"
    )
    out: dict[str, PackageSummary] = {}
    for r in rows:
        pid = r["id"].value
        item = out.get(pid)
        if item is None:
            mod = r["mod"].value if "mod" in r else r["at"].value if "at" in r else ""
            item = out[pid] = PackageSummary(
                pid, r["d"].value, r["source"].value, r["g"].value, _iso(mod)
            )
        if "text" in r:
            item.texts.append(r["text"].value.lower())
        if "org" in r and item.organization is None:
            item.organization = slug(r["org"].value)
    return list(out.values())


def _iso(value: str) -> str:
    """A CKAN-style ``metadata_modified`` (``YYYY-MM-DDTHH:MM:SS.ffffff``)."""
    if not value:
        return "1970-01-01T00:00:00.000000"
    value = value.replace("Z", "")[:26]
    if "T" not in value:
        value += "T00:00:00"
    value = re.sub(r"[+-]\d{2}:\d{2}$", "", value)
    return value if "." in value else value + ".000000"


def search(
    items: list[PackageSummary], q: str | None, fq: str | None, sort: str | None
) -> list[PackageSummary]:
    """CKAN's ``q``/``fq``/``sort`` over the summaries (the subset CKAN harvesters use)."""
    out = items
    if q and q.strip() not in ("*:*", "*"):
        words = [w.lower() for w in q.split() if w]
        out = [i for i in out if all(any(w in t for t in i.texts) for w in words)]
    for clause in (fq or "").split(" AND ") if fq else []:
        clause = clause.strip()
        if not clause:
            continue
        match = _RANGE.match(clause)
        org = _ORG_FILTER.match(clause)
        if match:
            low, high = match.group(1), match.group(2)
            lo = "" if low == "*" else _iso(low)
            hi = "\uffff" if high == "*" else _iso(high)
            out = [i for i in out if lo <= i.modified <= hi]
        elif org:
            out = [i for i in out if i.organization == org.group(1)]
        else:
            raise InvalidInput(
                f"unsupported fq clause {clause!r}; supported: metadata_modified:[A TO B], "
                "organization:NAME",
                where="fq",
            )
    keys = [k.strip() for k in (sort or "metadata_modified desc, id asc").split(",")]
    for key in reversed(keys):
        name, _, direction = key.partition(" ")
        if name not in ("metadata_modified", "id", "name"):
            raise InvalidInput(f"unsupported sort key {name!r}", where="sort")
        attr = "modified" if name == "metadata_modified" else "id"
        out = sorted(out, key=attrgetter(attr), reverse=direction == "desc")
    return out


def package(cat: Catalogue, item: PackageSummary) -> dict[str, Any]:
    """The CKAN package dict of one dataset."""
    ref = records.DatasetRef(item.id, item.iri, item.source, item.graph)
    triples = [
        t for t in records.describe(cat.store, ref) if t.predicate.value not in INTERNAL_PREDICATES
    ]
    g = to_rdflib_graph(list(unskolemise(triples, public_url=cat.settings.public_url)))
    d = URIRef(item.iri)
    title = _pick(g, d, DCT.title) or item.id
    publisher = g.value(d, DCT.publisher)
    org = None
    if publisher is not None:
        name = _pick(g, publisher, FOAF.name) or str(publisher)
        org = {
            "id": slug(name),
            "name": slug(name),
            "title": name,
            "type": "organization",
            "is_organization": True,
            "state": "active",
        }
    facts = ref_facts(cat, ref)
    licence = facts.licences[0] if facts is not None and facts.licences else None
    extras = [{"key": "uri", "value": item.iri}]
    code = ACCESS_CODES.get(facts.access_level) if facts is not None else None
    if code:
        extras.append({"key": "access_rights", "value": str(EU_ACCESS_RIGHT) + code})
    identifier = g.value(d, DCT.identifier)
    if identifier is not None:
        extras.append({"key": "identifier", "value": str(identifier)})
    themes = sorted(str(t) for t in g.objects(d, DCAT.theme))
    spaces = sorted(str(DATASPACE) + x for x in (facts.space_ids if facts is not None else ()))
    if themes:
        extras.append({"key": "theme", "value": _json_list(themes)})
    if spaces:
        extras.append({"key": "data_space", "value": _json_list(spaces)})
    tags = sorted({str(k) for k in g.objects(d, DCAT.keyword)})
    resources = [_resource(g, x, item.id, n) for n, x in enumerate(g.objects(d, DCAT.distribution))]
    resources.sort(key=lambda r: r["id"])
    return {
        "id": item.id,
        "name": item.id,
        "title": title,
        "notes": _pick(g, d, DCT.description) or "",
        "url": str(g.value(d, DCAT.landingPage) or ""),
        "type": "dataset",
        "state": "active",
        "private": False,
        "metadata_modified": item.modified,
        "metadata_created": _iso(str(g.value(d, DCT.issued) or ""))
        if g.value(d, DCT.issued)
        else item.modified,
        "license_id": str(licence).rstrip("/").rsplit("/", 1)[-1] if licence else "",
        "license_url": str(licence) if licence else "",
        "organization": org,
        "owner_org": org["id"] if org else None,
        "tags": [{"name": t, "display_name": t} for t in tags],
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "extras": extras,
    }


def _json_list(values: list[str]) -> str:
    import json

    return json.dumps(values)


def _resource(g: Graph, node: Any, package_id: str, index: int) -> dict[str, Any]:
    url = g.value(node, DCAT.downloadURL) or g.value(node, DCAT.accessURL)
    fmt = g.value(node, DCT.format) or g.value(node, DCAT.mediaType)
    rid = str(node) if isinstance(node, URIRef) else f"{package_id}-{index}"
    return {
        "id": dataset_id(rid) if isinstance(node, URIRef) else rid,
        "package_id": package_id,
        "uri": str(node) if isinstance(node, URIRef) else "",
        "name": _pick(g, node, DCT.title) or "",
        "description": _pick(g, node, DCT.description) or "",
        "url": str(url or ""),
        "access_url": str(g.value(node, DCAT.accessURL) or ""),
        "download_url": str(g.value(node, DCAT.downloadURL) or ""),
        "format": str(fmt).rstrip("/").rsplit("/", 1)[-1] if fmt else "",
        "mimetype": str(g.value(node, DCAT.mediaType) or ""),
        "license": str(g.value(node, DCT.license) or ""),
        "state": "active",
    }


def organizations(items: list[PackageSummary]) -> list[str]:
    return sorted({i.organization for i in items if i.organization})
