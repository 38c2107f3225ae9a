"""SHACL validation dataset by dataset (hostile-inputs.md: SHACL ≤ 30 s per dataset): a
large document validates in time proportional to its size instead of against one deadline
for the whole, and a dataset past the deadline gets a report entry, not a failed load."""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from catalog.errors import QueryTimeout
from catalog.rdf_bridge import to_rdflib_graph
from catalog.settings import get_settings
from catalog.validation import load_shapes, validate_document, validate_graph
from cli.app import app

DATASETS = 2_000
#: Low enough that the whole 2,000-dataset document cannot be validated within it.
DEADLINE = 3.0
BIG = "https://portal.example.org/dataset/big"


def catalogue(datasets: int, *, broken: int | None = None, heavy: int = 0) -> bytes:
    """A catalogue of ``datasets`` datasets (number ``broken`` without a description) and,
    with ``heavy``, one more dataset with that many distributions (slow to validate)."""
    lines = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
        '<https://portal.example.org/> a dcat:Catalog ; dct:title "Portal"@en ;',
        '  dct:description "A portal"@en ; dct:publisher <https://portal.example.org/org> .',
        '<https://portal.example.org/org> a foaf:Agent ; foaf:name "The portal" .',
    ]
    for i in range(datasets):
        d = f"<https://portal.example.org/dataset/{i}>"
        about = "" if i == broken else f'dct:description "About dataset {i}"@en ; '
        lines.append(
            f'{d} a dcat:Dataset ; dct:title "Dataset {i}"@en ; {about}'
            f"dct:publisher <https://portal.example.org/org> ; "
            f"dcat:distribution <https://portal.example.org/dataset/{i}/csv> ."
        )
        lines.append(
            f"<https://portal.example.org/dataset/{i}/csv> a dcat:Distribution ; "
            f"dcat:accessURL <https://portal.example.org/files/{i}.csv> ."
        )
        lines.append(f"<https://portal.example.org/> dcat:dataset {d} .")
    if heavy:
        lines.append(f'<{BIG}> a dcat:Dataset ; dct:title "big"@en ; dct:description "x"@en .')
        for j in range(heavy):
            lines.append(
                f"<{BIG}> dcat:distribution <{BIG}/{j}> . <{BIG}/{j}> a dcat:Distribution ; "
                f'dcat:accessURL <{BIG}/{j}.csv> ; dct:title "part {j}" ; dct:format "CSV" .'
            )
    return "\n".join(lines).encode()


def test_a_2000_dataset_document_validates_dataset_by_dataset(tmp_path: Path) -> None:
    doc = catalogue(DATASETS, broken=1234)
    whole = to_rdflib_graph(ox.parse(doc, ox.RdfFormat.TURTLE))
    with pytest.raises(QueryTimeout):  # one deadline for the whole document: it cannot pass
        validate_graph(whole, load_shapes(), timeout_s=DEADLINE)
    settings = get_settings(home=tmp_path / "home", validation_timeout_s=DEADLINE)
    start = time.monotonic()
    report = validate_document(doc, ox.RdfFormat.TURTLE, settings)
    seconds = time.monotonic() - start
    assert report.unfinished == {}
    assert seconds < 120, seconds  # about 6 ms a dataset here
    [violation] = report.violations()
    assert violation.dataset == "https://portal.example.org/dataset/1234"
    assert violation.path == "dct:description"
    assert not report.conforms
    # every dataset was validated: each lacks the recommended keyword (a warning)
    warned = {f.dataset for f in report.warnings() if f.path == "dcat:keyword"}
    assert len(warned) == DATASETS


def test_a_dataset_past_the_deadline_is_reported_and_the_rest_validated(tmp_path) -> None:
    doc = catalogue(300, broken=7, heavy=3_000)
    settings = get_settings(home=tmp_path / "home", validation_timeout_s=1.5)
    report = validate_document(doc, ox.RdfFormat.TURTLE, settings)
    assert list(report.unfinished) == [BIG]
    assert "did not finish within 1.5 s" in report.unfinished[BIG]
    assert [f.dataset for f in report.violations()] == ["https://portal.example.org/dataset/7"]
    assert "NOT VALIDATED " + BIG in report.to_text()
    assert report.to_dict()["unfinished"] == report.unfinished


def test_datalab_load_stores_a_document_whose_one_dataset_could_not_be_validated(
    tmp_path: Path,
) -> None:
    path = tmp_path / "portal.ttl"
    path.write_bytes(catalogue(100, heavy=3_000))
    env = {"DATALAB_HOME": str(tmp_path / "home"), "DATALAB_VALIDATION_TIMEOUT_S": "1.5"}
    result = CliRunner().invoke(app, ["load", str(path), "--source", "portal"], env=env)
    assert result.exit_code == 0, result.output
    assert "loaded 101 dataset(s)" in result.output
    assert f"NOT VALIDATED {BIG}" in result.output
