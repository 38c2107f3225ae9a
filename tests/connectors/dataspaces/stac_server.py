"""A loopback STAC API serving the Sentinel corpus: landing page, paged /collections and
per-collection /items (with numberMatched), as a STAC API 1.0 would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.connectors.dataspaces.server import Reply, Request, Server

CONFORMS = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
]


def corpus_collections(corpus: Path) -> tuple[list[dict[str, Any]], dict[str, list[dict]]]:
    """The corpus collections (plus an L1C one across the antimeridian) and their items."""
    stac = corpus / "stac"
    s1 = json.loads((stac / "sentinel1" / "collection.json").read_text())
    l2a = json.loads((stac / "sentinel2" / "l2a-collection" / "collection.json").read_text())
    l1c_item = json.loads((stac / "sentinel2" / "S2A_T01LAC_20200717T221944_L1C.json").read_text())
    l1c = json.loads(json.dumps(l2a))
    l1c["id"] = l1c_item["collection"]
    l1c["extent"] = {
        "spatial": {"bbox": [l1c_item["bbox"]]},
        "temporal": {"interval": [[l1c_item["properties"]["datetime"], None]]},
    }
    items: dict[str, list[dict]] = {s1["id"]: [], l2a["id"]: [], l1c["id"]: [l1c_item]}
    for f in sorted((stac / "sentinel1").glob("S1A_*.json")):
        item = json.loads(f.read_text())
        if item.get("collection") in items:
            items[item["collection"]].append(item)
        else:
            items[s1["id"]].append(item)
    l2a_item = json.loads((stac / "sentinel2" / "S2A_T07HFE_20190212T192646_L2A.json").read_text())
    items[l2a["id"]].append(l2a_item)
    return [s1, l2a, l1c], items


class StacApi:
    """Routes of a STAC API on ``server``; tests may edit ``collections``/``items``/``extra``."""

    def __init__(self, server: Server, corpus: Path, per_page: int = 2) -> None:
        self.server = server
        self.collections, self.items = corpus_collections(corpus)
        self.per_page = per_page
        self.number_matched: dict[str, int] = {}
        self.next_of: dict[int, str] = {}
        server.routes["/"] = self.landing
        server.routes["/collections"] = self.collections_page
        for cid in self.items:
            server.routes[f"/collections/{cid}/items"] = self.items_page

    @property
    def url(self) -> str:
        return self.server.base + "/"

    def landing(self, _req: Request) -> Reply:
        base = self.server.base
        doc = {
            "type": "Catalog",
            "id": "loopback-cdse",
            "stac_version": "1.0.0",
            "description": "Loopback STAC API",
            "conformsTo": CONFORMS,
            "links": [
                {"rel": "self", "href": base + "/"},
                {"rel": "root", "href": base + "/"},
                {"rel": "data", "href": base + "/collections"},
            ],
        }
        return Reply(200, json.dumps(doc).encode())

    def collections_page(self, req: Request) -> Reply:
        n = int(req.query.get("page", ["1"])[0])
        chunk = self.collections[(n - 1) * self.per_page : n * self.per_page]
        links = []
        nxt = self.next_of.get(n)
        if nxt is None and n * self.per_page < len(self.collections):
            nxt = f"{self.server.base}/collections?page={n + 1}"
        if nxt:
            links.append({"rel": "next", "href": nxt})
        doc = {"collections": chunk, "links": links}
        return Reply(200, json.dumps(doc).encode())

    def items_page(self, req: Request) -> Reply:
        cid = req.path.split("/")[2]
        limit = int(req.query.get("limit", ["10"])[0])
        feats = self.items.get(cid, [])[:limit]
        doc = {
            "type": "FeatureCollection",
            "features": feats,
            "numberMatched": self.number_matched.get(cid, len(self.items.get(cid, []))),
            "numberReturned": len(feats),
            "links": [],
        }
        return Reply(200, json.dumps(doc).encode(), "application/geo+json")
