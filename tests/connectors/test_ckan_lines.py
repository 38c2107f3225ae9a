"""The CKAN mapping written as N-Triples lines (what the harvest stores, issue 18) is the
mapping built as pyoxigraph triples (what the CKAN API's writes use), statement for
statement: on every real package of the corpus and on hostile ones. The record hash of the
lines is the hash of the triples, so records harvested before keep their hash."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from catalog.harvest.runner import hashed_lines, record_hash
from connectors.ckan.mapping import PackageMapper
from tests.connectors.ckan_server import corpus_packages

_BLANK = re.compile(r"_:[0-9A-Za-z]+")


def _labels_in_order(lines: list[str]) -> list[str]:
    """The lines with each blank node named by its order of first appearance."""
    names: dict[str, str] = {}
    return [_BLANK.sub(lambda m: names.setdefault(m.group(), f"_:n{len(names)}"), x) for x in lines]


def hostile_packages() -> list[dict[str, Any]]:
    """Packages whose values need every escape, or are refused as IRIs or tags."""
    nasty = 'quote " back\\slash\nnew line\r tab\t nul\x00 del\x7f é 🙂 \ufffe'
    return [
        {
            "id": "hostile 1/ü",
            "title": nasty,
            "notes": "<script>alert('x')</script>",
            "title_translated": {"EN-gb": nasty, "not a tag": "x", "de": ["a", "b"]},
            "url": "http://a> <http://b",
            "tags": [{"name": "a\nb"}, {"display_name": '"'}],
            "maintainer": "M. \\ Aintainer",
            "maintainer_email": "m@example.org",
            "extras": [
                {"key": "uri", "value": "http://example.org/ds with space"},
                {
                    "key": "spatial_coverage",
                    "value": json.dumps(
                        [
                            {"bbox": "POLYGON((0 0,1 1))", "bbox_datatype": "http://a/wkt"},
                            {"geom": "{}", "geom_datatype": "not an iri"},
                        ]
                    ),
                },
                {"key": "temporal_start", "value": "2024-01-01"},
                {"key": "temporal_end", "value": "not a date at all"},
                {"key": "provenance", "value": nasty},
                {"key": "language", "value": '["http://a/%zz", "http://lang/EN"]'},
            ],
            "resources": [
                {"id": "r 1", "url": "file:///etc/passwd", "format": 'Some "odd" format'},
                {"url": "http://[::1]/x", "format": "text/CSV", "size": 12, "rights": nasty},
                {"id": "r3", "url": "http://a/%C3%A9", "mimetype": "application/ld+json"},
            ],
        },
        {"id": "no-title", "name": "n", "license_id": "cc-by", "metadata_modified": "2024-01-01"},
    ]


def _packages(corpus: Path) -> list[dict[str, Any]]:
    return [*corpus_packages(corpus), *hostile_packages()]


def test_lines_are_the_triples_written(corpus: Path) -> None:
    mapper = PackageMapper("https://demo.ckan.org")
    blank_records = 0
    for pkg in _packages(corpus):
        iri, lines = mapper.lines(copy.deepcopy(pkg))
        node, triples = mapper.map(copy.deepcopy(pkg))
        assert iri == node.value
        written = [str(t) for t in triples]
        assert _labels_in_order(lines) == _labels_in_order(written), pkg["id"]
        assert hashed_lines(lines) == record_hash(triples), pkg["id"]
        blank_records += any(isinstance(t.object, ox.BlankNode) for t in triples)
    assert blank_records >= 3  # contact points, periods, formats: blank nodes are compared


def test_hostile_values_are_escaped_or_dropped() -> None:
    _iri, lines = PackageMapper("https://portal.example").lines(hostile_packages()[0])
    triples = ox.parse(" .\n".join(lines) + " .\n", format=ox.RdfFormat.N_TRIPLES)
    assert len(list(triples)) == len(lines)  # each line one statement, none smuggled
    text = "\n".join(lines)
    assert "<http://a> <http://b>" not in text and "file:///" not in text
    assert "ds with space" not in text  # an unusable uri: the site's IRI instead
    assert '"x"' in text  # the translation under an invalid tag kept, untagged


@pytest.mark.parametrize("where", ["title", "notes"])
def test_a_lone_surrogate_fails_the_record_on_both_paths(where: str) -> None:
    pkg = {"id": "p", where: "bad \ud800 text"}
    mapper = PackageMapper("https://portal.example")
    with pytest.raises(ValueError):
        mapper.map(dict(pkg))
    with pytest.raises(ValueError):
        mapper.lines(dict(pkg))
