"""SHACL validation: the project's DCAT-AP 3 shapes against the official ones, on real files.

Oracle: the official DCAT-AP 3.0.1 bundle (corpus/dcat-ap/3.0.1/dcat-ap-SHACL.ttl), with its
cardinality, node-kind and class-range checks. For every parsable DCAT-AP file of the
corpus, the project's shapes give the same verdict and report violations on the same nodes
and properties, both on the file as it is and as the catalogue validates and exports it
(with the classes DCAT-AP's ranges entail: ``background``). The project's checks the
official bundle lacks (vocabularies, date datatypes, recommended properties) are warnings.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, BNode, Graph, URIRef

from catalog.errors import ConfigurationError, ParseError, QueryTimeout, UnsafeDocument
from catalog.namespaces import DCAT, SH
from catalog.rdf_bridge import to_rdflib_graph
from catalog.rdf_input import ParseLimits, guess_format, iter_triples
from catalog.settings import Settings, get_settings
from catalog.validation import (
    DEFAULT_SHAPES,
    Finding,
    ValidationReport,
    load_shapes,
    validate_document,
    validate_graph,
)

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus").resolve()
OFFICIAL_301 = CORPUS / "dcat-ap" / "3.0.1" / "dcat-ap-SHACL.ttl"
HEALTH_RI = CORPUS / "healthdcat-ap" / "health-ri"
CARDINALITY = {"sh:MinCountConstraintComponent", "sh:MaxCountConstraintComponent"}

# Published examples that are not valid Turtle (see corpus/PROVENANCE.md): line of the error.
BROKEN = {
    "dcat-ap/3.0.0/examples/example-bee-population-dataset-series-api.ttl": 20,
    "dcat-ap/3.0.0/examples/example-bee-population-dataset-series-combined.ttl": 32,
    "dcat-ap/hvd-3.0.0/examples/example-bees_wasps_dataset.ttl": None,
    "dcat-ap/ckanext-dcat/dataset.ttl": None,
}


def _examples() -> list[str]:
    patterns = [
        "dcat-ap/3.0.0/examples/*",
        "dcat-ap/hvd-3.0.0/examples/*",
        "dcat-ap/2.1.1/example*",
        "dcat-ap/ckanext-dcat/*",
        "geodcat-ap/examples/*",
        "healthdcat-ap/health-ri/example-*.ttl",
        "healthdcat-ap/health-ri/invalid/*",
        "healthdcat-ap/ckanext-dcat/*",
    ]
    found = [
        str(p.relative_to(CORPUS))
        for pattern in patterns
        for p in sorted(CORPUS.glob(pattern))
        # JSON-LD only where its context is inline (the SEMIC examples name a remote one)
        if p.suffix in {".ttl", ".rdf", ".nt"} or p.name == "catalog_with_at_graph.jsonld"
    ]
    return [f for f in found if f not in BROKEN]


def _parse(path: Path) -> Graph:
    return to_rdflib_graph(iter_triples(path.read_bytes(), guess_format(path.name), ParseLimits()))


def _cardinality(report: ValidationReport) -> set[tuple[str, str | None, str | None]]:
    return {
        (f.focus, f.path, f.constraint) for f in report.violations() if f.constraint in CARDINALITY
    }


def _turtle(settings: Settings, text: str) -> ValidationReport:
    return validate_document(text.encode(), ox.RdfFormat.TURTLE, settings)


# -- the shapes themselves ---------------------------------------------------------------


def test_every_project_shape_has_a_message_and_a_severity() -> None:
    shapes = load_shapes()
    props = list(shapes.objects(None, SH.property))
    assert len(props) > 100
    for prop in props:
        assert shapes.value(prop, SH.message) is not None, prop
        assert shapes.value(prop, SH.severity) in {SH.Violation, SH.Warning}, prop
    targets = set(shapes.objects(None, SH.targetClass))
    for cls in (DCAT.Catalog, DCAT.Dataset, DCAT.DatasetSeries, DCAT.Distribution):
        assert cls in targets
    assert DCAT.DataService in targets
    assert URIRef("http://xmlns.com/foaf/0.1/Agent") in targets


def test_load_shapes_is_cached_per_path_and_rejects_broken_files(tmp_path: Path) -> None:
    assert load_shapes() is load_shapes(DEFAULT_SHAPES)
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<a> sh:path ", "utf-8")
    with pytest.raises(ConfigurationError, match="broken"):
        load_shapes(broken)
    with pytest.raises(ConfigurationError, match="not found"):
        load_shapes(tmp_path / "missing.ttl")


# -- same verdict as the official shapes -------------------------------------------------


def _violations(report: ValidationReport) -> set[tuple[str, str | None]]:
    return {(f.focus, f.path) for f in report.violations()}


@pytest.mark.parametrize("background", [False, True], ids=["as-is", "as-exported"])
@pytest.mark.parametrize("name", _examples())
def test_same_verdict_as_official_dcat_ap_301(name: str, background: bool) -> None:
    graph = _parse(CORPUS / name)
    ours = validate_graph(graph, load_shapes(), background=background)
    official = validate_graph(graph, load_shapes(OFFICIAL_301), background=background)
    assert ours.conforms == official.conforms
    assert _violations(ours) == _violations(official)
    assert _cardinality(ours) == _cardinality(official)


def test_the_corpus_comparison_covers_class_ranges() -> None:
    """Many corpus files break the class ranges as they are; the comparison sees them."""
    broken = 0
    for name in _examples()[:40]:
        report = validate_graph(_parse(CORPUS / name), load_shapes(), background=False)
        broken += any(f.constraint == "sh:ClassConstraintComponent" for f in report.violations())
    assert broken >= 10


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dcat-ap/3.0.0/examples/example-bee-population-dataset-frequency.ttl", 2),
        ("dcat-ap/hvd-3.0.0/examples/example-ms_dataset_2_licenses.ttl", 5),
        ("healthdcat-ap/health-ri/invalid/dataset-nodescription.ttl", 1),
    ],
)
def test_the_comparison_is_not_vacuous(name: str, expected: int) -> None:
    """Some examples do break cardinality rules, so the comparison above can fail."""
    graph = _parse(CORPUS / name)
    official = validate_graph(graph, load_shapes(OFFICIAL_301), background=False)
    assert len(_cardinality(official)) == expected
    assert not validate_graph(graph, load_shapes()).conforms


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_unparsable_examples_give_a_parse_error_with_a_line(name: str, settings: Settings) -> None:
    with pytest.raises(ParseError) as caught:
        validate_document((CORPUS / name).read_bytes(), ox.RdfFormat.TURTLE, settings)
    assert caught.value.where is not None
    assert caught.value.where.startswith("line ")
    if BROKEN[name] is not None:
        assert caught.value.where == f"line {BROKEN[name]}"


# -- negative examples: clear reasons ----------------------------------------------------


def _finding(report: ValidationReport, dataset: str, path: str, severity: str) -> Finding:
    hits = [
        f for f in report.findings if f.dataset == dataset and f.path is not None and path in f.path
    ]
    hits = [f for f in hits if f.severity == severity]
    assert hits, f"no {severity} on {path} for {dataset} in:\n{report.to_text()}"
    return hits[0]


def test_dataset_without_description_is_a_violation_naming_dataset_and_property(
    settings: Settings,
) -> None:
    data = (HEALTH_RI / "invalid" / "dataset-nodescription.ttl").read_bytes()
    report = validate_document(data, ox.RdfFormat.TURTLE, settings)
    assert not report.conforms
    found = _finding(report, "http://example.com/dataset", "dct:description", "violation")
    assert found.path == "dct:description"
    assert found.focus == "http://example.com/dataset"
    assert found.message == "A dataset must have a description (dct:description)"


def test_dataset_with_wrongly_typed_publisher_and_contact_fails(settings: Settings) -> None:
    data = (HEALTH_RI / "invalid" / "example-dataset-bad.ttl").read_bytes()
    report = validate_document(data, ox.RdfFormat.TURTLE, settings)
    assert not report.conforms
    aaa = "http://example.com/dataset/AAA"
    assert "agent" in _finding(report, aaa, "dct:publisher", "violation").message
    assert "vCard" in _finding(report, aaa, "dcat:contactPoint", "violation").message
    # Exception, on purpose: dataset BBB only breaks Health-RI's own rule (a vcard:fn with a
    # language tag); DCAT-AP 3 allows it, so it has no violation here.
    assert not [f for f in report.violations() if f.dataset == "http://example.com/dataset/BBB"]


def test_missing_publisher_and_licence_are_warnings_under_dcat_ap_3(settings: Settings) -> None:
    """Health-RI makes publisher and licence mandatory; DCAT-AP 3 only recommends them.

    These two Health-RI negative tests therefore break no DCAT-AP 3 rule on publisher or
    licence (their only violation is a theme concept with no label, as with the official
    shapes), but the report still names the dataset and the missing property.
    """
    dataset = "http://example.com/dataset"
    nopub = (HEALTH_RI / "invalid" / "dataset-nopublisher.ttl").read_bytes()
    report = validate_document(nopub, ox.RdfFormat.TURTLE, settings)
    assert {f.path for f in report.violations()} == {"skos:prefLabel"}
    assert _finding(report, dataset, "dct:publisher", "warning").path == "dct:publisher"
    nolic = (HEALTH_RI / "invalid" / "dataset-nolicense.ttl").read_bytes()
    report = validate_document(nolic, ox.RdfFormat.TURTLE, settings)
    assert {f.path for f in report.violations()} == {"skos:prefLabel"}
    assert "licence" in _finding(report, dataset, "dct:license", "warning").message


def test_valid_health_ri_examples_break_only_unlabelled_themes(settings: Settings) -> None:
    """The Health-RI examples meet every DCAT-AP 3 rule once the classes the ranges entail
    are stated, except: their themes (Wikidata, a fan wiki) are concepts without a label,
    and the example catalogue lists datasets it does not describe (the official shapes
    reject the same files)."""
    for name in ("example-dataset.ttl", "example-distribution.ttl"):
        report = validate_document((HEALTH_RI / name).read_bytes(), ox.RdfFormat.TURTLE, settings)
        assert {f.path for f in report.violations()} <= {"skos:prefLabel"}, report.to_text()
    catalog = (HEALTH_RI / "example-catalog.ttl").read_bytes()
    report = validate_document(catalog, ox.RdfFormat.TURTLE, settings)
    listed = {f"http://example.com/dataset/{n}" for n in range(1, 5)}
    assert {f.focus for f in report.violations()} == {"http://example.com/catalog/1"}
    assert {f.path for f in report.violations()} == {"dcat:dataset"}
    assert {f.value for f in report.violations()} == listed


def test_finding_on_a_distribution_names_its_dataset(corpus: Path, settings: Settings) -> None:
    path = corpus / "geodcat-ap" / "examples" / "dataset.ttl"
    graph = _parse(path)
    report = validate_graph(graph, load_shapes(), background=False)
    formats = [f for f in report.violations() if f.path == "dct:format"]  # untyped format
    assert formats, report.to_text()
    finding = formats[0]
    assert finding.dataset is not None
    assert finding.dataset != finding.focus
    assert (URIRef(finding.dataset), RDF.type, DCAT.Dataset) in graph
    focus = BNode(finding.focus[2:]) if finding.focus.startswith("_:") else URIRef(finding.focus)
    assert (URIRef(finding.dataset), DCAT.distribution, focus) in graph


def test_report_as_dict_and_text(settings: Settings) -> None:
    data = (HEALTH_RI / "invalid" / "dataset-nodescription.ttl").read_bytes()
    report = validate_document(data, ox.RdfFormat.TURTLE, settings)
    as_dict = json.loads(json.dumps(report.to_dict()))
    assert as_dict["conforms"] is False
    # the missing description, and the file's theme: a concept with no label
    assert as_dict["violations"] == len(report.violations()) == 2
    assert as_dict["findings"][0]["path"] == "dct:description"
    text = report.to_text()
    assert text.splitlines()[0].startswith("Validation: does NOT conform (2 violation(s)")
    assert "A dataset must have a description (dct:description)" in text


# -- controlled vocabularies (documents written here) ------------------------------------

DOC = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/ds> a dcat:Dataset ; dct:title "T"@en ; dct:description "D"@en ;
  dct:accessRights {access} ; dcat:distribution <https://example.org/ds/csv> .
<https://example.org/ds/csv> a dcat:Distribution ; dcat:accessURL <https://example.org/f> ;
  dct:license {licence} ; dct:format {fmt} .
"""
GOOD = {
    "access": "<http://publications.europa.eu/resource/authority/access-right/PUBLIC>",
    "licence": "<http://publications.europa.eu/resource/authority/licence/CC_BY_4_0>",
    "fmt": "<http://publications.europa.eu/resource/authority/file-type/CSV>",
}


