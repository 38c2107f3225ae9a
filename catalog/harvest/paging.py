"""The paging safety rules every harvest listing obeys."""

from __future__ import annotations

from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The scheme and authority of ``url``, lower-cased: what "the same host" compares."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"
