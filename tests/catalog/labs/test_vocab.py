"""The project vocabulary declares every ``dlab:`` term the code writes or reads."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph, URIRef

from catalog.namespaces import DLAB, RDFS

ROOT = Path(__file__).resolve().parents[3]
#: Terms built from names at run time (connectors/stac_mapping.py: ``str(DLAB) + name``).
DYNAMIC = ("platform", "instrument", "constellation", "processingLevel", "itemCount")
USED = re.compile(r'DLAB\.([A-Za-z_]\w*)|str\(DLAB\) \+ "([A-Za-z]\w*)"')


def _used_terms() -> set[str]:
    names: set[str] = set(DYNAMIC)
    for folder in ("catalog", "connectors", "api"):
        for path in (ROOT / folder).rglob("*.py"):
            for m in USED.finditer(path.read_text(encoding="utf-8")):
                names.add(m.group(1) or m.group(2))
    return names


def test_every_term_in_use_is_declared_with_a_label() -> None:
    g = Graph().parse(ROOT / "schemas" / "vocab" / "datalab.ttl", format="turtle")
    used = _used_terms()
    assert {"platform", "sizeUnit", "availability", "metadataFormat"} <= used
    missing = sorted(n for n in used if (URIRef(DLAB[n]), RDFS.label, None) not in g)
    assert missing == []


def test_connector_terms_are_documented_with_domain() -> None:
    g = Graph().parse(ROOT / "schemas" / "vocab" / "datalab.ttl", format="turtle")
    for name in (*DYNAMIC, "linguality", "languageResourceType", "sizeInfo", "availability"):
        term = URIRef(DLAB[name])
        assert (term, RDFS.comment, None) in g, name
        assert (term, RDFS.domain, URIRef("http://www.w3.org/ns/dcat#Dataset")) in g, name
    assert (URIRef(DLAB.size), RDFS.domain, URIRef(DLAB.SizeInfo)) in g
    assert (URIRef(DLAB.sizeInfo), RDFS.range, URIRef(DLAB.SizeInfo)) in g
