"""Hypothesis: generated datasets survive to_graph/from_graph and a trip through Turtle."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode

from catalog.model import (
    ContactPoint,
    Dataset,
    Distribution,
    LangText,
    LicenseDocument,
    Location,
    PeriodOfTime,
    TypedValue,
    new_graph,
)
from catalog.namespaces import DCAT, RDF, XSD
from catalog.rdf_bridge import to_rdflib_graph
from catalog.rdf_input import ParseLimits, format_from_name, iter_triples
from tests.catalog.model.model_helpers import missing_triples

LANGS = ["", "en", "de", "fr", "el", "ga", "pt-br", "sr-latn", "zh-hant-tw"]
# Any Unicode scalar value: surrogates cannot be encoded, everything else must survive.
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40)
SLUG = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
IRIS = SLUG.map(lambda s: f"https://data.example.eu/id/{s}")
LANG_TEXT = st.dictionaries(st.sampled_from(LANGS), st.lists(TEXT, min_size=1, max_size=3)).map(
    LangText
)
DATES = st.one_of(
    st.dates(min_value=dt.date(1000, 1, 1)),
    st.datetimes(min_value=dt.datetime(1000, 1, 1), timezones=st.just(dt.UTC)),
    st.datetimes(min_value=dt.datetime(1000, 1, 1)),
)


@st.composite
def distributions(draw: st.DrawFn) -> Distribution:
    return Distribution(
        iri=draw(st.none() | IRIS.map(lambda i: i + "/dist")),
        title=draw(LANG_TEXT),
        access_url=draw(st.lists(IRIS, min_size=1, max_size=2)),
        download_url=draw(st.lists(IRIS, max_size=2)),
        format=draw(st.none() | IRIS | TEXT.map(TypedValue)),
        byte_size=draw(st.none() | st.integers(min_value=0, max_value=10**15)),
        # a licence is a node of its own: its IRI never names the dataset described
        license=draw(st.none() | IRIS.map(lambda i: LicenseDocument(iri=i + "/licence"))),
        issued=draw(st.none() | DATES),
    )


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    dists = draw(st.lists(distributions(), max_size=3, unique_by=lambda d: d.iri or id(d)))
    return Dataset(
        iri=draw(st.none() | IRIS),
        title=draw(LANG_TEXT),
        description=draw(LANG_TEXT),
        keyword=draw(LANG_TEXT),
        theme=draw(st.lists(IRIS, max_size=3)),
        issued=draw(st.none() | DATES),
        modified=draw(st.none() | DATES),
        distribution=dists,
        temporal=draw(
            st.lists(
                st.builds(PeriodOfTime, start_date=st.none() | DATES, end_date=st.none() | DATES),
                max_size=2,
            )
        ),
        spatial=draw(
            st.lists(
                st.builds(
                    Location,
                    centroid=st.just(
                        [
                            TypedValue(
                                "POINT(4.35 50.85)",
                                "http://www.opengis.net/ont/geosparql#wktLiteral",
                            )
                        ]
                    ),
                ),
                max_size=1,
            )
        ),
        contact_point=draw(
            st.lists(st.builds(ContactPoint, fn=LANG_TEXT, has_email=st.lists(IRIS)), max_size=2)
        ),
        spatial_resolution_in_meters=draw(
            st.lists(st.decimals(min_value=0, max_value=10**6, places=2), max_size=1)
        ),
    )


def _dataset_node(graph, model: Dataset):
    (node,) = graph.subjects(RDF.type, DCAT.Dataset)
    assert (model.iri is None) == isinstance(node, BNode)
    return node


@settings(max_examples=150, deadline=None)
@given(datasets())
def test_generated_datasets_round_trip_through_the_graph(dataset: Dataset) -> None:
    graph = new_graph()
    node = dataset.add_to(graph)
    assert Dataset.from_graph(graph, node) == dataset
    assert not missing_triples(dataset.to_graph(), graph)
    body = dataset.to_dict()
    assert json.loads(json.dumps(body)) == body
    assert body.get("title", {}) == dataset.title.to_dict()


@settings(max_examples=150, deadline=None)
@given(datasets())
def test_generated_datasets_round_trip_through_turtle(dataset: Dataset) -> None:
    turtle = dataset.to_graph().serialize(format="turtle", encoding="utf-8")
    graph = to_rdflib_graph(iter_triples(turtle, format_from_name("ttl"), ParseLimits()))
    assert Dataset.from_graph(graph, _dataset_node(graph, dataset)) == dataset


@settings(max_examples=100, deadline=None)
@given(datasets(), st.lists(st.sampled_from([*LANGS, "it", "*"]), max_size=4))
def test_title_for_always_answers_when_there_is_a_title(dataset: Dataset, langs) -> None:
    title = dataset.title_for(langs)
    if dataset.title:
        assert title in {text for _, text in dataset.title.pairs()}
    else:
        assert title is None


def test_a_date_is_written_as_xsd_date() -> None:
    dataset = Dataset(iri="https://data.example.eu/id/x", issued=dt.date(2024, 2, 29))
    assert dataset.issued == TypedValue("2024-02-29", str(XSD.date))
    assert dataset.to_dict()["issued"] == "2024-02-29"
