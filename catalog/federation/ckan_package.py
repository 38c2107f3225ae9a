"""DCAT-AP records as CKAN package dictionaries, for the CKAN-compatible Action API.

The mapping is ckanext-dcat's read backwards, field by field from the shared table
(:mod:`catalog.federation.ckan_fields`), so that this project's own CKAN connector reads
back what was written: ``uri`` carries the dataset IRI, titles and descriptions keep every
language (``title_translated``, ``notes_translated``), publishers, contact points and
HealthDCAT-AP's access bodies travel as lists of agents, periods as ``{start, end}`` lists,
distributions as resources (``format`` as written, ``mimetype`` as the bare media type).
Organisations, groups and tags are named by :mod:`catalog.federation.ckan_directory`.
``metadata_modified`` is when the record last changed in this catalogue
(:mod:`catalog.change_times`). Only metadata is rendered: samples, rows and statistics never
appear here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import pyoxigraph as ox

from catalog import records
from catalog.change_times import ckan_time
from catalog.federation import ckan_fields as cf
from catalog.federation.ckan_directory import Directory, Entry
from catalog.ids import dataset_id
from catalog.namespaces import EU_LICENCE, INTERNAL_PREDICATES
from catalog.service import Catalogue
from catalog.skolem import unskolemise

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
Node = ox.NamedNode | ox.BlankNode
Index = dict[Node, list[tuple[str, Any]]]


def _index(triples: list[ox.Triple]) -> Index:
    out: Index = defaultdict(list)
    for t in triples:
        if isinstance(t.subject, (ox.NamedNode, ox.BlankNode)):
            out[t.subject].append((t.predicate.value, t.object))
    return out


def _objects(index: Index, node: Node, prop: str) -> list[Any]:
    return [o for p, o in index.get(node, []) if p == prop]


def _iri(term: Any) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None


def _pick(literals: list[Any], prefer: str = "en") -> str:
    texts = [o for o in literals if isinstance(o, ox.Literal)]
    for o in texts:
        if o.language == prefer:
            return str(o.value)
    for o in texts:
        if not o.language:
            return str(o.value)
    return str(sorted(texts, key=lambda o: (o.language or "", o.value))[0].value) if texts else ""


def _translated(literals: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for o in literals:
        if isinstance(o, ox.Literal) and o.language:
            out.setdefault(o.language, []).append(o.value)
    return {lang: sorted(values) for lang, values in sorted(out.items())}


def _node_key(node: Any) -> str:
    return node.value if isinstance(node, ox.NamedNode) else ""


def _agent(index: Index, node: Any) -> dict[str, Any]:
    names = _objects(index, node, cf.FOAF + "name") or _objects(index, node, cf.VCARD + "fn")
    mail = _objects(index, node, cf.FOAF + "mbox") or _objects(index, node, cf.VCARD + "hasEmail")
    home = _objects(index, node, cf.FOAF + "homepage") or _objects(index, node, cf.VCARD + "hasURL")
    kind = _objects(index, node, cf.DCT + "type")
    agent: dict[str, Any] = {
        "uri": _node_key(node),
        "name": _pick(names),
        "email": str(mail[0].value).removeprefix("mailto:") if mail else "",
        "url": _iri(home[0]) or "" if home else "",
        "type": _iri(kind[0]) or "" if kind else "",
    }
    translated = _translated(names)
    if translated:
        agent["name_translated"] = translated
    return agent


def _period(index: Index, node: Any) -> dict[str, str]:
    out = {}
    for key, prop in (("start", "startDate"), ("end", "endDate")):
        values = _objects(index, node, cf.DCAT + prop)
        if values and isinstance(values[0], ox.Literal):
            out[key] = values[0].value
    return out


def _table_fields(index: Index, node: Node, table: tuple[cf.Field, ...]) -> dict[str, Any]:
    """The ``table``'s fields of ``node``: lists of IRIs, texts, typed values."""
    out: dict[str, Any] = {}
    for f in table:
        values = _objects(index, node, f.prop)
        if not values:
            continue
        if f.kind == "iri":
            iris = sorted(v.value for v in values if isinstance(v, ox.NamedNode))
            if iris:
                out[f.key] = iris
        elif f.kind == "text":
            plain = sorted(v.value for v in values if isinstance(v, ox.Literal) and not v.language)
            translated = _translated(values)
            if plain or translated:
                out[f.key] = plain if plain else [_pick(values)]
            if translated:
                out[f.key + "_translated"] = translated
        elif isinstance(values[0], ox.Literal):
            out[f.key] = values[0].value
    return out


