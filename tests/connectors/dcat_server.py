"""A paged DCAT-AP endpoint on a loopback server, built from real corpus examples."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from catalog.harvest.rdf_listing import split_records
from tests.connectors.loopback import Answer, Loopback

HYDRA = "http://www.w3.org/ns/hydra/core#"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
EXAMPLES = (
    "healthdcat-ap/health-ri/example-dataset.ttl",
    "geodcat-ap/examples/dataset.ttl",
    "healthdcat-ap/ckanext-dcat/dataset_health_no_blank.ttl",
    "dcat-ap/3.0.0/examples/example-bee-population-dataset-series-gea-nha.ttl",
)


def corpus_triples(corpus: Path, files: tuple[str, ...] = EXAMPLES) -> list[ox.Triple]:
    out: list[ox.Triple] = []
    for name in files:
        out.extend(
            ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=corpus / name)
        )
    return out


class DcatEndpoint:
    """Serves the examples' datasets ``per_page`` at a time, linked by hydra:next."""

    def __init__(self, server: Loopback, triples: list[ox.Triple], per_page: int = 3) -> None:
        self.server = server
        records, _failures, extra = split_records(triples)
        self.records = records
        self.pages: list[list[ox.Triple]] = []
        for i in range(0, len(records), per_page):
            page = [t for r in records[i : i + per_page] for t in r.triples]
            self.pages.append(page + (extra if i == 0 else []))
        self.next_of = {n: f"/catalog?page={n + 1}" for n in range(1, len(self.pages))}
        server.routes["/catalog"] = self.page

    @property
    def url(self) -> str:
        return f"{self.server.base}/catalog?page=1"

    def body(self, number: int, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> bytes:
        triples = list(self.pages[number - 1])
        view = ox.NamedNode(f"{self.server.base}/catalog?page={number}")
        triples.append(
            ox.Triple(
                view,
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(HYDRA + "PartialCollectionView"),
            )
        )
        triples.append(
            ox.Triple(
                view,
                ox.NamedNode(HYDRA + "totalItems"),
                ox.Literal(str(len(self.records)), datatype=XSD_INTEGER),
            )
        )
        if number in self.next_of:
            target = self.next_of[number]
            target = target if "://" in target else self.server.base + target
            triples.append(ox.Triple(view, ox.NamedNode(HYDRA + "next"), ox.NamedNode(target)))
        return ox.serialize(triples, format=fmt)

    def page(self, _path: str, query: dict[str, list[str]]) -> Answer:
        number = int(query.get("page", ["1"])[0])
        if not 1 <= number <= len(self.pages):
            return Answer(404)
        return Answer(200, self.body(number), {"Content-Type": "text/turtle; charset=utf-8"})