def _vocab_findings(settings: Settings, **change: str) -> list[Finding]:
    report = _turtle(settings, DOC.format(**{**GOOD, **change}))
    return [
        f for f in report.findings if f.path in {"dct:accessRights", "dct:license", "dct:format"}
    ]


@pytest.mark.parametrize(
    "licence",
    [
        "<http://publications.europa.eu/resource/authority/licence/CC_BY_4_0>",
        "<https://spdx.org/licenses/CC-BY-4.0>",
        "<http://spdx.org/licenses/MIT>",
    ],
)
def test_vocabulary_values_are_accepted(settings: Settings, licence: str) -> None:
    assert _vocab_findings(settings, licence=licence) == []


@pytest.mark.parametrize(
    ("change", "path", "severity"),
    [
        # DCAT-AP 3.0.1 recommends the vocabularies (the official shapes do not check them)
        ({"access": "<http://example.org/open>"}, "dct:accessRights", "warning"),
        ({"access": '"public"'}, "dct:accessRights", "violation"),
        ({"licence": '"CC-BY 4.0"'}, "dct:license", "violation"),
        ({"licence": "<https://creativecommons.org/licenses/by/4.0/>"}, "dct:license", "warning"),
        ({"fmt": '"CSV"'}, "dct:format", "violation"),
        ({"fmt": "<http://example.org/csv>"}, "dct:format", "warning"),
    ],
)
def test_values_outside_the_vocabularies_are_reported(
    settings: Settings, change: dict[str, str], path: str, severity: str
) -> None:
    found = _vocab_findings(settings, **change)
    assert [(f.path, f.severity) for f in found][:1] == [(path, severity)]
    assert found[0].dataset == "https://example.org/ds"


