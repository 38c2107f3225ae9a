"""ODRL constraints evaluated against the requester and the lab, never passed on as copied text.

Cases are written from ODRL 2.2 (the left operands ``purpose``, ``spatial``, ``recipient``,
``dateTime``, ``count``; the operators) and the W3C formal-semantics examples in the corpus.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rdflib import Graph

from catalog.facts.derive import facts_from_rdflib
from catalog.labs import DataLab
from catalog.offers import CONDITIONS, MAY_NOT, MAY_OFFER, REVIEW, RequesterProfile, resolve
from catalog.offers.evaluate import PENDING, Situation, evaluate
from catalog.offers.odrl import NOT_SATISFIED, SATISFIED, UNKNOWN, policy_from_json

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HEAD = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix dpv: <https://w3id.org/dpv#> .
@prefix dlab: <https://w3id.org/datalab/ns#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix tdm: <http://www.w3.org/ns/tdmrep#> .
"""


def dataset(policy: str, extra: str = "") -> object:
    ttl = (
        HEAD
        + f"""
<https://ex.org/ds/1> a dcat:Dataset ; dct:title "Corpus"@en ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
    dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
    dlab:dataSpace <https://w3id.org/datalab/dataspace/language> ; {extra}
    odrl:hasPolicy [ a odrl:Set ; {policy} ] .
"""
    )
    return facts_from_rdflib(Graph().parse(data=ttl, format="turtle"), "https://ex.org/ds/1", "d1")


def lab(**kw: object) -> DataLab:
    spec = {
        "id": "test-lab",
        "factory": "test",
        "data_spaces": ["language"],
        "access_modes": ["Download"],
        "eligible_countries": ["EU", "US"],
        "processing_country": "FI",
    } | kw
    return DataLab.from_dict(spec)


def ask(facts, the_lab, table, org=None, country=None, purpose=None):
    return resolve(facts, the_lab, table, RequesterProfile.parse(org, country, purpose), now=NOW)


def permit(constraint: str, action: str = "odrl:use") -> str:
    return f"odrl:permission [ odrl:action {action} ; odrl:constraint [ {constraint} ] ]"


RESEARCH_ONLY = permit(
    "odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ; "
    "odrl:rightOperand dpv:ResearchAndDevelopment"
)
EU_ONLY = permit(
    "odrl:leftOperand odrl:spatial ; odrl:operator odrl:eq ; "
    "odrl:rightOperand <http://publications.europa.eu/resource/authority/country/EUR>"
)
SME_ONLY = permit(
    "odrl:leftOperand odrl:recipient ; odrl:operator odrl:eq ; odrl:rightOperand dlab:SME"
)


def test_a_research_only_policy_refuses_commercial_model_training(table):
    facts = dataset(RESEARCH_ONLY)
    refused = ask(facts, lab(), table, "sme", "DE", "commercial-ai-training")
    assert refused.verdict == MAY_NOT
    assert "not met" in " ".join(r.text for r in refused.reasons)
    assert not any("compatible" in r.text for r in refused.reasons if r.outcome == "block")
    allowed = ask(facts, lab(), table, "research", "DE", "academic-research")
    assert allowed.verdict == MAY_OFFER, [r.text for r in allowed.reasons]


def test_without_a_profile_the_purpose_is_a_condition_of_the_offer(table):
    offer = resolve(dataset(RESEARCH_ONLY), lab(), table, now=NOW)
    assert offer.verdict == CONDITIONS
    assert offer.constraints == ["only if purpose is ResearchAndDevelopment"]


def test_spatial_eu_is_checked_against_the_requester_not_the_labs_countries(table):
    facts = dataset(EU_ONLY)
    us = ask(facts, lab(), table, "large-company", "US")
    assert us.verdict == MAY_NOT, [r.text for r in us.reasons]
    de = ask(facts, lab(), table, "large-company", "DE")
    assert de.verdict == MAY_OFFER


def test_spatial_eu_is_checked_against_where_the_lab_processes(table):
    facts = dataset(EU_ONLY)
    outside = ask(facts, lab(processing_country="CH"), table, "sme", "DE")
    assert outside.verdict == MAY_NOT
    unknown = ask(facts, lab(processing_country=None), table, "sme", "DE")
    assert unknown.verdict == REVIEW


def test_a_recipient_constraint_is_checked_against_the_organisation_type(table):
    facts = dataset(SME_ONLY)
    assert ask(facts, lab(), table, "sme", "DE").verdict == MAY_OFFER
    assert ask(facts, lab(), table, "large-company", "DE").verdict == MAY_NOT


