"""Content negotiation for RDF and JSON representations."""

from __future__ import annotations

import pyoxigraph as ox

from catalog.errors import NotAcceptable

JSON = "application/json"
HTML = "text/html"
RDF_MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}
FORMAT_ALIASES: dict[str, str] = {
    "json": JSON,
    "jsonld": "application/ld+json",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "xml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "html": HTML,
}


def _parse_accept(header: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def negotiate(accept: str | None, offered: list[str], fmt: str | None = None) -> str:
    """Pick the best of ``offered`` for an Accept header; ``fmt`` (a ?format= alias) wins.

    The first offered type is the default for a missing or ``*/*`` Accept header.
    """
    if fmt:
        media = FORMAT_ALIASES.get(fmt.lower())
        if media is None or media not in offered:
            raise NotAcceptable(
                f"unknown format {fmt!r}; choose one of "
                + ", ".join(k for k, v in FORMAT_ALIASES.items() if v in offered),
                where="format",
            )
        return media
    if not accept:
        return offered[0]
    best: tuple[float, str] | None = None
    for media, q in _parse_accept(accept):
        if q <= 0:
            continue
        for index, candidate in enumerate(offered):
            major = candidate.split("/")[0]
            if media not in (candidate, "*/*", f"{major}/*"):
                continue
            specificity = 2 if media == candidate else (0 if media == "*/*" else 1)
            # higher q first, then the more specific range, then the server's order
            score = q + specificity * 1e-3 - index * 1e-6
            if best is None or score > best[0]:
                best = (score, candidate)
    if best is None:
        raise NotAcceptable(
            f"none of the requested types ({accept}) is available; offered: {', '.join(offered)}",
            where="Accept",
        )
    return best[1]
