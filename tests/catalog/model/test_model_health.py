"""The HealthDCAT-AP, DPV, PROV and DQV properties the dataset page shows, read from the
real HealthDCAT-AP examples of the corpus (CKAN's and Health-RI's)."""

from __future__ import annotations

from pathlib import Path

from rdflib import URIRef

from catalog.model import Dataset
from catalog.namespaces import DCAT, RDF
from tests.catalog.model.model_helpers import read_rdf


def _dataset(path: Path) -> Dataset:
    graph = read_rdf(path)
    node = next(iter(sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str)))
    assert isinstance(node, URIRef)
    return Dataset.from_graph(graph, node)


def test_ckan_health_example_gives_hdab_counts_legal_basis_and_provenance(corpus: Path) -> None:
    ds = _dataset(corpus / "healthdcat-ap" / "ckanext-dcat" / "dataset_health.ttl")
    assert [a.name.best(["en"]) for a in ds.hdab] == ["EU Health Data Access Body"]
    assert ds.hdab[0].homepage == "https://www.example.com/hdab"
    assert ds.number_of_records is not None and ds.number_of_records.python == 123456789
    assert ds.number_of_unique_individuals is not None
    assert ds.number_of_unique_individuals.python == 7654321
    assert ds.min_typical_age is not None and ds.max_typical_age is not None
    assert (ds.min_typical_age.python, ds.max_typical_age.python) == (0, 110)
    assert ds.population_coverage.best([]) == "This example includes a very non-descript population"
    assert len(ds.health_category) == 4
    assert ds.legal_basis == ("https://w3id.org/dpv#Consent",)
    assert ds.purpose == ("https://w3id.org/dpv#AcademicResearch",)
    assert "https://w3id.org/dpv/dpv-pd#HealthRecord" in ds.personal_data
    retention = ds.retention_period[0]
    assert (str(retention.start), str(retention.end)) == ("2020-03-01", "2034-12-31")
    activity = ds.was_generated_by[0]
    assert activity.started_at is not None and str(activity.started_at).startswith("2021-01-01")
    assert activity.type == ("http://dbpedia.org/resource/Record_linkage",)
    certificate = ds.quality_annotation[0]
    assert certificate.body == ("https://certificates.theodi.org/en/datasets/393/certificate",)
    assert "http://www.w3.org/ns/dqv#qualityAssessment" in certificate.motivated_by


def test_a_dcat_ap_record_without_them_reads_empty_values(corpus: Path) -> None:
    ds = _dataset(corpus / "healthdcat-ap" / "health-ri" / "example-dataset.ttl")
    assert ds.title.best(["en"])
    assert (ds.hdab, ds.health_category, ds.legal_basis, ds.was_generated_by) == ((), (), (), ())
    assert ds.number_of_records is None and not ds.population_coverage
