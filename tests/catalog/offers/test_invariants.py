"""Safety invariants of offer resolution over generated datasets × labs × requesters.

A generated dataset is written as RDF and read through the one derivation of its facts, so
the invariants hold for what a steward can actually write. Whatever is generated, a lab
never answers *may offer* (with or without conditions) when the law, the licence, the
policy or the lab's own eligibility says no, or when the record contradicts itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph

from catalog.facts.derive import facts_from_rdflib
from catalog.labs import DataLab
from catalog.offers import CONDITIONS, MAY_NOT, MAY_OFFER, LicenceTable, RequesterProfile, resolve
from catalog.offers.geography import EU_MEMBERS, area_contains
from catalog.offers.org_types import ORG_TYPES
from catalog.offers.purposes import PURPOSES, covers

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TABLE = LicenceTable()
EU = "http://publications.europa.eu/resource/authority/"
LICENCES = {
    "none": "",
    "cc0": f"dct:license <{EU}licence/CC0> ;",
    "by": f"dct:license <{EU}licence/CC_BY_4_0> ;",
    "by-nc": f"dct:license <{EU}licence/CC_BYNC_4_0> ;",
    "by-nd": f"dct:license <{EU}licence/CC_BYND_4_0> ;",
    "unknown": "dct:license <https://ex.org/licence/ours> ;",
    "text": 'dct:license [ a dct:LicenseDocument ; rdfs:label "ask us" ] ;',
}
RESEARCH = "https://w3id.org/dpv#ResearchAndDevelopment"
POLICIES = {
    "none": "",
    "research-only": "odrl:hasPolicy [ odrl:permission [ odrl:action odrl:use ; odrl:constraint "
    f"[ odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ; odrl:rightOperand <{RESEARCH}> ]"
    " ] ] ;",
    "eu-only": "odrl:hasPolicy [ odrl:permission [ odrl:action odrl:use ; odrl:constraint "
    f"[ odrl:leftOperand odrl:spatial ; odrl:operator odrl:eq ; odrl:rightOperand <{EU}country/EUR>"
    " ] ] ] ;",
    "sme-only": "odrl:hasPolicy [ odrl:permission [ odrl:action odrl:use ; odrl:constraint "
    "[ odrl:leftOperand odrl:recipient ; odrl:operator odrl:eq ; "
    "odrl:rightOperand <https://w3id.org/datalab/ns#SME> ] ] ] ;",
    "expired": "odrl:hasPolicy [ odrl:permission [ odrl:action odrl:use ; odrl:constraint "
    '[ odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ; odrl:rightOperand "2024-01-01"'
    "^^<http://www.w3.org/2001/XMLSchema#date> ] ] ] ;",
}
SPACES = ["health", "language", "research", "earth-observation", "agriculture"]
MODES = ["Download", "SecureProcessingEnvironment", "FederatedExecution", "SyntheticDataOnly"]
COUNTRIES = ["DE", "FI", "FR", "NO", "CH", "US"]
HEAD = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix dlab: <https://w3id.org/datalab/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix healthdcatap: <http://healthdataportal.eu/ns/health#> .
"""


@dataclass(frozen=True)
class Spec:
    """What a generated dataset states."""

    rights: tuple[str, ...]
    licence: str
    policy: str
    space: str | None
    tdm: bool
    hdab: bool

    def turtle(self, iri: str) -> str:
        rights = ", ".join(f"<{EU}access-right/{r}>" for r in self.rights)
        return HEAD + (
            f'<{iri}> a dcat:Dataset ; dct:title "generated"@en ; '
            + (f"dct:accessRights {rights} ; " if rights else "")
            + LICENCES[self.licence]
            + POLICIES[self.policy]
            + (
                f"dlab:dataSpace <https://w3id.org/datalab/dataspace/{self.space}> ; "
                if self.space
                else ""
            )
            + ("dlab:tdmReservation true ; " if self.tdm else "")
            + (
                'healthdcatap:hdab [ a foaf:Organization ; foaf:name "HDAB" ] ; '
                if self.hdab
                else ""
            )
            + 'dct:identifier "x" .\n'
        )


specs = st.builds(
    Spec,
    rights=st.lists(st.sampled_from(["PUBLIC", "RESTRICTED", "NON_PUBLIC"]), max_size=2).map(tuple),
    licence=st.sampled_from(sorted(LICENCES)),
    policy=st.sampled_from(sorted(POLICIES)),
    space=st.none() | st.sampled_from(SPACES),
    tdm=st.booleans(),
    hdab=st.booleans(),
)
labs = st.builds(
    lambda spaces, modes, orgs, countries, where, banned: DataLab.from_dict(
        {
            "id": "gen-lab",
            "factory": "gen",
            "data_spaces": spaces,
            "access_modes": modes,
            "eligible_org_types": orgs,
            "eligible_countries": countries,
            "processing_country": where,
            "prohibited_purposes": banned,
        }
    ),
    st.lists(st.sampled_from(SPACES), min_size=1, max_size=3, unique=True),
    st.lists(st.sampled_from(MODES), min_size=1, max_size=3, unique=True),
    st.lists(st.sampled_from(ORG_TYPES), min_size=1, max_size=4, unique=True),
    st.lists(st.sampled_from(["EU", "US", "CH", "NO"]), min_size=1, max_size=2, unique=True),
    st.none() | st.sampled_from(["FI", "DE", "CH", "US"]),
    st.lists(st.sampled_from(["commercial", "ai-training"]), max_size=2, unique=True),
)
profiles = st.builds(
    lambda org, country, purpose: RequesterProfile.parse(org, country, purpose),
    st.none() | st.sampled_from(ORG_TYPES),
    st.none() | st.sampled_from(COUNTRIES),
    st.none() | st.sampled_from(sorted(PURPOSES)),
)