# -- official shapes through the settings ------------------------------------------------


def test_settings_can_point_at_the_official_shapes(tmp_path: Path) -> None:
    settings = get_settings(home=tmp_path, shapes_path=OFFICIAL_301)
    data = (HEALTH_RI / "invalid" / "dataset-nodescription.ttl").read_bytes()
    report = validate_document(data, ox.RdfFormat.TURTLE, settings)
    assert [f.path for f in report.violations() if f.path == "dct:description"]
    # The bundle references property shapes it does not define; a data service used to
    # make pySHACL fail on them. load_shapes drops them, so this validates.
    service = (CORPUS / "geodcat-ap" / "examples" / "data-service.ttl").read_bytes()
    assert not validate_document(service, ox.RdfFormat.TURTLE, settings).conforms


def test_settings_can_point_at_a_folder_of_shapes(tmp_path: Path) -> None:
    settings = get_settings(home=tmp_path, shapes_path=OFFICIAL_301.parent)
    shapes = load_shapes(OFFICIAL_301.parent)
    assert len(shapes) > len(load_shapes(OFFICIAL_301))
    data = (HEALTH_RI / "example-dataset.ttl").read_bytes()
    assert isinstance(validate_document(data, ox.RdfFormat.TURTLE, settings), ValidationReport)


