"""Hostile and malformed RDF (hostile-inputs.md group A) meets clear, located errors."""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pyoxigraph as ox
import pytest

from catalog.errors import LimitExceeded, ParseError, UnsafeDocument
from catalog.rdf_input import ContextResolver, ParseLimits, iter_triples
from tests.http_thread import running

TTL = ox.RdfFormat.TURTLE
XML = ox.RdfFormat.RDF_XML
JSONLD = ox.RdfFormat.JSON_LD
LIMITS = ParseLimits()


def parse(data: bytes, fmt: ox.RdfFormat, limits: ParseLimits = LIMITS, **kw: object) -> list:
    return list(iter_triples(data, fmt, limits, **kw))  # type: ignore[arg-type]


def laughs(levels: int) -> bytes:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [
        f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(10))}">'
        for i in range(1, levels + 1)
    ]
    return (
        '<?xml version="1.0"?><!DOCTYPE rdf:RDF [' + "".join(entities) + "]>"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dct="http://purl.org/dc/terms/">'
        f'<rdf:Description rdf:about="http://e.org/d"><dct:title>&lol{levels};</dct:title>'
        "</rdf:Description></rdf:RDF>"
    ).encode()


@pytest.mark.parametrize("levels", [7, 9])
def test_billion_laughs_is_refused(levels: int) -> None:
    with pytest.raises(UnsafeDocument, match="DOCTYPE"):
        parse(laughs(levels), XML)


@pytest.mark.parametrize(
    "decl",
    [
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
        '<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">',
        '<!ENTITY % xxe SYSTEM "http://127.0.0.1:9/evil.dtd"> %xxe;',
    ],
)
def test_external_entities_are_refused(decl: str) -> None:
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE r [{decl}]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    ).encode()
    with pytest.raises(UnsafeDocument):
        parse(doc, XML)


