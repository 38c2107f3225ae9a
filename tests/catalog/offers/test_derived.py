"""Whether a dataset's terms allow derived data (synthetic previews), from the licences' and
policies' texts: CC BY-ND 4.0 §2(a)(1)(B) and §3 allow sharing only unmodified material (no
Adapted Material), ODRL 2.2's ``derive``/``modify`` name derivation, and Regulation (EU)
2025/327 allows secondary use of health data only under a data permit or health data request
(art. 61(1), 68, 69) inside a secure processing environment (art. 73)."""

from __future__ import annotations

import pytest
from rdflib import Graph

from catalog.facts.derive import facts_from_rdflib
from catalog.offers.derived import derived_data_terms
from catalog.offers.licences import LicenceTable

HEAD = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix healthdcatap: <http://healthdataportal.eu/ns/health#> .
@prefix dcatap: <http://data.europa.eu/r5r/> .
@prefix cc: <http://creativecommons.org/ns#> .
"""
DS = "https://ex.org/ds/1"
EU = "http://publications.europa.eu/resource/authority/licence/"


def terms(body: str):
    ttl = HEAD + f"<{DS}> a dcat:Dataset ; dct:accessRights ar:RESTRICTED ; {body} ."
    facts = facts_from_rdflib(Graph().parse(data=ttl, format="turtle"), DS, "d1")
    return derived_data_terms(facts, LicenceTable())


@pytest.mark.parametrize(
    ("body", "allowed", "says"),
    [
        ("dct:license <https://creativecommons.org/licenses/by/4.0/>", True, "grants derivative"),
        (f"dct:license <{EU}CC_BY_4_0>", True, "grants derivative"),
        (f"dct:license <{EU}CC0>", True, "grants derivative"),
        # ND: only unmodified material may be shared
        ("dct:license <https://creativecommons.org/licenses/by-nd/4.0/>", False, "prohibits"),
        (f"dct:license <{EU}CC_BYND_4_0>", False, "prohibits derivative"),
        ("dct:license <http://creativecommons.org/licenses/by-nc-nd/3.0/>", False, "prohibits"),
        # an unknown licence, or one given as text, cannot be read here
        ("dct:license <https://licences.example.org/own-terms>", False, "not in the licence"),
        ('dct:license [ dct:description "All rights reserved." ]', False, "only as text"),
        # ODRL: a prohibition of derivation, even under a constraint, refuses
        (
            "odrl:hasPolicy [ a odrl:Set ; odrl:prohibition [ odrl:action odrl:derive ] ]",
            False,
            "prohibits derive",
        ),
        (
            "odrl:hasPolicy [ a odrl:Set ; odrl:prohibition [ odrl:action odrl:modify ] ]",
            False,
            "prohibits modify",
        ),
        (
            "odrl:hasPolicy [ a odrl:Set ; odrl:prohibition [ odrl:action cc:DerivativeWorks ] ]",
            False,
            "DerivativeWorks",
        ),
        (
            "odrl:hasPolicy [ a odrl:Set ; odrl:prohibition [ odrl:action odrl:use ; "
            "odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ; "
            'odrl:rightOperand "commercial" ] ] ]',
            False,
            "under a constraint",
        ),
        # a policy that only permits reading grants no derivation
        (
            "odrl:hasPolicy [ a odrl:Set ; odrl:permission [ odrl:action odrl:read ] ]",
            False,
            "no derivation",
        ),
        (
            "odrl:hasPolicy [ a odrl:Set ; odrl:permission [ odrl:action odrl:use ] ]",
            True,
            "permits derivation",
        ),
        # a prohibition of distribution alone does not forbid a derived preview
        (
            "odrl:hasPolicy [ a odrl:Set ; odrl:permission [ odrl:action odrl:use ] ; "
            "odrl:prohibition [ odrl:action odrl:distribute ] ]",
            True,
            "permits derivation",
        ),
        # EHDS: health data through a health data access body
        (
            'healthdcatap:hdab [ foaf:name "Findata" ] ; '
            "dct:license <https://creativecommons.org/licenses/by/4.0/>",
            False,
            "data permit",
        ),
        ("dcatap:applicableLegislation <http://data.europa.eu/eli/reg/2025/327/oj>", False, "EHDS"),
        # nothing stated: the data holder's steward decides
        ('dct:title "No terms"@en', True, "no licence or policy"),
    ],
)
def test_derived_data_terms(body: str, allowed: bool, says: str) -> None:
    verdict = terms(body)
    assert verdict.allowed is allowed, verdict.reasons
    assert says in verdict.reason


def test_every_reason_that_refuses_is_given() -> None:
    verdict = terms(
        "dct:license <https://creativecommons.org/licenses/by-nd/4.0/> ; "
        "odrl:hasPolicy [ a odrl:Set ; odrl:prohibition [ odrl:action odrl:derive ] ]"
    )
    assert not verdict.allowed
    assert len(verdict.reasons) == 2


def test_public_health_data_outside_a_permit_follow_their_licence() -> None:
    ttl = HEAD + (
        f"<{DS}> a dcat:Dataset ; dct:accessRights ar:PUBLIC ; "
        "dcatap:applicableLegislation <http://data.europa.eu/eli/reg/2025/327/oj> ; "
        "dct:license <https://creativecommons.org/licenses/by/4.0/> ."
    )
    facts = facts_from_rdflib(Graph().parse(data=ttl, format="turtle"), DS, "d1")
    assert derived_data_terms(facts, LicenceTable()).allowed
