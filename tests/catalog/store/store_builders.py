"""Small documents and term sets the store tests write themselves."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pyoxigraph as ox

EX = "https://example.org/store-test/"
XSD = "http://www.w3.org/2001/XMLSchema#"


def iri(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


def quad(s: str, p: str, o: ox.NamedNode | ox.Literal | ox.BlankNode) -> ox.Quad:
    return ox.Quad(iri(s), iri(p), o)


#: Literals a store must return exactly as given.
TRICKY_LITERALS: list[ox.Literal] = [
    ox.Literal("plain"),
    ox.Literal("Bienenpopulation", language="de"),
    ox.Literal("population d'abeilles", language="fr-BE"),
    ox.Literal("ミツバチの個体数", language="ja"),
    ox.Literal("عدد النحل", language="ar"),
    ox.Literal("emoji 🐝 and a zero-width joiner 👩‍🔬"),
    ox.Literal("combining e\u0301 vs \u00e9"),
    ox.Literal("quotes \" ' and backslash \\ and\nnewline\ttab\r"),
    ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("25000", datatype=ox.NamedNode(XSD + "decimal")),
    ox.Literal("2024-02-29", datatype=ox.NamedNode(XSD + "date")),
    ox.Literal("2024-02-29T12:00:00Z", datatype=ox.NamedNode(XSD + "dateTime")),
    ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
    ox.Literal("not a number", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("custom", datatype=ox.NamedNode("https://example.org/dt#custom")),
    ox.Literal("x" * 100_000),
]


def datasets_turtle(count: int, *, tag: str = "v") -> bytes:
    """A DCAT-AP catalogue document with ``count`` datasets (one distribution each)."""
    lines = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        f'<{EX}catalogue> a dcat:Catalog ; dct:title "Test catalogue {tag}"@en .',
    ]
    for i in range(count):
        d = f"<{EX}dataset/{i}>"
        lines.append(
            f"<{EX}catalogue> dcat:dataset {d} .\n"
            f'{d} a dcat:Dataset ; dct:identifier "ds-{i}" ; '
            f'dct:title "Dataset {i} ({tag})"@en , "Datensatz {i}"@de ; '
            f"dcat:distribution [ a dcat:Distribution ; "
            f"dcat:accessURL <{EX}files/{i}.csv> ] ."
        )
    return "\n".join(lines).encode()


def many_quads(count: int, literal_bytes: int = 200) -> Iterator[ox.Quad]:
    """A stream of ``count`` distinct triples with medium-sized literals (never a list)."""
    pad = "p" * literal_bytes
    p = iri("value")
    for i in range(count):
        yield ox.Quad(iri(f"bulk/{i}"), p, ox.Literal(f"{i} {pad}"))


def rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Samples this process's resident memory in a thread; ``growth`` is peak minus start."""

    def __init__(self, every_s: float = 0.02) -> None:
        self.every_s = every_s
        self.start = rss_bytes()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.every_s)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth(self) -> int:
        return self.peak - self.start
