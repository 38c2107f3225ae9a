"""Working sources for the connector contract suite, one builder per connector kind.

A builder gets a running loopback server, the corpus folder and an ExitStack (for anything
else it starts) and returns a :class:`ContractSource`. A new connector adds its builder
here so that the behavioural contract runs against it too; the fault contract needs none.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.dcat_server import EXAMPLES, DcatEndpoint, corpus_triples
from tests.connectors.loopback import Loopback
from tests.connectors.oxigraph_server import load, oxigraph_server


@dataclass
class ContractSource:
    """Where the source answers, its connector options, and how many datasets it holds."""

    url: str
    datasets: int
    options: dict[str, Any] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)


Builder = Callable[[Loopback, Path, ExitStack, Path], ContractSource]


def _ckan(server: Loopback, corpus: Path, _stack: ExitStack, _tmp: Path) -> ContractSource:
    portal = CkanPortal(server, corpus_packages(corpus))
    return ContractSource(portal.url, len(portal.packages), {"rows": 2})


def _dcat(server: Loopback, corpus: Path, _stack: ExitStack, _tmp: Path) -> ContractSource:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=3)
    return ContractSource(endpoint.url, len(endpoint.records))


def _sparql(server: Loopback, corpus: Path, stack: ExitStack, tmp: Path) -> ContractSource:
    load(tmp / "oxigraph", [corpus / name for name in EXAMPLES])
    url = stack.enter_context(oxigraph_server(tmp / "oxigraph"))
    port = httpx.URL(url).port
    return ContractSource(url, 11, {"rows": 4}, [f"127.0.0.1:{port}"])


def _example(server: Loopback, corpus: Path, _stack: ExitStack, _tmp: Path) -> ContractSource:
    body = ox.serialize(corpus_triples(corpus), format=ox.RdfFormat.N_TRIPLES)
    server.static("/dump.nt", body, "application/n-triples")
    return ContractSource(f"{server.base}/dump.nt", 11)


BUILDERS: dict[str, Builder] = {
    "ckan": _ckan,
    "dcat": _dcat,
    "sparql": _sparql,
    "example": _example,
}