def _extras(fields: dict[str, Any]) -> list[dict[str, str]]:
    """ckanext-dcat's classic extras: strings, lists and objects as JSON."""
    out = []
    for key, value in sorted(fields.items()):
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        out.append({"key": key, "value": text})
    return out


def _licence(index: Index, node: Any) -> tuple[str, str, str]:
    """``(license_id, license_title, license_url)`` of a licence node: an EU licence by its
    code, another IRI as itself, a blank node by its title only (never its node id)."""
    titles = _objects(index, node, cf.DCT + "title") or _objects(index, node, cf.RDFS + "label")
    title = _pick(titles)
    if isinstance(node, ox.NamedNode):
        iri = node.value
        code = iri[len(str(EU_LICENCE)) :].strip("/") if iri.startswith(str(EU_LICENCE)) else iri
        return code, title or code, iri
    return "", title, ""


def resource(index: Index, node: Any, package_id: str, number: int) -> dict[str, Any]:
    """One distribution as a CKAN resource."""
    access = _objects(index, node, cf.DCAT + "accessURL")
    download = _objects(index, node, cf.DCAT + "downloadURL")
    fmt = _objects(index, node, cf.DCT + "format")
    media = _objects(index, node, cf.DCAT + "mediaType")
    size = _objects(index, node, cf.DCAT + "byteSize")
    titles = _objects(index, node, cf.DCT + "title")
    descriptions = _objects(index, node, cf.DCT + "description")
    licence = _objects(index, node, cf.DCT + "license")
    rights = _objects(index, node, cf.DCT + "rights")
    uri = _node_key(node)
    media_iri = _iri(media[0]) if media else None
    out: dict[str, Any] = {
        "id": dataset_id(uri) if uri else f"{package_id}-{number}",
        "package_id": package_id,
        "uri": uri,
        "name": _pick(titles),
        "description": _pick(descriptions),
        "url": (_iri(download[0]) if download else None)
        or (_iri(access[0]) if access else "")
        or "",
        "access_url": _iri(access[0]) or "" if access else "",
        "download_url": _iri(download[0]) or "" if download else "",
        "format": (_iri(fmt[0]) or fmt[0].value) if fmt else "",
        # the bare media type (text/csv); an IRI outside IANA's register as it is
        "mimetype": media_iri.removeprefix(cf.IANA).removeprefix(cf.IANA_HTTPS)
        if media_iri
        else "",
        "size": int(size[0].value) if size and str(size[0].value).isdigit() else None,
        "license": _iri(licence[0]) or "" if licence else "",
        "rights": (_iri(rights[0]) or _pick(rights)) if rights else "",
        "state": "active",
    }
    for key, values in (("name", titles), ("description", descriptions)):
        if _translated(values):
            out[key + "_translated"] = _translated(values)
    out.update(_table_fields(index, node, cf.RESOURCE_FIELDS))
    return out


def _record(cat: Catalogue, entry: Entry) -> tuple[Index, ox.NamedNode]:
    ref = records.DatasetRef(entry.id, entry.iri, entry.source, entry.graph)
    triples = [
        t for t in records.describe(cat.store, ref) if t.predicate.value not in INTERNAL_PREDICATES
    ]
    return _index(list(unskolemise(triples, public_url=cat.settings.public_url))), ox.NamedNode(
        entry.iri
    )


