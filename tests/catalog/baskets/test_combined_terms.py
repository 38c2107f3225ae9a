"""The combined terms of a basket, case by case, on real records in a real catalogue.

Each case is written from a licence's text or a regulation's article (cited in the case),
not from what the code happens to answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from api.auth import Principal
from catalog.baskets.answers import Answer
from catalog.baskets.lead_time import PERMIT_DAYS
from catalog.baskets.share_alike import common_licences
from catalog.labs.store import edit_lab
from catalog.offers.licence_store import add_licence, make_entry, remove_licence
from tests.catalog.baskets.conftest import Demo

DEV = Principal("dev")


@dataclass(frozen=True)
class Case:
    name: str
    datasets: tuple[str, ...]
    profile: dict[str, str]
    conflicts: dict[str, str]  # kind -> severity expected; kinds not listed must be absent
    why: str


RESEARCH = {"org_type": "research", "country": "DE", "purpose": "non-commercial-ai-training"}
COMPANY = {"org_type": "sme", "country": "DE", "purpose": "commercial-ai-training"}
CASES = [
    Case(
        "two CC BY-SA 4.0 datasets: one licence, no clash",
        ("morphological-lexicon-pl", "perovskite-stability"),
        RESEARCH,
        {},
        "CC BY-SA 4.0 §3(b)(1): adaptations under this licence, which both allow",
    ),
    Case(
        "CC BY-SA 4.0 and ODbL: share-alike clash",
        ("morphological-lexicon-pl", "road-graph-odbl"),
        RESEARCH,
        {"share-alike": "conflict"},
        "ODbL §4.4 wants the ODbL, CC BY-SA 4.0 §3(b)(1) wants BY-SA or GPLv3",
    ),
    Case(
        "CC BY-SA 4.0 and GPL 3.0: compatible one way (GPLv3)",
        ("morphological-lexicon-pl", "solver-traces-gpl"),
        RESEARCH,
        {},
        "GPLv3 is a BY-SA compatible licence of CC BY-SA 4.0",
    ),
    Case(
        "ODbL and GPL 3.0: share-alike clash",
        ("road-graph-odbl", "solver-traces-gpl"),
        RESEARCH,
        {"share-alike": "conflict"},
        "GPL 3.0 §5(c) and ODbL §4.4 each want their own licence",
    ),
    Case(
        "CC BY-SA 3.0 and 4.0: compatible under 4.0",
        ("glossary-by-sa-3", "perovskite-stability"),
        RESEARCH,
        {},
        "CC BY-SA 3.0 §4(b): a later version with the same elements",
    ),
    Case(
        "non-commercial licence in a commercial basket",
        ("news-monolingual-fr",),
        COMPANY,
        {"non-commercial": "conflict"},
        "CC BY-NC 4.0 §1(i): NonCommercial; the purpose is commercial",
    ),
    Case(
        "non-commercial licence in a non-commercial research basket",
        ("news-monolingual-fr",),
        RESEARCH,
        {},
        "CC BY-NC 4.0 permits non-commercial use",
    ),
    Case(
        "non-commercial licence, a company stating no purpose",
        ("news-monolingual-fr",),
        {"org_type": "sme", "country": "DE"},
        {"non-commercial": "conflict"},
        "a company's use is commercial unless it says otherwise",
    ),
    Case(
        "TDM reservation against a company's training",
        ("social-science-fulltexts",),
        COMPANY,
        {"tdm-reservation": "conflict", "non-commercial": "conflict"},
        "DSM Directive art. 4(3): the reservation binds commercial mining",
    ),
    Case(
        "TDM reservation, a research organisation: art. 3, for review",
        ("social-science-fulltexts",),
        RESEARCH,
        {"tdm-reservation": "review"},
        "DSM Directive art. 3 and 7(1): research organisations' mining cannot be reserved",
    ),
    Case(
        "TDMRep reservation property against a company's training",
        ("press-archive-tdmrep",),
        COMPANY,
        {"tdm-reservation": "conflict"},
        "DSM Directive art. 4(3) by machine-readable means: TDMRep tdm-reservation 1",
    ),
    Case(
        "EHDS: advertising is prohibited",
        ("hospital-stays-nordhessen",),
        {"org_type": "sme", "country": "DE", "purpose": "advertising"},
        {"ehds-purpose": "conflict"},
        "EHDS art. 54(c): advertising or marketing",
    ),
    Case(
        "EHDS: policy-making is for public bodies",
        ("hospital-stays-nordhessen",),
        {"org_type": "sme", "country": "DE", "purpose": "policy-making"},
        {"ehds-purpose": "conflict"},
        "EHDS art. 53(1)(b): public sector bodies",
    ),
    Case(
        "EHDS: training an AI model is an allowed purpose",
        ("hospital-stays-nordhessen",),
        COMPANY,
        {},
        "EHDS art. 53(1)(e)(ii): training, testing and evaluation of algorithms",
    ),
]


def _basket(demo: Demo, datasets: tuple[str, ...], profile: dict[str, str]) -> Answer:
    b = demo.baskets.create(
        DEV, {"name": "case", "datasets": [demo[d] for d in datasets], "profile": profile}
    )
    return demo.baskets.answer(DEV, b.id)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conflicts_are_named_as_the_texts_say(demo: Demo, case: Case) -> None:
    found = _basket(demo, case.datasets, case.profile)
    kinds = {c.kind: c.severity for c in found.conflicts.items}
    assert kinds == case.conflicts, case.why
    for c in found.conflicts.items:
        assert c.cites and c.text  # every conflict cites what it rests on
        assert set(c.datasets) <= {demo[d] for d in case.datasets}


def test_a_share_alike_clash_names_both_licences_and_their_clauses(demo: Demo) -> None:
    found = _basket(demo, ("morphological-lexicon-pl", "road-graph-odbl"), RESEARCH)
    (clash,) = found.conflicts.items
    assert "CC-BY-SA-4.0" in clash.text and "ODbL-1.0" in clash.text
    assert any("ODbL 1.0 §4.4" in c for c in clash.cites)
    assert any("CC BY-SA 4.0 §3(b)(1)" in c for c in clash.cites)


def test_compatible_share_alike_licences_say_under_which_to_release(demo: Demo) -> None:
    found = _basket(demo, ("morphological-lexicon-pl", "solver-traces-gpl"), RESEARCH)
    assert any("GPL-3.0-only" in n for n in found.conflicts.notes)
    assert common_licences({"CC-BY-SA-4.0", "GPL-3.0-only"}) == {"GPL-3.0-only"}
    # GPLv3 §5(c) allows nothing else, so the compatibility is one way
    assert common_licences({"GPL-3.0-only", "CC-BY-SA-3.0"}) == {"GPL-3.0-only"}
    assert common_licences({"ODbL-1.0", "CC-BY-SA-4.0"}) == frozenset()


def test_the_cover_is_the_fewest_labs_with_every_alternative_of_that_size(demo: Demo) -> None:
    datasets = ("white-stork-migration", "land-cover-europe-2021", "morphological-lexicon-pl")
    found = _basket(demo, datasets, RESEARCH)
    # from the registry: labs linked to the three data spaces that serve research requesters
    spaces = {"research", "earth-observation", "language"}
    one_stop = {
        lab.id
        for lab in found.gathered.labs.values()
        if spaces <= set(lab.data_spaces)
        and "Download" in lab.access_modes
        and "Research" in lab.eligible_org_types
    }
    assert one_stop, "the registry has labs linked to all three data spaces"
    assert len(found.cover.chosen) == 1 and found.cover.exact
    covers = {found.cover.chosen[0], *(a[0] for a in found.cover.alternatives)}
    assert covers == one_stop
    assert found.cover.alternatives_total == len(one_stop) - 1
    assert set(found.cover.assignment) == {demo[d] for d in datasets}


def _covers(found: Answer, combo: list[str]) -> bool:
    wanted = set(found.cover.assignment)
    offered = {
        i.dataset_id for i in found.gathered.found() for o in i.offerable() if o.lab.id in combo
    }
    return wanted <= offered


def test_when_a_lab_changes_the_cover_follows_with_every_cover_of_the_new_size(
    demo: Demo,
) -> None:
    datasets = (
        "synthetic-ehr-fhir",
        "land-cover-europe-2021",
        "parallel-public-administration-de-pl",
    )
    b = demo.baskets.create(DEV, {"datasets": [demo[d] for d in datasets], "profile": RESEARCH})
    before, _ = demo.baskets.look(DEV, b.id)
    assert len(before.cover.chosen) == 1  # the labs linked to health, EO and language
    one_stop = [before.cover.chosen[0], *(a[0] for a in before.cover.alternatives)]
    labs = {lab_id: before.gathered.labs[lab_id] for lab_id in one_stop}
    try:
        for lab in labs.values():  # their staff unlink the language data space
            spaces = [s for s in lab.data_spaces if s != "language"]
            edit_lab(demo.cat, lab.id, {"data_spaces": spaces}, staff_factory=lab.factory)
        after, changed = demo.baskets.look(DEV, b.id)
        size = len(after.cover.chosen)
        assert size == 2 and after.cover.exact
        # no single lab covers the basket any more, and every listed pair does
        assert not any(_covers(after, [lab]) for lab in after.gathered.labs)
        for combo in [after.cover.chosen, *after.cover.alternatives]:
            assert len(combo) == size and _covers(after, combo)
        # every covering pair is listed (checked by trying them all here)
        pairs = {
            tuple(sorted((a, c)))
            for a in after.gathered.labs
            for c in after.gathered.labs
            if a < c and _covers(after, [a, c])
        }
        listed = {tuple(sorted(x)) for x in [after.cover.chosen, *after.cover.alternatives]}
        assert listed == pairs or (after.cover.alternatives_total + 1 == len(pairs))
        assert "cover" in {c["kind"] for c in changed}
    finally:
        for lab in labs.values():
            edit_lab(
                demo.cat, lab.id, {"data_spaces": list(lab.data_spaces)}, staff_factory=lab.factory
            )


def test_datasets_no_lab_can_offer_are_listed_with_the_offers_reasons(demo: Demo) -> None:
    found = _basket(demo, ("tokamak-diagnostics", "white-stork-migration"), RESEARCH)
    (gone,) = found.cover.unavailable
    assert gone.dataset_id == demo["tokamak-diagnostics"]
    texts = {r.text for o in found.gathered.items[0].offers for r in o.reasons}
    assert gone.reasons and all(r in texts or "labs are not linked" in r for r in gone.reasons)


def test_lead_time_runs_along_the_longest_lab_procedure(demo: Demo) -> None:
    permit = "https://demo.datalab.example.eu/licence/ehds-data-permit"
    add_licence(
        demo.cat.documents,
        make_entry(
            permit,
            label="EHDS data permit (demo)",
            permits=["ai-training", "commercial", "derivatives", "tdm"],
            prohibits=["distribution"],
            requires=["attribution"],
        ),
    )
    try:
        found = _basket(demo, ("hospital-stays-nordhessen", "white-stork-migration"), COMPANY)
        health_lab = found.cover.assignment[demo["hospital-stays-nordhessen"]]
        lab = found.gathered.labs[health_lab]
        steps = found.lead_time.procedures
        by_lab = {p.lab: p for p in steps}
        permit_step = by_lab[health_lab].prerequisites[0]
        assert permit_step.days == PERMIT_DAYS and "art. 68" in permit_step.basis
        # sequential within a lab: the permit, then the lab's own lead time
        assert by_lab[health_lab].days == PERMIT_DAYS + (lab.lead_time_days or 0)
        # parallel across labs: the longest one
        assert found.lead_time.days == max(p.days for p in steps) == by_lab[health_lab].days
        # where to process is a condition, not a wait: every duration is known
        assert [p.step for p in by_lab[health_lab].prerequisites] == [permit_step.step]
        assert not found.lead_time.lower_bound
    finally:
        remove_licence(demo.cat.documents, permit)


def test_an_agreement_without_a_duration_makes_the_lead_time_a_lower_bound(demo: Demo) -> None:
    agreement = "https://demo.datalab.example.eu/licence/research-use-agreement"
    add_licence(
        demo.cat.documents,
        make_entry(
            agreement, permits=["ai-training", "derivatives", "tdm"], requires=["attribution"]
        ),
    )
    try:
        found = _basket(demo, ("energy-poverty-survey",), RESEARCH)
        (procedure,) = found.lead_time.procedures
        (step,) = procedure.prerequisites
        assert step.step == "agree the restricted access with the data holder"
        assert step.days is None and found.lead_time.lower_bound
        lab = found.gathered.labs[procedure.lab]
        assert found.lead_time.days == lab.lead_time_days  # the known part only
    finally:
        remove_licence(demo.cat.documents, agreement)


def test_changes_since_last_look_name_the_verdict_and_lead_time_changes(demo: Demo) -> None:
    permit = "https://demo.datalab.example.eu/licence/ehds-data-permit"
    b = demo.baskets.create(
        DEV,
        {
            "datasets": [demo["hospital-stays-nordhessen"], demo["white-stork-migration"]],
            "profile": COMPANY,
        },
    )
    first, changed = demo.baskets.look(DEV, b.id)
    assert changed == []  # never looked before
    assert demo["hospital-stays-nordhessen"] in {u.dataset_id for u in first.cover.unavailable}
    add_licence(
        demo.cat.documents,
        make_entry(permit, permits=["ai-training", "commercial", "derivatives", "tdm"]),
    )
    try:
        second, changed = demo.baskets.look(DEV, b.id)
        kinds = {c["kind"] for c in changed}
        assert {"verdict", "lead-time"} <= kinds
        verdict = next(c for c in changed if c["kind"] == "verdict")
        assert verdict["dataset"] == demo["hospital-stays-nordhessen"]
        assert second.lead_time.days > first.lead_time.days
        _, again = demo.baskets.look(DEV, b.id)
        assert again == []  # nothing changed since this look
    finally:
        remove_licence(demo.cat.documents, permit)


def test_credit_lines_carry_publisher_title_year_licence_and_address(demo: Demo) -> None:
    found = _basket(demo, ("white-stork-migration",), RESEARCH)
    (credit,) = found.obligations.credits
    record = found.gathered.items[0].record
    assert record is not None
    assert credit.publisher == "Open Research Repository demo (fictional)"
    assert credit.title == record.title.best(["en"])
    assert credit.year == "2024" and credit.licence == "CC0 1.0"
    for part in (credit.publisher, credit.title, credit.year, credit.licence, credit.url):
        assert part in credit.line
