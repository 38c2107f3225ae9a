"""Licences and HealthDCAT-AP records from the real corpus, through terms and resolution."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from catalog.facts.derive import facts_from_rdflib
from catalog.namespaces import DCAT, ODRL, RDF
from catalog.offers import CONDITIONS, MAY_NOT, REVIEW, RequesterProfile, resolve
from catalog.offers.odrl import policy_from_graph

CC = "http://creativecommons.org/ns#"
# what the corpus ODRL licences say, in the table's words
ACTION_USE = {
    CC + "Distribution": "distribution",
    CC + "DerivativeWorks": "derivatives",
    CC + "CommercialUse": "commercial",
}


@pytest.mark.parametrize(
    ("file", "key"),
    [
        ("elra-end-user.ttl", "ELRA-END-USER"),
        ("ms-c-nored-ff.ttl", "MS-C-NORED-FF"),
        ("EUPL1.1.ttl", "EUPL-1.1"),
        ("APACHE2.0.ttl", "Apache-2.0"),
    ],
)
def test_table_agrees_with_odrl_licence(corpus, table, file, key):
    g = Graph().parse(corpus / "odrl" / file, format="turtle")
    (node,) = list(g.subjects(RDF.type, ODRL.Policy))
    entry = table.lookup(str(node))
    assert entry is not None
    assert entry.key == key
    policy = policy_from_graph(g, node)
    prohibited = {ACTION_USE[a] for r in policy.prohibitions for a in r.actions if a in ACTION_USE}
    permitted = {ACTION_USE[a] for r in policy.permissions for a in r.actions if a in ACTION_USE}
    assert prohibited <= entry.prohibits
    assert permitted <= entry.permits


@pytest.mark.parametrize("file", ["CC0.ttl", "ODbL-1.ttl"])
def test_licensedb_licences_are_known(corpus, table, file):
    g = Graph().parse(corpus / "odrl" / file, format="turtle")
    subject = next(iter(g.subjects(URIRef("http://schema.org/sameAs"), None)))
    same = g.value(subject, URIRef("http://schema.org/sameAs"))
    assert table.lookup(str(subject)) is table.lookup(str(same)) is not None


def test_elra_policy_constraints_are_read(corpus):
    g = Graph().parse(corpus / "odrl" / "elra-end-user.ttl", format="turtle")
    (node,) = list(g.subjects(RDF.type, ODRL.Policy))
    policy = policy_from_graph(g, node)
    lefts = {c.left for c in policy.permissions[0].constraints}
    assert lefts == {"spatial", "purpose"}
    assert {a for d in policy.permissions[0].duties for a in d.actions} >= {"compensate"}


def _health(corpus, *parts):
    g = Graph().parse(corpus.joinpath("healthdcat-ap", *parts), format="turtle")
    iri = next(iter(g.subjects(RDF.type, DCAT.Dataset)))
    return facts_from_rdflib(g, str(iri), "h")


def test_ckanext_health_dataset_terms(corpus):
    t = _health(corpus, "ckanext-dcat", "dataset_health.ttl")
    assert t.access_level == "non_public"
    assert t.access_values == ("NON_PUBLIC",)
    assert t.health is not None
    assert t.health.body == "EU Health Data Access Body"
    assert t.health_route
    assert t.space_ids == ("health",)
    assert t.data_spaces[0].how == "HealthDCAT-AP properties"
    assert t.health.purposes == ("https://w3id.org/dpv#AcademicResearch",)
    assert t.health.legal_bases == ("https://w3id.org/dpv#Consent",)
    assert t.personal_data
    assert t.licences == ("http://publications.europa.eu/resource/authority/licence/CC_BYNCND_3_0",)


def test_ckanext_health_dataset_offers(corpus, demo_labs, table):
    t = _health(corpus, "ckanext-dcat", "dataset_health.ttl")
    jaif = demo_labs["jaif"]
    assert resolve(t, jaif, table).verdict == REVIEW  # NC-ND: AI training unsettled
    commercial = RequesterProfile.parse("SME", "DE", "commercial-ai-training")
    assert resolve(t, jaif, table, commercial).verdict == MAY_NOT
    assert resolve(t, demo_labs["brain"], table).verdict == MAY_NOT


def test_health_ri_dataset_offers(corpus, demo_labs, table):
    t = _health(corpus, "health-ri", "example-dataset.ttl")
    assert t.space_ids == ("health",)
    assert "EHDS" in t.data_spaces[0].how
    offer = resolve(t, demo_labs["nlaif"], table)
    assert offer.verdict == CONDITIONS
    assert offer.access_mode == "FederatedExecution"


def test_health_ri_dataset_without_licence_needs_review(corpus, demo_labs, table):
    t = _health(corpus, "health-ri", "invalid", "dataset-nolicense.ttl")
    assert t.licences == ()
    assert resolve(t, demo_labs["nlaif"], table).verdict == REVIEW
