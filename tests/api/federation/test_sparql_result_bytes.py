"""/sparql bounds its answers in bytes, not only in rows (hostile-inputs.md F51): a short
query crossing every long literal with every other would answer 200 MB within the row
cap; it is refused quickly, whole, with the one error body, before any byte is sent.
Run against a real server on a loopback port."""

from __future__ import annotations

import time

import httpx
import pytest

JSON = {"Accept": "application/sparql-results+json"}
DESCRIPTION = "http://purl.org/dc/terms/description"
# Every pair of long descriptions: 300 x 300 rows of 2 x 10 kB, cut to 10,000 rows = 200 MB.
CROSS = (
    "PREFIX dct: <http://purl.org/dc/terms/>\n"
    "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n"
    "SELECT ?first ?second WHERE {\n"
    "  ?a a dcat:Dataset ; dct:description ?first .\n"
    "  ?b a dcat:Dataset ; dct:description ?second .\n"
    "}"
)


def long_descriptions(count: int = 300, length: int = 10_000) -> bytes:
    lines = ["@prefix dcat: <http://www.w3.org/ns/dcat#> .", f"@prefix d: <{DESCRIPTION}> ."]
    for i in range(count):
        text = (f"dataset {i} " + "lorem ipsum " * length)[:length]
        lines.append(f'<https://e.org/d{i}> a dcat:Dataset ; d: "{text}"@en .')
    return "\n".join(lines).encode()


@pytest.fixture
def instance(instance_factory, monkeypatch):
    monkeypatch.setenv("DATALAB_SPARQL_ENDPOINT_TIMEOUT_S", "20")
    inst = instance_factory("bytes")
    inst.catalogue.load(long_descriptions(), fmt="turtle", source="portal")
    return inst


def _get(inst, query: str, headers: dict[str, str]) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    res = httpx.get(f"{inst.url}/sparql", params={"query": query}, headers=headers, timeout=60)
    return res, time.monotonic() - start


@pytest.mark.parametrize(
    "accept", ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]
)
def test_a_200_mb_answer_is_refused_quickly_and_whole(instance, accept: str) -> None:
    res, seconds = _get(instance, CROSS, {"Accept": accept})
    assert res.status_code == 413, res.text[:300]
    assert res.headers["content-type"] == "application/json"
    error = res.json()["error"]
    assert error["code"] == "result_too_large"
    assert error["where"] == "query"
    assert error["details"]["limit"] == "sparql_max_result_bytes"
    assert error["details"]["cap"] == 16 * 1024 * 1024
    assert error["details"]["rows"] < 1_000  # stopped at the cap, not at the row cap
    assert "LIMIT" in error["message"]
    assert len(res.content) < 2_000
    assert seconds < 10


def test_construct_answers_are_bounded_too(instance) -> None:
    query = CROSS.replace("SELECT ?first ?second", "CONSTRUCT { ?a <https://e.org/p> ?second }")
    res, seconds = _get(instance, query, {"Accept": "text/turtle"})
    assert res.status_code == 413, res.text[:300]
    assert res.json()["error"]["code"] == "result_too_large"
    assert seconds < 10


def test_answers_under_the_cap_are_whole_and_parse(instance) -> None:
    res, _ = _get(instance, CROSS + " LIMIT 20", JSON)
    assert res.status_code == 200
    assert len(res.json()["results"]["bindings"]) == 20
    assert res.headers["x-datalab-truncated"] == "false"
    xml, _ = _get(instance, CROSS + " LIMIT 3", {"Accept": "application/sparql-results+xml"})
    assert xml.text.count("<result>") == 3 and xml.text.endswith("</results></sparql>")
    csv, _ = _get(instance, CROSS + " LIMIT 3", {"Accept": "text/csv"})
    assert csv.text.splitlines()[0] == "first,second"


def test_a_lower_cap_from_the_settings(instance_factory, monkeypatch) -> None:
    monkeypatch.setenv("DATALAB_SPARQL_MAX_RESULT_BYTES", "100000")
    inst = instance_factory("small")
    inst.catalogue.load(long_descriptions(20, 2_000), fmt="turtle", source="portal")
    ok, _ = _get(inst, CROSS + " LIMIT 10", JSON)
    assert ok.status_code == 200
    refused, _ = _get(inst, CROSS, JSON)
    assert refused.status_code == 413
    assert refused.json()["error"]["details"]["cap"] == 100_000
