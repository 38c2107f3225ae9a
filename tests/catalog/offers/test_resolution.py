"""Table-driven offer resolution: one row per rule and verdict (datasets in data/datasets.ttl)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalog.labs import DataLab
from catalog.offers import CONDITIONS, MAY_NOT, MAY_OFFER, REVIEW, RequesterProfile, resolve

NOW = datetime(2026, 6, 1, tzinfo=UTC)

# dataset, lab (demo lab of that factory), profile (org_type, country, purpose), verdict,
# a phrase the rule trace must contain
CASES = [
    (
        "eo-open",
        "brain",
        None,
        MAY_OFFER,
        "linked to the Earth observation data space (earth-observation)",
    ),
    ("eo-open", "nlaif", None, MAY_NOT, "not linked to the dataset's data space: Earth"),
    ("eo-cc0", "jaif", None, MAY_OFFER, "licence CC0 1.0 permits"),
    (
        "lang-nc",
        "brain",
        (None, None, "commercial-ai-training"),
        MAY_NOT,
        "do not permit commercial use",
    ),
    ("lang-nc", "brain", (None, None, "academic-research"), MAY_OFFER, "compatible"),
    ("lang-nc", "brain", (None, None, "non-commercial-ai-training"), MAY_OFFER, "compatible"),
    ("lang-nc", "brain", None, MAY_OFFER, "prohibits commercial"),
    ("lang-nd", "brain", None, REVIEW, "allows AI training is unsettled"),
    ("unknown-lic", "jaif", None, REVIEW, "is not in the licence table"),
    ("unknown-lic", "brain", None, MAY_NOT, "not linked to the dataset's data space: Research"),
    ("no-lic", "jaif", None, REVIEW, "declares no licence"),
    ("contra-lic", "jaif", None, REVIEW, "contradictory licences"),
    ("restricted", "jaif", None, CONDITIONS, "dataset is restricted"),
    ("restricted", "jaif", ("Research", "DE", "academic-research"), CONDITIONS, "serves research"),
    ("nonpublic", "jaif", None, CONDITIONS, "by federated or remote execution"),
    ("nonpublic", "slaif", None, MAY_NOT, "runs download"),
    ("health", "jaif", None, CONDITIONS, "data permit from Test HDAB"),
    ("health", "nlaif", None, CONDITIONS, "by secure processing environment"),
    ("health", "litai", None, MAY_NOT, "only in a secure processing environment; LitAI"),
    ("health", "brain", None, MAY_NOT, "not linked to the dataset's data space: Health"),
    ("health", "slaif", None, MAY_NOT, "not linked to the dataset's data space: Health"),
    ("health", "laif", (None, None, "advertising"), MAY_NOT, "(EHDS) prohibits for secondary"),
    ("health", "laif", ("StartUp", "FI", "commercial-ai-training"), CONDITIONS, "compatible"),
    ("health", "it4lia", None, CONDITIONS, "processed only in a secure processing environment"),
    (
        "tdm-reserved",
        "brain",
        (None, None, "commercial-ai-training"),
        MAY_NOT,
        "text and data mining is reserved",
    ),
    ("tdm-reserved", "brain", None, CONDITIONS, "reserved text and data mining"),
    ("tdm-reserved", "brain", (None, None, "academic-research"), CONDITIONS, "compatible"),
    ("policy-nodistribute", "jaif", None, CONDITIONS, "prohibits distribution"),
    ("policy-nodistribute", "slaif", None, MAY_NOT, "runs download"),
    ("policy-contradictory", "jaif", None, REVIEW, "both permits and prohibits use"),
    ("policy-expired", "jaif", None, MAY_NOT, "dateTime is at most 2023-12-31"),
    ("policy-purpose", "jaif", None, CONDITIONS, "only if purpose is AcademicResearch"),
    ("no-access-rights", "jaif", None, REVIEW, "states no access rights"),
    ("no-space", "jaif", None, REVIEW, "names no data space"),
    ("theme-inferred", "laif", None, MAY_OFFER, "belongs to: EU data theme HEAL"),
    ("access-unknown", "jaif", None, REVIEW, "members-only are not understood"),
    ("access-contradictory", "jaif", None, REVIEW, "contradictory access rights (NON_PUBLIC and"),
    ("spdx-mit", "jaif", None, MAY_OFFER, "licence MIT permits"),
    ("spdx-mit", "roaif", None, MAY_NOT, "runs metadata only"),
    ("eo-open", "gaia", None, CONDITIONS, "own policy excludes commercial use"),
    (
        "eo-open",
        "gaia",
        (None, None, "commercial-ai-training"),
        MAY_NOT,
        "do not permit commercial use",
    ),
    (
        "eo-open",
        "gaia",
        ("LargeCompany", "PL", "academic-research"),
        MAY_NOT,
        "does not serve large company",
    ),
    ("eo-open", "slaif", (None, "US", None), MAY_NOT, "the United States are not eligible"),
    ("eo-open", "slaif", (None, "SI", None), MAY_OFFER, "Slovenia are eligible"),
    ("eo-open", "roaif", (None, "RO", None), MAY_NOT, "not linked"),
]


@pytest.mark.parametrize(
    ("dataset", "lab", "profile", "verdict", "phrase"),
    CASES,
    ids=[f"{c[0]}@{c[1]}-{c[2]}" for c in CASES],
)
def test_resolution_table(fixture_terms, demo_labs, table, dataset, lab, profile, verdict, phrase):
    prof = RequesterProfile.parse(*profile) if profile else None
    offer = resolve(fixture_terms[dataset], demo_labs[lab], table, prof, now=NOW)
    text = " | ".join(r.text for r in offer.reasons)
    assert offer.verdict == verdict, text
    assert phrase in text


def test_at_least_forty_cases():
    assert len(CASES) >= 40
    assert {c[3] for c in CASES} == {MAY_OFFER, CONDITIONS, MAY_NOT, REVIEW}


def test_unknown_or_contradictory_terms_never_may_offer(fixture_terms, demo_labs, table):
    for name in (
        "unknown-lic",
        "no-lic",
        "contra-lic",
        "policy-contradictory",
        "access-unknown",
        "access-contradictory",
        "no-access-rights",
        "no-space",
    ):
        for lab in demo_labs.values():
            for purpose in (None, "academic-research", "commercial-ai-training"):
                prof = RequesterProfile.parse(purpose=purpose)
                offer = resolve(fixture_terms[name], lab, table, prof, now=NOW)
                assert offer.verdict in (REVIEW, MAY_NOT), (name, lab.id, offer.verdict)


def test_health_procedure_is_ordered(fixture_terms, demo_labs, table):
    offer = resolve(fixture_terms["health"], demo_labs["jaif"], table, now=NOW)
    assert offer.access_mode == "SecureProcessingEnvironment"
    assert offer.route == "ehds-data-permit"
    assert offer.procedure[0].startswith("apply to Test HDAB")
    assert "data permit" in offer.procedure[0]
    assert "health data request" in offer.procedure[0]
    assert "user agreement" in offer.procedure[2]
    assert offer.procedure[-1].startswith("process the pseudonymised data only inside")
    # steps of the lab's other access modes are not part of this offer
    assert not any("federated" in s for s in offer.procedure)


def test_effective_terms_combine_dataset_and_lab(fixture_terms, table):
    lab = DataLab.from_dict(
        {
            "id": "lang-lab",
            "factory": "brain",
            "data_spaces": ["language"],
            "access_modes": ["Download"],
            "prohibited_purposes": ["commercial"],
            "duties": ["attribute"],
        }
    )
    offer = resolve(fixture_terms["lang-nc"], lab, table, now=NOW)
    assert offer.verdict == CONDITIONS
    assert "commercial" not in offer.permissions
    assert "commercial" in offer.prohibitions
    assert "attribution" in offer.duties  # the licence's
    assert "attribute" in offer.duties  # the lab's own
    sa = resolve(fixture_terms["contra-lic"], lab, table, now=NOW)
    assert sa.permissions == []
    assert sa.access_mode is None
    assert sa.procedure == []


def test_cc0_carries_no_duty_at_any_demo_lab(fixture_terms, demo_labs, table):
    for lab in demo_labs.values():
        offer = resolve(fixture_terms["eo-cc0"], lab, table, now=NOW)
        assert offer.duties == [], (lab.id, offer.duties)


def test_synthetic_only_lab_refused_for_no_derivatives(fixture_terms, demo_labs, table):
    lab = DataLab.from_dict(
        {
            "id": "synth-lab",
            "factory": "litai",
            "data_spaces": ["language"],
            "access_modes": ["SyntheticDataOnly"],
        }
    )
    offer = resolve(fixture_terms["lang-nd"], lab, table, now=NOW)
    assert offer.verdict == MAY_NOT
    assert any("no-derivatives" in r.text for r in offer.reasons)


def test_usable_for_ai_training_flag(fixture_terms, demo_labs, table):
    assert resolve(
        fixture_terms["eo-open"], demo_labs["brain"], table, now=NOW
    ).usable_for_ai_training
    assert not resolve(
        fixture_terms["tdm-reserved"], demo_labs["brain"], table, now=NOW
    ).usable_for_ai_training


def test_resolutions_share_their_equal_reasons(fixture_terms, demo_labs, table):
    """Equal reasons are one object across resolutions (a build's offers, and a mirror
    holding them, keep a few thousand reasons, not one per offer and step), and each
    resolution's trace is still its own: in its order, not changed by later ones."""
    lab = demo_labs[sorted(demo_labs)[0]]
    terms = fixture_terms[sorted(fixture_terms)[0]]
    first = resolve(terms, lab, table, now=NOW)
    trace = [(r.rule, r.outcome, r.text) for r in first.reasons]
    for other in fixture_terms.values():  # other traces, some with these reasons
        resolve(other, lab, table, now=NOW)
    again = resolve(terms, lab, table, now=NOW)
    assert first.reasons and again.reasons == first.reasons
    assert all(a is b for a, b in zip(again.reasons, first.reasons, strict=True))
    assert [(r.rule, r.outcome, r.text) for r in first.reasons] == trace
    assert again.reasons is not first.reasons  # the lists are each offer's own


def test_the_shared_reasons_table_stays_bounded(fixture_terms, demo_labs, table, monkeypatch):
    """Past its bound the table of shared reasons starts again: it never holds more than
    the bound, and every resolution still gives its full, correct trace."""
    from catalog.offers.rules import state

    monkeypatch.setattr(state, "_REASONS_MAX", 3)
    monkeypatch.setattr(state, "_REASONS", {})
    lab = demo_labs[sorted(demo_labs)[0]]
    expected = {}
    for name, terms in fixture_terms.items():
        offer = resolve(terms, lab, table, now=NOW)
        expected[name] = [(r.rule, r.outcome, r.text) for r in offer.reasons]
        assert len(state._REASONS) <= 3
    assert sum(len(trace) for trace in expected.values()) > 3  # the bound was passed
    for name, terms in fixture_terms.items():
        again = resolve(terms, lab, table, now=NOW)
        assert [(r.rule, r.outcome, r.text) for r in again.reasons] == expected[name]
