"""A CKAN-style Action API on a loopback server, replaying real package dictionaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.connectors.loopback import Answer, Loopback

SEARCH = "/api/action/package_search"


def corpus_packages(corpus: Path) -> list[dict[str, Any]]:
    """Real package dicts: demo.ckan.org's package_search answer plus ckanext-dcat examples."""
    ckan = corpus / "ckan"
    packages = json.loads((ckan / "demo-ckan-org" / "packages.json").read_text())["result"][
        "results"
    ]
    for name in ("ckan_dataset.json", "full_ckan_dataset_legacy.json"):
        packages.append(json.loads((ckan / "ckanext-dcat" / name).read_text()))
    return packages


def envelope(result: Any, success: bool = True) -> bytes:
    return json.dumps({"help": "package_search", "success": success, "result": result}).encode()


class CkanPortal:
    """package_search over ``packages`` with start/rows, and hooks to misbehave."""

    def __init__(self, server: Loopback, packages: list[dict[str, Any]]) -> None:
        self.server = server
        self.packages = packages
        self.requests: list[dict[str, list[str]]] = []
        #: Called as fault(page_number, query) → Answer | None (None: answer normally).
        self.fault = None
        server.routes[SEARCH] = self.search

    @property
    def url(self) -> str:
        return self.server.base

    def search(self, _path: str, query: dict[str, list[str]]) -> Answer:
        self.requests.append(query)
        start = int(query.get("start", ["0"])[0])
        rows = int(query.get("rows", ["10"])[0])
        if self.fault is not None:
            answer = self.fault(len(self.requests), query)
            if answer is not None:
                return answer
        chosen = self.packages
        fq = query.get("fq", [""])[0]
        if fq.startswith("metadata_modified:["):
            since = fq.split("[", 1)[1].split(" TO", 1)[0].rstrip("Z")
            chosen = [p for p in chosen if p.get("metadata_modified", "") >= since]
        page = chosen[start : start + rows]
        return Answer(200, envelope({"count": len(chosen), "results": page}))