def package(
    cat: Catalogue, entry: Entry, names: Directory, changed: datetime | None
) -> dict[str, Any]:
    """The CKAN package dict of one dataset."""
    index, d = _record(cat, entry)
    titles = _objects(index, d, cf.DCT + "title")
    notes = _objects(index, d, cf.DCT + "description")
    keywords = _objects(index, d, cf.DCAT + "keyword")
    modified = ckan_time(changed) if changed else _loaded_time(entry.loaded_at)
    issued = _objects(index, d, cf.DCT + "issued")
    fields = _table_fields(index, d, cf.DATASET_FIELDS)
    fields["uri"] = entry.iri
    for key, prop in cf.AGENT_FIELDS.items():
        agents = [_agent(index, a) for a in _objects(index, d, prop)]
        if agents:
            fields[key] = sorted(agents, key=lambda a: (a["uri"], a["name"]))
    contacts = [_agent(index, c) for c in _objects(index, d, cf.DCAT + "contactPoint")]
    if contacts:
        fields["contact"] = sorted(contacts, key=lambda a: (a["uri"], a["name"]))
    for key, prop in cf.PERIOD_FIELDS.items():
        periods = [_period(index, p) for p in _objects(index, d, prop)]
        if periods:
            fields[key] = sorted(periods, key=lambda p: (p.get("start", ""), p.get("end", "")))
    provenance = [
        lit
        for p in _objects(index, d, cf.DCT + "provenance")
        for lit in _objects(index, p, cf.RDFS + "label")
    ]
    if provenance:
        fields["provenance"] = _pick(provenance)
        if _translated(provenance):
            fields["provenance_translated"] = _translated(provenance)
    spatial = _spatial(index, d)
    if spatial:
        fields["spatial_coverage"] = spatial
    for key, values in (("title", titles), ("notes", notes), ("tags", keywords)):
        if _translated(values):
            fields[key + "_translated"] = _translated(values)
    tags = sorted({str(k.value) for k in keywords if isinstance(k, ox.Literal)})
    dists = sorted(
        _objects(index, d, cf.DCAT + "distribution"),
        key=lambda x: (_node_key(x), json.dumps(sorted(str(o) for _, o in index.get(x, [])))),
    )
    resources = [resource(index, x, entry.id, n) for n, x in enumerate(dists)]
    licences = [lic for x in dists for lic in _objects(index, x, cf.DCT + "license")]
    licence_id, licence_title, licence_url = (
        _licence(index, licences[0]) if licences else ("", "", "")
    )
    org = names.organizations.get(entry.organization) if entry.organization else None
    kinds = {_iri(t) for t in _objects(index, d, RDF_TYPE)}
    return {
        "id": entry.id,
        "name": entry.id,
        "title": _pick(titles) or entry.id,
        "notes": _pick(notes),
        "url": _iri((_objects(index, d, cf.DCAT + "landingPage") or [None])[0]) or "",
        "type": "dataset_series" if cf.DCAT + "DatasetSeries" in kinds else "dataset",
        "state": "active",
        "private": False,
        "metadata_modified": modified,
        "metadata_created": _created(issued, modified),
        "license_id": licence_id,
        "license_title": licence_title,
        "license_url": licence_url,
        "organization": organization_dict(org) if org else None,
        "owner_org": org.name if org else None,
        "groups": [group_dict(names, g) for g in entry.groups if g in names.groups],
        "tags": [{"name": t, "display_name": t, "state": "active"} for t in tags],
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "extras": _extras(fields),
    }


def _spatial(index: Index, d: ox.NamedNode) -> list[dict[str, str]]:
    """Locations described in the record (blank nodes with a box, a geometry or a centroid);
    named places travel in ``spatial_uri``."""
    out = []
    for node in _objects(index, d, cf.DCT + "spatial"):
        if isinstance(node, ox.NamedNode):
            continue
        item = {}
        for key, prop in (
            ("bbox", cf.DCAT + "bbox"),
            ("centroid", cf.DCAT + "centroid"),
            ("geom", cf.LOCN + "geometry"),
        ):
            values = _objects(index, node, prop)
            if values and isinstance(values[0], ox.Literal):
                item[key] = values[0].value
                item[key + "_datatype"] = values[0].datatype.value
        if item:
            out.append(item)
    return sorted(out, key=lambda i: json.dumps(i, sort_keys=True))


def _created(issued: list[Any], modified: str) -> str:
    if issued and isinstance(issued[0], ox.Literal):
        value = issued[0].value
        return (value if "T" in value else value + "T00:00:00")[:19] + ".000000"
    return modified


def _loaded_time(value: str) -> str:
    try:
        return ckan_time(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return "1970-01-01T00:00:00.000000"


def organization_dict(org: Any, *, count: int | None = None) -> dict[str, Any]:
    out = {
        "id": org.name,
        "name": org.name,
        "title": org.title,
        "display_name": org.title,
        "description": "",
        "image_url": "",
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "uri": sorted(org.publishers)[0] if org.publishers else "",
        "url": org.homepage,
    }
    if count is not None:
        out["package_count"] = count
    return out


def group_dict(names: Directory, name: str, *, count: int | None = None) -> dict[str, Any]:
    group = names.groups[name]
    out: dict[str, Any] = {
        "id": group.name,
        "name": group.name,
        "title": group.title,
        "display_name": group.title,
        "description": "",
        "image_display_url": "",
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "uri": group.iri,
    }
    if count is not None:
        out["package_count"] = count
    return out
