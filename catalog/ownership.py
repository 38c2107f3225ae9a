"""Which nodes a dataset's record owns: one rule for ingest, storage, facts and connectors.

A record owns its dataset node and, recursively, every blank node (skolemised once stored)
it points to and every node it links with an owning property: its distributions and sample,
its access services, its ODRL policies and their rules and constraints. Nodes it only
points to otherwise (agents, licences, themes described elsewhere) are context: shown with
the record, never part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import pyoxigraph as ox

from catalog.namespaces import ADMS, DCAT, ODRL
from catalog.skolem import GENID, is_skolem

#: Properties whose objects belong to the record even when they are IRIs.
OWNING_PROPERTIES = frozenset(
    str(p)
    for p in (
        DCAT.distribution,
        DCAT.accessService,
        ADMS.sample,
        ODRL.hasPolicy,
        ODRL.permission,
        ODRL.prohibition,
        ODRL.obligation,
        ODRL.duty,
        ODRL.constraint,
    )
)
#: How far ownership is followed from the dataset node.
MAX_DEPTH = 8

K = TypeVar("K", bound=Hashable)


def owns(predicate: str, obj: object) -> bool:
    """Whether a record that links ``obj`` with ``predicate`` owns it."""
    if isinstance(obj, ox.Literal):
        return False
    if isinstance(obj, ox.BlankNode):
        return True
    if isinstance(obj, ox.NamedNode):
        return is_skolem(obj) or predicate in OWNING_PROPERTIES
    return False


_OWNING_WRITTEN = frozenset(f"<{p}>" for p in OWNING_PROPERTIES)
_SKOLEM_WRITTEN = f"<{GENID}"


def owns_written(predicate: str, obj: str) -> bool:
    """:func:`owns` on N-Triples forms (``<iri>``, ``_:b``, a literal, ``<< ... >>``):
    what a harvest reads a page's statements as, without making a term of each."""
    if obj[:2] == "_:":
        return True
    if obj[:1] != "<" or obj[:2] == "<<":
        return False
    return predicate in _OWNING_WRITTEN or obj.startswith(_SKOLEM_WRITTEN)


def owned_closure(
    root: K,
    links: Callable[[K], Iterable[tuple[str, object, K]]],
    *,
    stop: Callable[[K], bool] = lambda _k: False,
    rule: Callable[[str, Any], bool] = owns,
) -> list[K]:
    """``root`` and every node it owns, in the order found.

    ``links(node)`` yields ``(predicate, object term, object key)`` for each of the node's
    triples; ``stop(key)`` excludes nodes (e.g. other datasets of the same document);
    ``rule``: :func:`owns`, or :func:`owns_written` for statements read as N-Triples.
    """
    seen = {root}
    order = [root]
    frontier = [root]
    for _ in range(MAX_DEPTH):
        nxt = []
        for node in frontier:
            for predicate, obj, k in links(node):
                if k not in seen and not stop(k) and rule(predicate, obj):
                    seen.add(k)
                    order.append(k)
                    nxt.append(k)
        if not nxt:
            break
        frontier = nxt
    return order
