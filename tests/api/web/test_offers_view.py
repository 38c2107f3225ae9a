"""The dataset page's answer, worded from the real resolution of the demo's offers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.web.offers_view import lead_time, present_offers, summary
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.offers import RequesterProfile
from catalog.offers.service import offers_for
from catalog.service import Catalogue
from catalog.settings import get_settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    home: Path = tmp_path_factory.mktemp("offers-view")
    with Catalogue.open(get_settings(home=home)) as cat:
        load_demo(cat)
        load_registry(cat)
        yield cat


def _ident(cat: Catalogue, prefix: str) -> str:
    items = cat.datasets(source="demo-health", limit=100).items
    return next(i.id for i in items if i.id.startswith(prefix))


def test_lead_time_in_words() -> None:
    assert lead_time(None) is None
    assert lead_time(1) == "about 1 day"
    assert lead_time(10) == "about 10 days"
    assert lead_time(14) == "about 2 weeks"
    assert lead_time(30) == "about 4 weeks"
    assert lead_time(30, "de") == "etwa 4 Wochen"
    assert lead_time(7, "fr") == "environ 7 jours"


def test_the_answer_for_a_research_organisation_in_germany(demo: Catalogue) -> None:
    ident = _ident(demo, "synthetic-ehr-fhir")
    profile = RequesterProfile.parse("research", "DE", "academic-research")
    answer = offers_for(demo, ident, profile).to_dict()
    view = present_offers(answer, "en")
    offered = [o for o in answer["offers"] if o["verdict"].startswith("may_offer")]
    refused = [o for o in answer["offers"] if o["verdict"] == "may_not_offer"]
    assert offered and refused  # the demo has both, or this test proves nothing
    quickest = min(offered, key=lambda o: (o["lead_time_days"], o["lab_name"]))
    assert view["summary"].startswith(
        f"{len(offered)} data labs may offer this dataset to a research organisation in "
        "Germany for academic research"
    )
    assert f"The quickest: {quickest['lab_name']}, " in view["summary"]
    assert lead_time(quickest["lead_time_days"]) in view["summary"]
    # groups best first, may-not-offer apart, nothing lost
    order = [g["verdict"] for g in view["groups"]]
    assert order == sorted(
        order, key=["may_offer", "may_offer_under_conditions", "needs_review"].index
    )
    for group in view["groups"]:  # quickest first within a verdict
        days = [o["lead_time"] for o in group["offers"]]
        first = next(o for o in answer["offers"] if o["lab"] == group["offers"][0]["lab"])
        assert days[0] == lead_time(
            min(o["lead_time_days"] for o in answer["offers"] if o["verdict"] == group["verdict"])
        )
        assert first["verdict"] == group["verdict"]
    shown = sum(len(g["offers"]) for g in view["groups"])
    assert shown + len(view["refused"]) == len(answer["offers"])
    assert {o["lab"] for o in view["refused"]} == {o["lab"] for o in refused}
    # each offered lab: its access mode, its steps, its lead time, its obligations in words
    card = next(o for g in view["groups"] for o in g["offers"] if o["lab"] == quickest["lab"])
    assert card["access_mode"] == "SecureProcessingEnvironment"
    assert card["steps"] and not card["steps"][0][0].isdigit()  # unnumbered: the page numbers
    assert card["lead_time"] == lead_time(quickest["lead_time_days"])
    assert any(line.startswith("Not allowed: commercial use") for line in card["obligations"])
    assert any(line.startswith("You must: credit the source") for line in card["obligations"])
    assert card["requestable"] and not any(o["requestable"] for o in view["refused"])
    assert card["concerns"] == []  # nothing against an offer under conditions
    # each refusal says openly what stops it: the blocking steps of its trace
    for shown in view["refused"]:
        trace = next(o for o in refused if o["lab"] == shown["lab"])["trace"]
        assert shown["concerns"] == [t["text"] for t in trace if t["outcome"] == "block"]
        assert shown["concerns"]


def test_the_summary_in_german_and_french(demo: Catalogue) -> None:
    ident = _ident(demo, "synthetic-ehr-fhir")
    profile = RequesterProfile.parse("research", "DE", "academic-research")
    answer = offers_for(demo, ident, profile).to_dict()
    de = present_offers(answer, "de")["summary"]
    fr = present_offers(answer, "fr")["summary"]
    assert de.startswith("Für Ihr Profil (Forschungseinrichtung")
    assert "Deutschland, akademische Forschung" in de and "Am schnellsten:" in de
    assert fr.startswith("Pour votre profil (organisme de recherche")
    assert "Allemagne" in fr and "Le plus rapide :" in fr


def test_no_lab_and_no_profile_say_so() -> None:
    refused = {"verdict": "may_not_offer", "lead_time_days": 5, "lab_name": "A"}
    review = {"verdict": "needs_review", "lead_time_days": 5, "lab_name": "B"}
    profile = {"org_type": "SME", "country": "FR", "purpose": None}
    assert summary([refused, review], profile, "en") == (
        "No data lab may offer this dataset to an SME in France; 1 needs a review of the terms."
    )
    offered = {"verdict": "may_offer", "lead_time_days": None, "lab_name": "C"}
    text = summary([offered], None, "en")
    assert text.startswith("1 data lab may offer this dataset.")
    assert "Tell us who you are" in text and "quickest" not in text


def test_no_lab_in_german_and_french_and_the_hint_without_a_profile() -> None:
    review = {"verdict": "needs_review", "lead_time_days": 5, "lab_name": "B"}
    de = summary([review], None, "de")
    assert de.startswith("Kein Data Lab darf diesen Datensatz anbieten; bei 1 sind")
    assert de.endswith("die zu Ihnen passt.")
    fr = summary([review], None, "fr")
    assert fr.startswith("Aucun laboratoire de données ne peut proposer ce jeu de données ; 1")
    assert "qui vous êtes" in fr
    profile = {"org_type": "Research", "country": "DE", "purpose": None}
    with_profile = summary([review], profile, "de")
    assert with_profile.startswith("Für Ihr Profil (Forschungseinrichtung")
    assert "darf kein Data Lab" in with_profile and "wer Sie sind" not in with_profile
