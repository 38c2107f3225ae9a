"""One STAC collection (with a sample of its items) → DCAT-AP 3 triples."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyoxigraph as ox
import pystac

from catalog.errors import MappingError
from catalog.namespaces import DATASPACE, DLAB, EU_ACCESS_RIGHT, EU_FILE_TYPE

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
WKT = ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Copernicus Sentinel data: Commission Delegated Regulation (EU) No 1159/2013.
COPERNICUS_LICENCE = "http://data.europa.eu/eli/reg_del/2013/1159/oj"
NOT_SPDX = {"proprietary", "various", "other", ""}
LEVEL_KEYS = ("processing:level", "s2:product_type", "sar:product_type", "product_type")


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _values(*sources: Any) -> list[str]:
    """Distinct string values of summaries/properties (lists flattened), in order."""
    out: dict[str, None] = {}
    for value in sources:
        items = value if isinstance(value, list) else [value]
        for v in items:
            if isinstance(v, str | int | float) and not isinstance(v, bool) and str(v).strip():
                out[str(v).strip()] = None
    return list(out)


def bbox_wkt(bbox: list[float]) -> str:
    """A WKT polygon for a STAC bbox; two polygons when it crosses the antimeridian."""
    if len(bbox) == 6:
        bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
    if len(bbox) != 4 or not all(isinstance(v, int | float) for v in bbox):
        raise MappingError(f"bbox {bbox!r} is not [west, south, east, north]")
    w, s, e, n = (float(v) for v in bbox)
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90):
        raise MappingError(f"bbox {bbox!r} is outside [-180, 180] x [-90, 90] (or south > north)")

    def box(a: float, b: float) -> str:
        return f"(({a} {s}, {b} {s}, {b} {n}, {a} {n}, {a} {s}))"

    if w > e:  # crosses the antimeridian
        return f"MULTIPOLYGON({box(w, 180.0)}, {box(-180.0, e)})"
    return f"POLYGON{box(w, e)}"


def _instant(value: Any, cid: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise MappingError(f"collection {cid}: invalid datetime {value!r} in its extent") from exc


class CollectionMapper:
    """Maps collections into one data space (``earth-observation`` by default)."""

    def __init__(self, data_space: str = "earth-observation") -> None:
        self.space = _n(str(DATASPACE) + data_space)

    def map(
        self,
        collection: pystac.Collection,
        items: list[dict[str, Any]],
        matched: int | None,
        items_url: str | None,
    ) -> tuple[ox.NamedNode, list[ox.Triple]]:
        cid = collection.id
        href = collection.get_self_href()
        if not href or not href.startswith(("http://", "https://")):
            raise MappingError(f"collection {cid} has no http(s) location to name it by")
        node = _n(href)
        t: list[ox.Triple] = []

        def add(s: Any, p: str, o: Any) -> None:
            t.append(ox.Triple(s, _n(p), o))

        t.append(ox.Triple(node, RDF_TYPE, _n(DCAT + "Dataset")))
        add(node, DCT + "identifier", ox.Literal(cid))
        add(node, DCT + "title", ox.Literal(collection.title or cid))
        add(node, DCT + "description", ox.Literal(collection.description or cid))
        add(node, str(DLAB.dataSpace), self.space)
        add(node, DCT + "accessRights", _n(str(EU_ACCESS_RIGHT.PUBLIC)))
        for kw in collection.keywords or []:
            add(node, DCAT + "keyword", ox.Literal(str(kw)))
        self._spatial(node, collection, t)
        self._temporal(node, collection, t)
        self._licence(node, collection, t)
        self._providers(node, collection, t)
        self._summary(node, collection, items, matched, items_url, t)
        return node, t

    def _spatial(self, node: ox.NamedNode, c: pystac.Collection, t: list[ox.Triple]) -> None:
        for bbox in c.extent.spatial.bboxes[:1]:
            loc = ox.BlankNode()
            t.append(ox.Triple(node, _n(DCT + "spatial"), loc))
            t.append(ox.Triple(loc, RDF_TYPE, _n(DCT + "Location")))
            t.append(
                ox.Triple(loc, _n(DCAT + "bbox"), ox.Literal(bbox_wkt(list(bbox)), datatype=WKT))
            )

    def _temporal(self, node: ox.NamedNode, c: pystac.Collection, t: list[ox.Triple]) -> None:
        for interval in c.extent.temporal.intervals[:1]:
            start, end = (_instant(v, c.id) for v in ([*list(interval), None, None])[:2])
            if start and end and start > end:
                raise MappingError(f"collection {c.id}: temporal extent ends before it starts")
            if not (start or end):
                continue
            period = ox.BlankNode()
            t.append(ox.Triple(node, _n(DCT + "temporal"), period))
            t.append(ox.Triple(period, RDF_TYPE, _n(DCT + "PeriodOfTime")))
            for p, v in ((DCAT + "startDate", start), (DCAT + "endDate", end)):
                if v is not None:
                    lit = ox.Literal(
                        v.isoformat().replace("+00:00", "Z"), datatype=_n(XSD + "dateTime")
                    )
                    t.append(ox.Triple(period, _n(p), lit))

    def _licence(self, node: ox.NamedNode, c: pystac.Collection, t: list[ox.Triple]) -> None:
        lic = (c.license or "").strip()
        links = [
            str(link.get_absolute_href() or link.href)
            for link in c.get_links("license")
            if str(link.href).startswith(("http://", "https://"))
        ]
        text = " ".join([c.id, c.title or "", c.description or "", *links]).lower()
        if lic.lower() not in NOT_SPDX and " " not in lic:
            iri = f"http://spdx.org/licenses/{lic}"
        elif "sentinel" in text or "copernicus" in text:
            iri = COPERNICUS_LICENCE
        elif links:
            iri = links[0]
        else:
            return
        t.append(ox.Triple(node, _n(DCT + "license"), _n(iri)))
        for link in links:
            if link != iri:
                t.append(ox.Triple(node, _n(DCT + "rights"), ox.Literal(link)))

    def _providers(self, node: ox.NamedNode, c: pystac.Collection, t: list[ox.Triple]) -> None:
        for provider in c.providers or []:
            roles = [str(r) for r in provider.roles or []]
            if "producer" in roles or "licensor" in roles:
                agent = ox.BlankNode()
                t.append(ox.Triple(node, _n(DCT + "publisher"), agent))
                t.append(ox.Triple(agent, RDF_TYPE, _n(FOAF + "Agent")))
                t.append(ox.Triple(agent, _n(FOAF + "name"), ox.Literal(provider.name)))
                return

    def _summary(
        self,
        node: ox.NamedNode,
        c: pystac.Collection,
        items: list[dict[str, Any]],
        matched: int | None,
        items_url: str | None,
        t: list[ox.Triple],
    ) -> None:
        summaries = c.summaries.to_dict() if c.summaries else {}
        props = [i.get("properties") or {} for i in items if isinstance(i, dict)]
        props = [p for p in props if isinstance(p, dict)]
        fields = {
            "platform": _values(summaries.get("platform"), *(p.get("platform") for p in props)),
            "instrument": _values(
                summaries.get("instruments"), *(p.get("instruments") for p in props)
            ),
            "constellation": _values(
                summaries.get("constellation"), *(p.get("constellation") for p in props)
            ),
            "processingLevel": _values(
                *(summaries.get(k) for k in LEVEL_KEYS),
                *(p.get(k) for p in props for k in LEVEL_KEYS),
            ),
        }
        for name, values in fields.items():
            for v in values[:50]:
                t.append(ox.Triple(node, _n(str(DLAB) + name), ox.Literal(v)))
                t.append(ox.Triple(node, _n(DCAT + "keyword"), ox.Literal(v)))
        gsd = summaries.get("gsd")
        if isinstance(gsd, dict):
            gsd = gsd.get("minimum")
        candidates = [
            float(v)
            for v in _values(gsd, *(p.get("gsd") for p in props))
            if v.replace(".", "", 1).isdigit()
        ]
        if candidates:
            lit = ox.Literal(str(min(candidates)), datatype=_n(XSD + "decimal"))
            t.append(ox.Triple(node, _n(DCAT + "spatialResolutionInMeters"), lit))
        if items_url:
            dist = _n(items_url)
            t.append(ox.Triple(node, _n(DCAT + "distribution"), dist))
            t.append(ox.Triple(dist, RDF_TYPE, _n(DCAT + "Distribution")))
            t.append(ox.Triple(dist, _n(DCAT + "accessURL"), dist))
            t.append(ox.Triple(dist, _n(DCT + "format"), _n(str(EU_FILE_TYPE.GEOJSON))))
            t.append(ox.Triple(dist, _n(DCT + "title"), ox.Literal("STAC items (API)")))
        if matched is not None:
            t.append(
                ox.Triple(
                    node,
                    _n(str(DLAB) + "itemCount"),
                    ox.Literal(str(matched), datatype=_n(XSD + "integer")),
                )
            )
