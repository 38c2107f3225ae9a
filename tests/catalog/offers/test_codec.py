"""The stored offers' JSON codec: lossless for every value facts, labs and offers hold, over
generated values and over the demo catalogue's real facts; a bad stored value is a
StoreError naming its table and key."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef

from catalog.db.schema import offer_labs, offer_resolutions, offer_terms
from catalog.demo import load_demo
from catalog.errors import StoreError
from catalog.facts import DatasetFacts
from catalog.facts.model import DataSpaceLink, HealthRoute
from catalog.facts.read import catalogue_facts
from catalog.labs import DataLab, list_labs, load_registry
from catalog.labs.model import ProcedureStep
from catalog.offers.codec import (
    CodecError,
    FactsReader,
    dumps,
    facts_json,
    loads,
    signature_key,
    terms_json,
)
from catalog.offers.follower import OffersFollower
from catalog.offers.licence_store import licence_table
from catalog.offers.odrl import Constraint, Policy, Rule
from catalog.offers.profiles import RequesterProfile
from catalog.offers.resolution import Offer, resolve
from catalog.offers.rules.state import Reason
from catalog.offers.stored import OfferStore
from catalog.service import Catalogue

# -- generated values ----------------------------------------------------------------------------
text = st.text(max_size=12)
texts = st.lists(text, max_size=3).map(tuple)
opt_text = st.none() | text
zones = st.none() | st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
iris = st.from_regex(r"https://ex\.org/[a-z0-9/#]{0,12}", fullmatch=True)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    text,
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(timezones=zones).map(lambda d: d.replace(fold=0)),
    st.times(timezones=zones).map(lambda t: t.replace(fold=0)),
    iris.map(URIRef),
    st.builds(Literal, text, lang=st.sampled_from(["en", "fr", "de-at"])),
    st.builds(Literal, text, datatype=st.just(URIRef("http://www.w3.org/2001/XMLSchema#string"))),
)
right_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(text, inner, max_size=3),
    ),
    max_leaves=6,
)
constraints = st.recursive(
    st.builds(
        Constraint,
        left=text,
        operator=st.sampled_from(["eq", "lt", "gteq", "isAnyOf"]),
        right=st.lists(right_values, max_size=3).map(tuple),
        unit=opt_text,
    ),
    lambda inner: st.builds(
        Constraint,
        logical=st.sampled_from(["and", "or", "xone", "andSequence"]),
        parts=st.lists(inner, max_size=3).map(tuple),
    ),
    max_leaves=4,
)
duties = st.builds(
    Rule,
    kind=st.just("duty"),
    actions=texts,
    constraints=st.lists(constraints, max_size=2).map(tuple),
)
rules = st.builds(
    Rule,
    kind=st.sampled_from(["permission", "prohibition"]),
    actions=texts,
    constraints=st.lists(constraints, max_size=2).map(tuple),
    duties=st.lists(duties, max_size=2).map(tuple),
)
policies = st.builds(
    Policy,
    uid=opt_text,
    type=st.sampled_from(["Set", "Offer", "Agreement"]),
    permissions=st.lists(rules, max_size=2).map(tuple),
    prohibitions=st.lists(rules, max_size=2).map(tuple),
    obligations=st.lists(duties, max_size=1).map(tuple),
)
facts_st = st.builds(
    DatasetFacts,
    dataset_id=text,
    iri=text,
    source=opt_text,
    access_values=texts,
    access_level=st.sampled_from(["public", "restricted", "non_public", "unknown"]),
    licences=texts,
    licence_texts=texts,
    policies=st.lists(policies, max_size=2).map(tuple),
    policy_errors=texts,
    data_spaces=st.lists(st.builds(DataSpaceLink, text, text), max_size=2).map(tuple),
    themes=texts,
    publisher=opt_text,
    publisher_name=opt_text,
    publisher_names=texts,
    health=st.none() | st.builds(HealthRoute, text, opt_text, opt_text, texts, texts),
    ehds_legislation=st.booleans(),
    personal_data=st.booleans(),
    tdm_reserved=st.booleans(),
    tdm_how=opt_text,
)
labs_st = st.builds(
    DataLab,
    id=text,
    factory=text,
    name=text,
    data_spaces=texts,
    access_modes=texts,
    eligible_org_types=texts,
    eligible_countries=texts,
    services=texts,
    sectors=texts,
    prohibited_purposes=texts,
    duties=texts,
    procedure=st.lists(
        st.builds(ProcedureStep, st.integers(), text, opt_text, opt_text), max_size=2
    ).map(tuple),
    lead_time_days=st.none() | st.integers(),
    fees=opt_text,
    processing_country=opt_text,
)
str_lists = st.lists(text, max_size=3)
offers_st = st.builds(
    Offer,
    dataset=text,
    lab=labs_st,
    verdict=text,
    reasons=st.lists(st.builds(Reason, text, text, text), max_size=3),
    permissions=str_lists,
    prohibitions=str_lists,
    duties=str_lists,
    constraints=str_lists,
    access_mode=opt_text,
    procedure=str_lists,
    route=text,
    requester_constraints=st.lists(constraints, max_size=2),
)


def same(a: object, b: object) -> None:
    """Equal, and equal in every detail ``==`` forgets (Decimal("1.10") vs "1.1", a tuple
    vs a list, an IRI vs a plain string, a time zone)."""
    assert a == b
    assert repr(a) == repr(b)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(facts_st)
def test_facts_round_trip(facts: DatasetFacts) -> None:
    text_ = facts_json(facts)
    json.loads(text_)  # plain JSON
    same(FactsReader()(text_, signature_key(facts.signature())), facts)
    same(FactsReader()(text_), facts)
    same(loads(dumps(facts), DatasetFacts), facts)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(offers_st)
def test_offers_and_labs_round_trip(offer: Offer) -> None:
    same(loads(dumps(offer), Offer), offer)
    same(loads(dumps(offer.lab), DataLab), offer.lab)


def test_equal_signatures_printed_apart_keep_keys_apart() -> None:
    """``1 == True`` and an hour in two time zones are equal; their signatures print apart
    and keep the keys the ``repr`` gives them, whichever is seen first."""

    def facts(*right: Any) -> DatasetFacts:
        rule = Rule("permission", ("use",), (Constraint("count", "lteq", right),))
        return DatasetFacts("d", "https://x/d", policies=(Policy(None, permissions=(rule,)),))

    utc = datetime(2025, 1, 1, 9, tzinfo=UTC)
    cet = datetime(2025, 1, 1, 10, tzinfo=timezone(timedelta(hours=1)))
    for a, b in ((facts(1), facts(True)), (facts(utc), facts(cet))):
        sa_, sb = a.signature(), b.signature()
        assert sa_ == sb and repr(sa_) != repr(sb)
        ka, kb = signature_key(sa_), signature_key(sb)
        assert ka != kb
        assert ka == hashlib.sha256(repr(sa_).encode()).hexdigest()
    plain = facts("https://w3id.org/dpv#AcademicResearch").signature()
    assert signature_key(plain) == signature_key(plain)
    assert signature_key(plain) == hashlib.sha256(repr(plain).encode()).hexdigest()


@given(st.lists(right_values, max_size=4).map(tuple))
def test_every_right_hand_value_keeps_its_type(right: tuple[Any, ...]) -> None:
    constraint = Constraint("dateTime", "lt", right)
    back = loads(dumps(constraint), Constraint)
    same(back, constraint)
    assert [type(v) for v in back.right] == [type(v) for v in right]


def test_the_type_tags_are_explicit() -> None:
    right = (
        Decimal("0.10"),
        1.5,
        URIRef("https://ex.org/a"),
        Literal("chat", lang="fr"),
        float("inf"),
        "2025-01-01",  # a string that looks like a date stays a string
    )
    stored = json.loads(dumps(Constraint("count", "lteq", right)))
    assert stored["right"] == [
        {"$decimal": "0.10"},
        {"$float": "1.5"},
        {"$iri": "https://ex.org/a"},
        {"$literal": ["chat", "fr", None]},
        {"$float": "inf"},
        "2025-01-01",
    ]
    back = loads(dumps(Constraint("count", "lteq", (float("nan"),))), Constraint)
    assert math.isnan(back.right[0])


def test_datasets_of_equal_terms_share_their_terms_text() -> None:
    policy = Policy("p", permissions=(Rule("permission", ("use",)),))
    a = DatasetFacts("a", "https://ex.org/a", policies=(policy,), licences=("https://l",))
    b = DatasetFacts("b", "https://ex.org/b", policies=(policy,), licences=("https://l",))
    assert terms_json(a) == terms_json(b)
    assert facts_json(b, terms_json(a)) == facts_json(b)
    reader = FactsReader()
    key = signature_key(a.signature())
    same(reader(facts_json(a), key), a)
    same(reader(facts_json(b), key), b)


@pytest.mark.parametrize(
    "bad",
    [
        "{not json",
        '{"dataset_id": "a", "iri": "x"}',  # no terms
        '{"dataset_id": "a", "iri": "x", "terms": {"pickle": 1}}',
        '{"dataset_id": 3, "iri": "x", "terms": {}}',
        '{"dataset_id": "a", "iri": "x", "terms": {"policies": [{"uid": {"$exec": "x"}}]}}',
    ],
)
def test_what_is_not_a_stored_value_is_refused(bad: str) -> None:
    with pytest.raises(CodecError):
        FactsReader()(bad)


def test_values_outside_the_classes_are_not_stored() -> None:
    with pytest.raises(StoreError):
        dumps(object())
    with pytest.raises(StoreError):
        dumps(Constraint("x", "eq", (object(),)))


# -- the demo catalogue's real facts, every dataset and every lab ---------------------------------
@pytest.fixture
def demo(catalogue: Catalogue) -> Catalogue:
    load_demo(catalogue)
    load_registry(catalogue)
    return catalogue


def test_the_demo_catalogue_round_trips(demo: Catalogue) -> None:
    labs = list_labs(demo)
    table = licence_table(demo.documents)
    profile = RequesterProfile.parse("SME", "DE", "commercial-ai-training")
    every = list(catalogue_facts(demo))
    assert every and labs
    reader = FactsReader()
    for facts in every:
        same(reader(facts_json(facts), signature_key(facts.signature())), facts)
        for lab in labs:
            for offer in (resolve(facts, lab, table), resolve(facts, lab, table, profile)):
                same(loads(dumps(offer), Offer), offer)
    for lab in labs:
        same(loads(dumps(lab), DataLab), lab)


def test_the_stored_rows_are_json_and_read_back_equal(demo: Catalogue) -> None:
    OffersFollower(demo).catch_up()
    store = OfferStore(demo.database)
    with demo.database.read() as conn:
        for table, column in ((offer_terms, "facts"), (offer_resolutions, "offer")):
            for value in conn.execute(sa.select(table.c[column])).scalars():
                assert isinstance(json.loads(value), dict)
        for value in conn.execute(sa.select(offer_labs.c.lab)).scalars():
            assert isinstance(json.loads(value), dict)
    stored = store.all_terms()
    assert stored == {f.dataset_id: f for f in catalogue_facts(demo)}


def test_a_stored_offer_holds_its_lab_once_in_the_labs_row(demo: Catalogue) -> None:
    """An offer's row leaves its lab to ``offer_labs`` (one row per lab, not one copy per
    offer) and reads back equal to the resolution; a row written with its lab in it (as
    stored before) reads the same; a row whose lab is not stored names itself."""
    OffersFollower(demo).catch_up()
    store = OfferStore(demo.database)
    labs = {lab.id: lab for lab in list_labs(demo)}
    table = licence_table(demo.documents)
    every = {f.dataset_id: f for f in catalogue_facts(demo)}
    ident = sorted(every)[0]
    with demo.database.read() as conn:
        rows = list(conn.execute(sa.select(offer_resolutions)))
    assert rows and all("lab" not in json.loads(r.offer) for r in rows)
    found = store.dataset(ident)
    assert found is not None
    for offer in found[1]:
        same(offer, replace(resolve(every[ident], labs[offer.lab.id], table), dataset=ident))

    sig, lab_id = rows[0].signature, rows[0].lab_id
    before = store.read_offer(sig, lab_id, rows[0].offer, labs[lab_id])
    with demo.database.transaction() as conn:  # as written before: the lab in the text
        conn.execute(
            offer_resolutions.update()
            .where(offer_resolutions.c.signature == sig, offer_resolutions.c.lab_id == lab_id)
            .values(offer=dumps(before))
        )
    snapshot = store.snapshot()
    assert snapshot is not None
    same(snapshot.resolutions[sig][lab_id], before)
    with demo.database.transaction() as conn:
        conn.execute(offer_labs.delete().where(offer_labs.c.lab_id != lab_id))
    with pytest.raises(StoreError) as caught:
        store.snapshot()
    assert "offer_resolutions" in str(caught.value) and "lab not stored" in str(caught.value)


def test_a_stored_value_that_does_not_decode_names_its_table_and_key(demo: Catalogue) -> None:
    OffersFollower(demo).catch_up()
    store = OfferStore(demo.database)
    ident = sorted(store.all_terms())[0]
    with demo.database.transaction() as conn:
        conn.execute(
            offer_terms.update().where(offer_terms.c.dataset_id == ident).values(facts="{oops")
        )
        conn.execute(offer_labs.update().values(lab='{"id": "x", "$class": "os.system"}'))
    with pytest.raises(StoreError) as caught:
        store.terms([ident])
    assert "offer_terms" in str(caught.value) and ident in str(caught.value)
    with pytest.raises(StoreError) as lab_error:
        store.labs()
    assert "offer_labs" in str(lab_error.value)
