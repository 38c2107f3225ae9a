"""The EHDS route (Regulation (EU) 2025/327), written from the regulation's text.

- Secondary use of electronic health data goes through a health data access body of the
  member state where the data holder is established: a data permit (pseudonymised data,
  processed only in a secure processing environment) or a data request (anonymised
  statistics). The permit, not a licence, sets the terms.
- Art. 53(1) lists the purposes it may be used for, art. 54 those it may never be used for
  (decisions detrimental to a person, insurance premiums or credit conditions, advertising,
  harmful products, activities against ethical provisions of national law).
- One application through HealthData@EU reaches the bodies of other member states.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rdflib import Graph

from catalog.facts.derive import facts_from_rdflib
from catalog.offers import CONDITIONS, MAY_NOT, REVIEW, RequesterProfile, resolve
from catalog.offers.purposes import PURPOSES

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dpv: <https://w3id.org/dpv#> .
@prefix healthdcatap: <http://healthdataportal.eu/ns/health#> .
@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix country: <http://publications.europa.eu/resource/authority/country/> .
@prefix lic: <http://publications.europa.eu/resource/authority/licence/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def registry(licence: str = "", rights: str = "ar:NON_PUBLIC") -> object:
    ttl = (
        PREFIXES
        + f"""
<https://ex.org/ds/registry> a dcat:Dataset ; dct:title "Cancer registry"@en ;
    dct:accessRights {rights} ; {licence}
    dct:publisher [ a foaf:Agent ; foaf:name "Hospital network" ; dct:spatial country:FIN ] ;
    healthdcatap:hdab [ a foaf:Organization ; foaf:name "Findata" ] ;
    dpv:hasLegalBasis dpv:PublicInterest ; dpv:hasPurpose dpv:ResearchAndDevelopment ;
    dpv:hasPersonalData <https://w3id.org/dpv/pd#HealthRecord> .
"""
    )
    g = Graph().parse(data=ttl, format="turtle")
    return facts_from_rdflib(g, "https://ex.org/ds/registry", "registry")


def profile(purpose: str, country: str = "FI", org: str = "research") -> RequesterProfile:
    p = RequesterProfile.parse(org, country, purpose)
    assert p is not None
    return p


def text(offer) -> str:
    return " | ".join(r.text for r in offer.reasons)


def test_health_data_without_licence_is_offered_by_permit(demo_labs, table):
    facts = registry()
    assert facts.health_route and facts.health is not None
    assert facts.health.holder_country == "FI"
    offer = resolve(facts, demo_labs["laif"], table, now=NOW)
    assert offer.verdict == CONDITIONS, text(offer)
    assert offer.route == "ehds-data-permit"
    assert offer.access_mode == "SecureProcessingEnvironment"
    assert "no licence is needed" in text(offer)
    assert "Findata" in offer.procedure[0]
    assert "Finland" in offer.procedure[0]
    assert any("art. 53(1)" in c for c in offer.constraints)


def test_only_labs_with_a_secure_processing_environment_offer_it(demo_labs, table):
    facts = registry()
    for lab in demo_labs.values():
        offer = resolve(facts, lab, table, now=NOW)
        if offer.verdict in (CONDITIONS,):
            assert "SecureProcessingEnvironment" in lab.access_modes
            assert "health" in lab.data_spaces
        elif "health" in lab.data_spaces and "SecureProcessingEnvironment" not in lab.access_modes:
            assert offer.verdict == MAY_NOT
            assert "secure processing environment" in text(offer)


@pytest.mark.parametrize(
    ("purpose", "article"),
    [
        ("insurance-or-credit-decisions", "art. 54"),
        ("advertising", "art. 54"),
        ("detrimental-decisions", "art. 54"),
        ("harmful-products", "art. 54"),
        ("job-or-service-decisions", "art. 54"),
    ],
)
def test_prohibited_purposes_are_refused_at_every_lab(demo_labs, table, purpose, article):
    for facts in (registry(), registry(licence="dct:license lic:CC_BY_4_0 ;")):
        for lab in demo_labs.values():
            offer = resolve(facts, lab, table, profile(purpose), now=NOW)
            assert offer.verdict == MAY_NOT, (lab.id, text(offer))
            if "health" in lab.data_spaces:
                assert article in text(offer)
                assert "2025/327" in text(offer)


def test_every_art_54_purpose_is_refused():
    prohibited = [p for p in PURPOSES.values() if p.ehds_prohibited]
    assert len(prohibited) >= 6
    assert not any(p.ehds_allowed for p in prohibited)


@pytest.mark.parametrize(
    "purpose",
    [
        "academic-research",
        "non-commercial-ai-training",
        "commercial-ai-training",
        "public-interest",
    ],
)
def test_allowed_purposes_get_the_permit_route(demo_labs, table, purpose):
    offer = resolve(registry(), demo_labs["laif"], table, profile(purpose), now=NOW)
    assert offer.verdict == CONDITIONS, text(offer)
    assert "art. 53(1)" in text(offer)


def test_a_requester_from_another_member_state_applies_through_healthdata_at_eu(demo_labs, table):
    offer = resolve(
        registry(), demo_labs["laif"], table, profile("academic-research", "DE"), now=NOW
    )
    assert offer.verdict == CONDITIONS
    assert any("HealthData@EU" in step and "Germany" in step for step in offer.procedure)
    home = resolve(registry(), demo_labs["laif"], table, profile("academic-research"), now=NOW)
    assert not any("HealthData@EU" in step for step in home.procedure)


def test_public_health_statistics_follow_their_licence_not_the_permit(demo_labs, table):
    facts = registry(licence="dct:license lic:CC_BY_4_0 ;", rights="ar:PUBLIC")
    assert not facts.health_route
    offer = resolve(facts, demo_labs["laif"], table, profile("advertising"), now=NOW)
    assert offer.route == "licence"
    assert offer.access_mode == "Download"
    assert "2025/327" not in text(offer)


def test_health_data_with_an_unknown_licence_text_needs_review(demo_labs, table):
    facts = registry(licence='dct:license [ a dct:LicenseDocument ; rdfs:label "ask us" ] ;')
    assert facts.licence_texts == ("ask us",)
    assert resolve(facts, demo_labs["laif"], table, now=NOW).verdict == REVIEW