def facts_of(spec: Spec, iri: str = "https://ex.org/ds/gen", ident: str = "gen"):
    g = Graph().parse(data=spec.turtle(iri), format="turtle")
    return facts_from_rdflib(g, iri, ident)


def _why_not(spec: Spec, lab: DataLab, p: RequesterProfile | None) -> list[str]:
    """Every reason the law, the terms or the lab give for never offering."""
    facts = facts_of(spec)
    purpose = p.purpose if p else None
    reasons = []
    if facts.access_conflict:
        reasons.append("contradictory access rights")
    if not set(facts.space_ids) & set(lab.data_spaces):
        reasons.append("no data space link")
    if purpose and spec.licence == "by-nc" and purpose.commercial:
        reasons.append("non-commercial licence, commercial purpose")
    if p and p.org_type and p.org_type not in lab.eligible_org_types:
        reasons.append("organisation type not eligible")
    if p and p.country and not any(area_contains(a, p.country) for a in lab.eligible_countries):
        reasons.append("country not eligible")
    if purpose and spec.policy == "research-only" and covers(RESEARCH, purpose) is False:
        reasons.append("purpose outside the policy's purpose constraint")
    if spec.policy == "eu-only" and (
        (p and p.country and p.country not in EU_MEMBERS)
        or (lab.processing_country and lab.processing_country not in EU_MEMBERS)
    ):
        reasons.append("outside the policy's place")
    if spec.policy == "sme-only" and p and p.org_type and p.org_type != "SME":
        reasons.append("recipient outside the policy's party")
    if spec.policy == "expired":
        reasons.append("policy expired")
    if purpose and spec.tdm and purpose.ai_training:
        reasons.append("TDM reserved, AI training purpose")
    if purpose and purpose.ehds_prohibited and facts.ehds_applies:
        reasons.append("EHDS-prohibited purpose")
    if facts.health_route and purpose and not purpose.ehds_allowed:
        reasons.append("purpose outside EHDS art. 53")
    controlled = {"FederatedExecution", "SecureProcessingEnvironment", "SyntheticDataOnly"}
    if facts.access_level in ("non_public", "unknown") and not controlled & set(lab.access_modes):
        reasons.append("NON_PUBLIC and the lab only downloads")
    if facts.health_route and "SecureProcessingEnvironment" not in lab.access_modes:
        reasons.append("EHDS permit without a secure processing environment")
    return reasons


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, lab=labs, profile=profiles)
def test_never_may_offer_against_the_law_the_terms_or_the_lab(spec, lab, profile) -> None:
    offer = resolve(facts_of(spec), lab, TABLE, profile, now=NOW)
    if offer.verdict in (MAY_OFFER, CONDITIONS):
        assert _why_not(spec, lab, profile) == [], [r.text for r in offer.reasons]


@settings(max_examples=200, deadline=None)
@given(spec=specs, lab=labs, profile=profiles)
def test_unknown_terms_never_give_may_offer(spec, lab, profile) -> None:
    offer = resolve(facts_of(spec), lab, TABLE, profile, now=NOW)
    # a named health data access body links the dataset to the health data space
    no_space = spec.space is None and not spec.hdab
    unknown = spec.licence in ("unknown", "text") or not spec.rights or no_space
    if unknown and not (spec.hdab and spec.licence == "none"):
        assert offer.verdict != MAY_OFFER


@settings(max_examples=200, deadline=None)
@given(spec=specs, lab=labs, profile=profiles)
def test_an_ehds_prohibited_purpose_is_refused_at_every_lab(spec, lab, profile) -> None:
    facts = facts_of(spec)
    if profile and profile.purpose and profile.purpose.ehds_prohibited and facts.ehds_applies:
        assert resolve(facts, lab, TABLE, profile, now=NOW).verdict == MAY_NOT


def generated_corpus(n: int, seed: int = 7) -> tuple[str, list[str]]:
    """``n`` datasets drawn with a fixed seed (for the tests that need a real store)."""
    rnd = random.Random(seed)
    parts, iris = [], []
    for i in range(n):
        spec = Spec(
            rights=tuple(rnd.sample(["PUBLIC", "RESTRICTED", "NON_PUBLIC"], rnd.randint(0, 2))),
            licence=rnd.choice(sorted(LICENCES)),
            policy=rnd.choice(sorted(POLICIES)),
            space=rnd.choice([None, *SPACES]),
            tdm=rnd.random() < 0.2,
            hdab=rnd.random() < 0.2,
        )
        iri = f"https://ex.org/gen/{i}"
        iris.append(iri)
        parts.append(spec.turtle(iri).replace('dct:identifier "x"', f'dct:identifier "{i}"'))
    return "".join(parts), iris
