"""A bounded sample taken from a distribution's download URL (CSV or Parquet).

The download goes through the shared :class:`catalog.outbound.fetcher.Fetcher` (SSRF checks,
redirect and deadline limits) with its body cap lowered to ``sample_fetch_max_bytes``.
CSV is asked for with ``Range: bytes=0-<cap-1>``: a server that honours it sends the
first bytes and the sample is the rows up to the last complete line; a server that ignores
it must send a file that fits the cap. Parquet keeps its schema and offsets in a footer at
the end of the file, so a prefix is useless: a Parquet distribution is sampled only when the
whole file fits the cap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox

from catalog.errors import FetchTooLarge, InvalidInput, InvalidSample, LimitExceeded
from catalog.namespaces import DCAT, DCT
from catalog.samples.checks import MAGIC
from catalog.samples.store import CSV_TYPES, PARQUET_MEDIA_TYPE, Upload
from catalog.service import Catalogue
from catalog.settings import Settings

_CONTENT_RANGE = re.compile(r"^bytes\s+(\d+)-(\d+)/(\d+|\*)$")


@dataclass(frozen=True)
class Candidate:
    """A distribution of the dataset with a download URL, and the format it announces."""

    iri: str | None
    url: str
    kind: str | None  # "csv", "parquet" or None (unknown)


def _kind(values: list[str]) -> str | None:
    for value in values:
        v = value.lower()
        if "parquet" in v:
            return "parquet"
        if v.endswith(("/csv", "text/csv")) or v == "csv":
            return "csv"
    return None


def candidates(catalogue: Catalogue, dataset_id: str) -> list[Candidate]:
    """The dataset's distributions with a download URL, IRIs first in order."""
    record = catalogue.get(dataset_id)
    subject = ox.NamedNode(record.ref.iri)
    dists = [
        t.object
        for t in record.triples
        if t.subject == subject and t.predicate.value == str(DCAT.distribution)
    ]
    out = []
    for dist in dists:
        props: dict[str, list[str]] = {}
        for t in record.triples:
            if t.subject == dist and not isinstance(t.object, ox.Triple):
                props.setdefault(t.predicate.value, []).append(t.object.value)
        for url in sorted(props.get(str(DCAT.downloadURL), [])):
            declared = props.get(str(DCAT.mediaType), []) + props.get(str(DCT.format), [])
            path = urlsplit(url).path.lower()
            kind = _kind(declared) or (
                "csv" if path.endswith(".csv") else "parquet" if path.endswith(".parquet") else None
            )
            iri = dist.value if isinstance(dist, ox.NamedNode) else None
            out.append(Candidate(iri, url, kind))
    return sorted(out, key=lambda c: (c.iri is None, c.iri or "", c.url))


def pick(catalogue: Catalogue, dataset_id: str, dist_iri: str | None) -> Candidate:
    """The named distribution, or the first one whose download URL serves CSV or Parquet."""
    found = candidates(catalogue, dataset_id)
    if dist_iri:
        chosen = [c for c in found if c.iri == dist_iri]
        if not chosen:
            raise InvalidInput(
                f"{dist_iri!r} is not a distribution of dataset {dataset_id!r} with a "
                "dcat:downloadURL",
                where="distribution",
            )
        return chosen[0]
    usable = [c for c in found if c.kind]
    if not usable:
        raise InvalidInput(
            f"dataset {dataset_id!r} has no distribution whose dcat:downloadURL announces CSV "
            "or Parquet (dcat:mediaType, dct:format or a .csv/.parquet URL); name one explicitly",
            where="distribution",
        )
    return usable[0]


def cut_csv(data: bytes) -> bytes:
    """``data`` up to its last complete line (a newline outside double quotes)."""
    quotes = data.count(b'"')
    end = len(data)
    while True:
        nl = data.rfind(b"\n", 0, end)
        if nl < 0:
            raise InvalidSample("the fetched CSV prefix holds no complete line")
        quotes -= data.count(b'"', nl, end)
        if quotes % 2 == 0:
            return data[: nl + 1]
        end = nl


def _total(headers: Any, received: int, status: int) -> tuple[int | None, bool]:
    """The file's full size if known, and whether only a prefix was received."""
    if status != 206:
        return received, False
    match = _CONTENT_RANGE.match(headers.get("content-range", "").strip())
    if match is None:
        return None, True
    if match.group(1) != "0":
        raise InvalidSample("the server answered a range that does not start at byte 0")
    total = None if match.group(3) == "*" else int(match.group(3))
    return total, total is None or total > received


def fetch(settings: Settings, candidate: Candidate) -> tuple[Upload, dict[str, Any]]:
    """Download at most ``sample_fetch_max_bytes`` of the distribution; an upload of it."""
    from catalog.outbound.fetcher import Fetcher

    cap = settings.sample_fetch_max_bytes
    bounded = settings.model_copy(
        update={"fetch_max_body_bytes": cap, "fetch_max_decompressed_bytes": cap}
    )
    headers = {} if candidate.kind == "parquet" else {"Range": f"bytes=0-{cap - 1}"}
    try:
        with Fetcher(bounded) as fetcher:
            result = fetcher.get(candidate.url, headers=headers)
    except FetchTooLarge as exc:
        how = (
            "a Parquet file is sampled only when it fits whole"
            if candidate.kind == "parquet"
            else "the server sent more than asked for (it ignores Range requests)"
        )
        raise LimitExceeded(
            f"{candidate.url} is larger than the sampling cap of {cap} bytes; {how}",
            where="distribution",
            details={"cause": str(exc)},
        ) from None
    data = result.content
    total, partial = _total(result.headers, len(data), result.status)
    is_parquet = data[:4] == MAGIC
    if is_parquet and partial:
        size = f"{total} bytes" if total else "larger than the cap"
        raise LimitExceeded(
            f"the Parquet file at {candidate.url} is {size}; a Parquet file cannot be read from "
            f"its first bytes, so it is sampled only when it fits the cap of {cap} bytes whole",
            where="distribution",
        )
    if not is_parquet and candidate.kind == "parquet":
        raise InvalidSample(f"{candidate.url} announces Parquet but did not serve a Parquet file")
    if not is_parquet and partial:
        data = cut_csv(data)
    media = PARQUET_MEDIA_TYPE if is_parquet else "text/csv"
    if not is_parquet and candidate.kind != "csv" and result.media_type not in CSV_TYPES:
        raise InvalidSample(
            f"{candidate.url} served {result.media_type or 'an unknown type'}, neither CSV "
            "nor Parquet"
        )
    name = urlsplit(result.url).path.rsplit("/", 1)[-1] or "download"
    origin = {
        "distribution": candidate.iri,
        "url": candidate.url,
        "bytes_fetched": len(result.content),
        "total_bytes": total,
        "truncated": partial,
    }
    return Upload(data=data, media_type=media, filename=name), origin
