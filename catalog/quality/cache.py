"""A source's quality reports, kept per version of everything they are computed from.

:func:`~catalog.quality.scoring.source_quality` reads the whole source (every triple,
parsed into one graph) to score its datasets: right for a report, too slow for a page that
shows the same scores on every visit. :func:`cached_source_quality` answers from a small
per-catalogue cache whose key names every input: the source's graph version and its newest
row in the change feed (an upsert changes a version in place, and appends a row), the
datasets asked for, which of them have a sample, whether their SHACL outcome is known (it
is fixed per key, see :class:`~catalog.quality.ConformanceCache`) and the licence
mappings' stamp.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from catalog.offers.licence_store import LICENCES
from catalog.quality.report import QualityReport
from catalog.quality.scoring import source_quality
from catalog.service import Catalogue

#: Reports kept per catalogue (each entry is one source's reports for one key).
ENTRIES = 64
Reports = tuple[QualityReport, dict[str, QualityReport]]
_caches: weakref.WeakKeyDictionary[Catalogue, OrderedDict[Any, Reports]] = (
    weakref.WeakKeyDictionary()
)
_guard = threading.Lock()


def cached_source_quality(
    catalogue: Catalogue,
    source: str,
    has_sample: Iterable[str],
    only: set[str],
    conforms: Mapping[str, bool] | None,
) -> Reports:
    """:func:`source_quality` of ``only`` (a subset of the source's datasets), cached."""
    version = catalogue.graphs.current(source)
    sampled = frozenset(set(has_sample) & only)
    if version is None:
        return source_quality(catalogue, source, sampled, only=only, conforms=conforms)
    stamp = catalogue.documents.stamp(LICENCES)
    # the graph version alone stays the same through in-place upserts; the source's newest
    # row in the change feed moves with each of its changes
    head = catalogue.changes.last_of(source)
    key = (source, version, head, frozenset(only), sampled, conforms is not None, stamp)
    with _guard:
        cache = _caches.setdefault(catalogue, OrderedDict())
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    reports = source_quality(catalogue, source, sampled, only=only, conforms=conforms)
    with _guard:
        cache[key] = reports
        while len(cache) > ENTRIES:
            cache.popitem(last=False)
    return reports


__all__ = ["cached_source_quality"]