def test_an_operand_the_catalogue_cannot_evaluate_needs_review(table):
    facts = dataset(
        permit("odrl:leftOperand odrl:systemDevice ; odrl:operator odrl:eq ; odrl:rightOperand 'x'")
    )
    for profile in (None, ("research", "DE", "academic-research")):
        offer = resolve(
            facts, lab(), table, RequesterProfile.parse(*profile) if profile else None, now=NOW
        )
        assert offer.verdict == REVIEW


def test_expired_and_current_date_constraints(table):
    def until(day: str) -> object:
        return dataset(
            permit(
                "odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ; "
                f'odrl:rightOperand "{day}"^^xsd:date'
            )
        )

    assert resolve(until("2025-01-01"), lab(), table, now=NOW).verdict == MAY_NOT
    assert resolve(until("2030-01-01"), lab(), table, now=NOW).verdict == MAY_OFFER


@pytest.mark.parametrize(
    ("statement", "how"),
    [
        ('tdm:reservation "1"', "TDMRep"),
        ("dlab:tdmReservation true", "flag"),
    ],
)
def test_tdm_reservation_in_any_form_refuses_ai_training(table, statement, how):
    facts = dataset(
        permit("odrl:leftOperand odrl:count ; odrl:operator odrl:lteq ; odrl:rightOperand 100"),
        extra=f"{statement} ;",
    )
    assert facts.tdm_reserved and how in (facts.tdm_how or "")
    assert (
        ask(facts, lab(), table, "research", "DE", "non-commercial-ai-training").verdict == MAY_NOT
    )
    assert ask(facts, lab(), table, "research", "DE", "academic-research").verdict == CONDITIONS


def test_tdm_reservation_as_an_odrl_prohibition(table):
    facts = dataset(
        "odrl:permission [ odrl:action odrl:use ] ; odrl:prohibition [ odrl:action tdm:mine ]"
    )
    assert facts.tdm_reserved
    assert "ODRL prohibition" in (facts.tdm_how or "")
    offer = ask(facts, lab(), table, "sme", "DE", "commercial-ai-training")
    assert offer.verdict == MAY_NOT


def test_a_conditional_prohibition_applies_to_the_requester_it_names(table):
    facts = dataset(
        "odrl:permission [ odrl:action odrl:use ] ; odrl:prohibition [ odrl:action odrl:use ; "
        "odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ; "
        "odrl:rightOperand dpv:CommercialPurpose ] ]"
    )
    assert ask(facts, lab(), table, "sme", "DE", "commercial-ai-training").verdict == MAY_NOT
    assert ask(facts, lab(), table, "research", "DE", "academic-research").verdict == MAY_OFFER
    assert resolve(facts, lab(), table, now=NOW).verdict == CONDITIONS


def test_formal_semantics_oracle_through_the_requester_evaluator(corpus):
    """The W3C formal-semantics example A1/A11: ``dateTime lt 2019-01-01`` is satisfied at the
    request's time, as its compliance report says, and not after."""
    folder = corpus / "odrl" / "formal-semantics"
    policy = policy_from_json(json.loads((folder / "policyA1.json").read_text()))
    request = json.loads((folder / "evaluationrequestA11.json").read_text())
    report = json.loads((folder / "compliancereport.A11.json").read_text())
    when = datetime.fromisoformat(request["requestParameters"]["value"]["@value"])
    (constraint,) = policy.permissions[0].constraints
    expected = {"report:Satisfied": SATISFIED}[
        report["ex:constraintReport1"]["report:satisfactionState"]
    ]
    assert evaluate(constraint, Situation(lab(), None, when)) == expected
    assert evaluate(constraint, Situation(lab(), None, datetime(2019, 6, 1))) == NOT_SATISFIED


def test_requester_operands_are_pending_without_a_profile_and_unknown_values_unknown():
    facts = dataset(RESEARCH_ONLY)
    (constraint,) = facts.policies[0].permissions[0].constraints
    assert evaluate(constraint, Situation(lab(), None, NOW)) == PENDING
    weird = dataset(
        permit(
            "odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ; "
            "odrl:rightOperand <https://ex.org/purpose/unheard-of>"
        )
    )
    (c,) = weird.policies[0].permissions[0].constraints
    profile = RequesterProfile.parse("research", "DE", "academic-research")
    assert evaluate(c, Situation(lab(), profile, NOW)) == UNKNOWN


def test_the_odrl_offer_carries_the_constraints_the_requester_must_meet(table):
    from catalog.offers.jsonld import offer_to_odrl

    offer = resolve(dataset(RESEARCH_ONLY), lab(), table, now=NOW)
    (use,) = [
        p for p in offer_to_odrl(offer, "https://ex.org/ds/1")["permission"] if p["action"] == "use"
    ]
    assert {
        "leftOperand": "purpose",
        "operator": "eq",
        "rightOperand": "https://w3id.org/dpv#ResearchAndDevelopment",
    } in use["constraint"]
