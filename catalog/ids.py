"""Stable, URL-safe dataset ids derived from dataset IRIs."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

_SLUG = re.compile(r"[^a-z0-9]+")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_SEPARATOR = re.compile(r"[/#:?=]")


def canonical_iri(iri: str) -> str:
    """Lower-case scheme and host, so case variants of one IRI share an id."""
    sep = iri.find("://")
    if sep <= 0:
        return iri
    end = iri.find("/", sep + 3)
    head = iri if end < 0 else iri[:end]
    if head.lower() == head or not any(c.isupper() for c in head):
        return iri  # already canonical: the common case, without parsing
    parts = urlsplit(iri)
    if not parts.scheme or not parts.netloc:
        return iri
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment)
    )


def dataset_id(iri: str) -> str:
    """``<slug>-<hash>``: readable, stable for one IRI, and safe in a URL path segment.

    The slug comes from the IRI's last path segment or fragment; the hash (40 bits of
    SHA-256 over the canonical IRI) keeps ids of different IRIs apart.
    """
    canonical = canonical_iri(iri)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()[:5]
    suffix = base64.b32encode(digest).decode("ascii").lower()
    tail = _SEPARATOR.split(canonical.rstrip("/#"))[-1]
    slug = _SLUG.sub("-", tail.lower()).strip("-")[:48].strip("-")
    return f"{slug}-{suffix}" if slug else suffix


def is_dataset_id(value: str) -> bool:
    """Whether ``value`` has the shape of an id minted by :func:`dataset_id`."""
    return bool(_ID.match(value))