# -- deadline, hostile input, concurrency ------------------------------------------------


def _pathological() -> tuple[Graph, Graph]:
    """A complete graph and a shape with a sequence of ``*`` paths over it (hours of work)."""
    n = 60
    data = "".join(
        f"<http://example.org/n{i}> <http://example.org/p> <http://example.org/n{j}> .\n"
        for i in range(n)
        for j in range(n)
    )
    shapes = """
    @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
    ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:property [
      sh:path ( [ sh:zeroOrMorePath ex:p ] [ sh:zeroOrMorePath ex:p ] [ sh:zeroOrMorePath ex:p ] ) ;
      sh:maxCount 1 ; sh:message "too many" ] .
    """
    data_graph = to_rdflib_graph(iter_triples(data.encode(), ox.RdfFormat.N_TRIPLES, ParseLimits()))
    shapes_graph = to_rdflib_graph(
        iter_triples(shapes.encode(), ox.RdfFormat.TURTLE, ParseLimits())
    )
    return data_graph, shapes_graph


def test_pathological_validation_is_stopped_at_the_deadline() -> None:
    data, shapes = _pathological()
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"within 1 s"):
        validate_graph(data, shapes, timeout_s=1)
    assert time.monotonic() - started < 6
    assert multiprocessing.active_children() == []


def test_billion_laughs_is_refused_before_validation(settings: Settings) -> None:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    doc = (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dct="http://purl.org/dc/terms/">'
        '<rdf:Description rdf:about="https://example.org/ds"><dct:title>&lol9;</dct:title>'
        "</rdf:Description></rdf:RDF>"
    ).encode()
    started = time.monotonic()
    with pytest.raises(UnsafeDocument):
        validate_document(doc, ox.RdfFormat.RDF_XML, settings)
    assert time.monotonic() - started < 0.5


def test_concurrent_validations_from_threads_share_the_shapes_safely() -> None:
    names = _examples()[:12]
    graphs = [_parse(CORPUS / n) for n in names]
    shapes = load_shapes()
    before = len(shapes)
    expected = [validate_graph(g, shapes).findings for g in graphs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda g: validate_graph(g, shapes).findings, graphs))
    assert got == expected
    assert len(shapes) == before