def test_utf16_doctype_is_refused_too() -> None:
    with pytest.raises(UnsafeDocument):
        parse(laughs(3).decode().encode("utf-16"), XML)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        body = json.dumps({"@context": {"title": "http://purl.org/dc/terms/title"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def context_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.hits = []
    with running(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


@pytest.mark.parametrize(
    "url",
    [
        "{server}/context.jsonld",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "http://[::1]/ctx",
    ],
)
def test_remote_jsonld_contexts_are_never_fetched(url: str, context_server: str) -> None:
    doc = {"@context": url.format(server=context_server), "@id": "http://e.org/d", "title": "x"}
    with pytest.raises(UnsafeDocument, match="not bundled"):
        parse(json.dumps(doc).encode(), JSONLD)
    assert _Recorder.hits == [], "the catalogue contacted a context URL during ingest"


def test_context_in_a_list_and_nested_is_resolved_locally(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx.jsonld"
    ctx.write_text(json.dumps({"@context": {"title": "http://purl.org/dc/terms/title"}}))
    resolver = ContextResolver({"https://contexts.example/dcat.jsonld": ctx})
    doc = {
        "@context": ["https://contexts.example/dcat.jsonld", {"ex": "http://e.org/"}],
        "@id": "ex:d",
        "title": "Bee population",
    }
    triples = parse(json.dumps(doc).encode(), JSONLD, resolver=resolver)
    assert [(t.subject.value, t.predicate.value, t.object.value) for t in triples] == [
        ("http://e.org/d", "http://purl.org/dc/terms/title", "Bee population")
    ]


def test_recursive_context_imports_are_refused(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonld", tmp_path / "b.jsonld"
    a.write_text(json.dumps({"@context": {"@import": "https://c.example/b"}}))
    b.write_text(json.dumps({"@context": {"@import": "https://c.example/a"}}))
    resolver = ContextResolver({"https://c.example/a": a, "https://c.example/b": b})
    doc = {"@context": "https://c.example/a", "@id": "http://e.org/d"}
    with pytest.raises(UnsafeDocument, match="nest too deeply"):
        parse(json.dumps(doc).encode(), JSONLD, resolver=resolver)


def test_deep_json_nesting_is_capped() -> None:
    doc = '{"@id": "http://e.org/d", "http://e.org/p": ' + "[" * 1000 + "1" + "]" * 1000 + "}"
    with pytest.raises(LimitExceeded, match="nesting"):
        parse(doc.encode(), JSONLD)


def test_deep_turtle_nesting_is_refused_at_the_cap_and_parsed_without_recursion() -> None:
    depth = 10_000
    doc = "@prefix ex: <http://e.org/> . ex:a ex:p " + "[ ex:p " * depth + "1" + " ]" * depth + " ."
    with pytest.raises(LimitExceeded, match="nesting deeper than 128") as info:
        parse(doc.encode(), TTL)
    assert info.value.where == "line 1, column 937"  # the 129th "["
    deep = ParseLimits(max_nesting=depth)
    assert len(parse(doc.encode(), TTL, deep)) == depth + 1


def test_huge_collection_hits_the_triple_cap() -> None:
    doc = "@prefix ex: <http://e.org/> . ex:a ex:p (" + " 1" * 20_000 + " ) ."
    with pytest.raises(LimitExceeded, match="more than 10000 triples"):
        parse(doc.encode(), TTL, ParseLimits(max_triples=10_000))


def test_triple_cap() -> None:
    doc = "".join(f'<http://e.org/s{i}> <http://e.org/p> "{i}" .\n' for i in range(1_001))
    with pytest.raises(LimitExceeded, match="more than 1000 triples"):
        parse(doc.encode(), ox.RdfFormat.N_TRIPLES, ParseLimits(max_triples=1_000))


def test_literal_cap() -> None:
    doc = f'<http://e.org/s> <http://e.org/p> "{"x" * 2_000_001}" .'.encode()
    with pytest.raises(LimitExceeded, match="literal"):
        parse(doc, ox.RdfFormat.N_TRIPLES)


def test_byte_cap() -> None:
    doc = b'<http://e.org/s> <http://e.org/p> "1" .\n' * 100
    with pytest.raises(LimitExceeded, match="bytes"):
        parse(doc, ox.RdfFormat.N_TRIPLES, ParseLimits(max_bytes=1_000))


@pytest.mark.parametrize(
    "iri",
    [
        "http://e.org/a b",
        "http://e.org/a>",
        'http://e.org/a"',
        "http://e.org/a\nb",
        "http://e.org/a\\u0000",
    ],
)
def test_invalid_iris_are_rejected(iri: str) -> None:
    doc = f"<{iri}> <http://e.org/p> 1 .".encode()
    with pytest.raises(ParseError):
        parse(doc, TTL)


def test_iri_injection_is_rejected() -> None:
    doc = b'<http://e.org/a> <b> <c> . <http://e.org/x> <http://e.org/p> "1" .'
    with pytest.raises(ParseError):
        parse(doc, ox.RdfFormat.N_TRIPLES)


def test_turtle_served_as_rdfxml_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse(b"@prefix ex: <http://e.org/> . ex:a ex:p 1 .", XML)


def test_html_error_page_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse(b"<!doctype html><html><body>Login</body></html>", TTL)


def test_truncated_document_names_the_line() -> None:
    doc = b'@prefix ex: <http://e.org/> .\nex:a ex:p "one" .\nex:b ex:p "tw'
    with pytest.raises(ParseError) as info:
        parse(doc, TTL)
    assert info.value.where == "line 3"


def test_latin1_declared_utf8_is_a_parse_error() -> None:
    doc = '<http://e.org/s> <http://e.org/p> "Krankenhäuser" .'.encode("latin-1")
    with pytest.raises(ParseError):
        parse(doc, ox.RdfFormat.N_TRIPLES)


def test_lone_surrogate_escape_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse(b'<http://e.org/s> <http://e.org/p> "\\uD800" .', ox.RdfFormat.N_TRIPLES)


def test_utf8_bom_is_accepted() -> None:
    doc = b'\xef\xbb\xbf<http://e.org/s> <http://e.org/p> "1" .'
    assert len(parse(doc, ox.RdfFormat.N_TRIPLES)) == 1


def test_broken_json_names_line_and_column() -> None:
    with pytest.raises(ParseError) as info:
        parse(b'{\n  "@id": "http://e.org/a",\n  "x": ,\n}', JSONLD)
    assert info.value.where == "line 3, column 8"


def test_the_bundled_dsp_contexts_read_as_the_specs_own(corpus: Path) -> None:
    """Issue 14: the project's contexts for the DSP 2025-1 IRIs (written by the project,
    schemas/contexts/) define every term exactly as the spec's contexts in the corpus do, and
    the spec's example messages read to the same triples under both."""
    from catalog.rdf_input import bundled_contexts_dir, default_context_resolver
    from tests.dsp_jsonld import DSP_CONTEXT, ODRL_PROFILE, spec_resolver

    folder = corpus / "dataspace-protocol"
    pairs = [("dspace-2025-1.jsonld", "dspace.jsonld")]
    pairs += [("dspace-2025-1-odrl-profile.jsonld", "odrl.jsonld")]
    for ours, theirs in pairs:
        mine = json.loads((bundled_contexts_dir() / ours).read_text("utf-8"))["@context"]
        spec = json.loads((folder / theirs).read_text("utf-8"))["@context"]
        assert set(mine) == set(spec), set(mine) ^ set(spec)
        assert {k: v for k, v in mine.items() if v != spec[k]} == {}
    bundled, specs = default_context_resolver(), spec_resolver(corpus)
    assert bundled.resolve(DSP_CONTEXT) == specs.resolve(DSP_CONTEXT)
    assert bundled.resolve(ODRL_PROFILE) == specs.resolve(ODRL_PROFILE)
    examples = sorted(folder.glob("*.json")) + sorted(folder.glob("2025-1/*/example/*.json"))
    read = 0
    for path in examples:
        if json.loads(path.read_text("utf-8")).get("@context") != [DSP_CONTEXT]:
            continue  # the DID examples name other contexts too
        triples = [
            sorted(
                str(q)
                for q in iter_triples(
                    path.read_bytes(),
                    ox.RdfFormat.JSON_LD,
                    ParseLimits(10**7, 10**5, 10**6, 64),
                    base_iri="http://example.invalid/",
                    resolver=resolver,
                )
                if not isinstance(q.subject, ox.BlankNode)
                and not isinstance(q.object, ox.BlankNode)
            )
            for resolver in (bundled, specs)
        ]
        assert triples[0] == triples[1], path.name
        read += 1
    assert read >= 20
