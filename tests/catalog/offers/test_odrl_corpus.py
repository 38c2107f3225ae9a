"""The ODRL evaluator against the W3C formal-semantics oracle and the Dataspace Protocol offers."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from catalog.offers.odrl import (
    NOT_SATISFIED,
    SATISFIED,
    UNKNOWN,
    evaluate,
    evaluate_constraint,
    policy_from_json,
)


def _json(corpus, *parts):
    return json.loads((corpus.joinpath(*parts)).read_text(encoding="utf-8"))


def test_formal_semantics_A11_matches_compliance_report(corpus):
    policy = policy_from_json(_json(corpus, "odrl", "formal-semantics", "policyA1.json"))
    request = _json(corpus, "odrl", "formal-semantics", "evaluationrequestA11.json")
    report = _json(corpus, "odrl", "formal-semantics", "compliancereport.A11.json")
    param = request["requestParameters"]
    assert param["describesFeature"] == "sotw:CurrentXSDDateTime"
    ctx = {"dateTime": datetime.fromisoformat(param["value"]["@value"])}
    ev = evaluate(policy, request["evaluatedAction"].removeprefix("odrl:"), ctx)
    rule_report = report["ex:permissionReportA11"]
    constraint_report = report["ex:constraintReport1"]
    expected_state = {"report:Permit": "permit"}[rule_report["report:controlState"]]
    expected_sat = {"report:Satisfied": SATISFIED}[constraint_report["report:satisfactionState"]]
    assert ev.state == expected_state
    assert list(ev.constraints.values()) == [expected_sat]


def test_formal_semantics_A1_after_the_deadline_is_not_permitted(corpus):
    policy = policy_from_json(_json(corpus, "odrl", "formal-semantics", "policyA1.json"))
    ev = evaluate(policy, "distribute", {"dateTime": datetime(2019, 1, 1)})
    assert ev.state == "not_permitted"
    assert list(ev.constraints.values()) == [NOT_SATISFIED]


def test_formal_semantics_C2_duty_with_refinement_is_read(corpus):
    policy = policy_from_json(_json(corpus, "odrl", "formal-semantics", "policyC2.json"))
    (perm,) = policy.permissions
    assert perm.actions == ("play",)
    assert perm.duties[0].actions == ("compensate",)
    assert perm.duties[0].constraints[0].left == "ex:dayOfWeek"
    assert evaluate_constraint(perm.duties[0].constraints[0], {}) == UNKNOWN
    assert (
        evaluate_constraint(perm.duties[0].constraints[0], {"ex:dayOfWeek": "Sunday"}) == SATISFIED
    )


def test_dsp_contract_offer_expired(corpus):
    policy = policy_from_json(_json(corpus, "dataspace-protocol", "contract-offer-message.json"))
    assert policy.type == "Offer"
    assert evaluate(policy, "use", {"dateTime": datetime(2023, 6, 1)}).state == "permit"
    assert evaluate(policy, "use", {"dateTime": datetime(2024, 6, 1)}).state == "not_permitted"


@pytest.mark.parametrize(
    ("index", "partner", "expected"),
    [
        (1, "gold", NOT_SATISFIED),  # and(gold, silver)
        (2, "gold", SATISFIED),  # or
        (2, "bronze", NOT_SATISFIED),
        (3, "gold", SATISFIED),  # plain eq
        (4, "gold", NOT_SATISFIED),  # andSequence
        (5, "silver", SATISFIED),  # xone
        (6, "silver", SATISFIED),  # or(and(..), silver)
    ],
)
def test_dsp_agreement_logical_constraints(corpus, index, partner, expected):
    doc = _json(corpus, "dataspace-protocol", "contract-agreement-message-full.json")
    policy = policy_from_json(doc)
    (constraint,) = policy.permissions[index].constraints
    assert evaluate_constraint(constraint, {"partner": partner}) == expected


def test_dsp_dataset_policy_spatial(corpus):
    doc = _json(corpus, "dataspace-protocol", "dataset.json")
    policy = policy_from_json(doc["hasPolicy"][0])
    (c,) = policy.permissions[0].constraints
    assert c.left == "spatial"
    assert evaluate_constraint(c, {"spatial": ["_:EU"]}) == SATISFIED
    assert evaluate_constraint(c, {"spatial": ["US"]}) == NOT_SATISFIED
