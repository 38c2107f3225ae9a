"""What a query forwarded to a graph server may name, on top of the guard.

The embedded endpoint's worker holds nothing but the public graphs, so a query naming
another graph finds nothing there. A graph server holds everything (version graphs, the
meta graph, steward overrides); a forwarded query runs over a dataset restricted to the
public projections, and is checked first (after :func:`catalog.federation.sparql_guard.
check_query`, which it does not replace):

* ``GRAPH <iri>`` naming anything but a public graph is refused (400 ``query_refused``);
* a function call is refused unless it is an XSD cast: a server's extension functions
  (Virtuoso's ``bif:`` and ``sql:`` run built-ins and stored procedures) never run;
* an undeclared prefix is invalid (400 ``invalid_input``): standard SPARQL has none, and
  Virtuoso predeclares some (``bif:``, ``sql:``) that must not slip through.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from catalog.errors import InvalidInput
from catalog.federation.sparql_guard import QueryRefused, parse_nodes

XSD = "http://www.w3.org/2001/XMLSchema#"


def check_scope(text: str, public_graphs: set[str]) -> None:
    """Refuse a query naming a non-public graph, calling an extension function, or using
    an undeclared prefix. ``text`` has passed the guard (so it parses)."""
    from rdflib.plugins.sparql.parser import parseQuery

    parsed = parseQuery(text)
    prefixes: dict[str, str] = {}
    base = ""
    for decl in parsed[0]:
        if decl.name == "Base":
            base = urljoin(base, str(decl["iri"]))
        elif decl.name == "PrefixDecl":
            prefixes[str(decl.get("prefix") or "")] = urljoin(base, str(decl["iri"]))
    for node in parse_nodes(parsed[1]):
        if node.name == "pname":
            _resolve(node, prefixes, base)
        elif node.name == "GraphGraphPattern":
            _check_graph(node["term"], prefixes, base, public_graphs)
        elif node.name == "Function":
            iri = _resolve(node["iri"], prefixes, base)
            if not iri.startswith(XSD):
                raise QueryRefused(
                    f"the function <{iri}> is not run here: only SPARQL's built-in "
                    "functions and XSD casts are",
                    where="query",
                )


def _check_graph(term: Any, prefixes: dict[str, str], base: str, public: set[str]) -> None:
    from rdflib.term import Variable

    if isinstance(term, Variable):
        return
    iri = _resolve(term, prefixes, base)
    if iri not in public:
        raise QueryRefused(
            f"GRAPH <{iri}> is not one of the endpoint's public graphs",
            where="query",
            details={"public_graphs": sorted(public)},
        )


def _resolve(term: Any, prefixes: dict[str, str], base: str) -> str:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(term, CompValue) and term.name == "pname":
        prefix = str(term.get("prefix") or "")
        if prefix not in prefixes:
            raise InvalidInput(f"the prefix {prefix}: is not declared", where="query")
        return prefixes[prefix] + str(term.get("localname") or "")
    return urljoin(base, str(term))
