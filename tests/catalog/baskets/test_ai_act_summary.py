"""The draft AI Act summary for a basket of demo datasets: every section and field of the
template, in order; filled values traced to the records; unknowns marked for the provider;
the Markdown renders and the PDF reads back."""

from __future__ import annotations

import io

from markdown_it import MarkdownIt
from pypdf import PdfReader

from api.auth import Principal
from catalog.baskets.ai_act_summary import TO_COMPLETE, summary_document
from catalog.baskets.summary_formats import to_markdown, to_pdf
from tests.catalog.baskets.conftest import Demo

DEV = Principal("dev")
#: The template's sections and, per section, its fields, in order.
TEMPLATE = [
    ("1", "General information", []),
    ("1.1", "Provider identification", ["provider", "authorised_representative"]),
    ("1.2", "Model identification", ["model_name", "model_dependencies", "placed_on_market"]),
    ("1.3", "Modalities, overall training data size and other characteristics", None),
    ("2", "List of data sources", []),
    ("2.1", "Publicly available datasets", ["public_datasets"]),
    ("2.2", "Private non-publicly available datasets obtained from third parties", []),
    (
        "2.2.1",
        "Datasets licensed from rightholders or their representatives",
        ["licensed_datasets"],
    ),
    ("2.2.2", "Private datasets obtained from other third parties", ["other_private_datasets"]),
    (
        "2.3",
        "Data crawled and scraped from online sources",
        ["crawlers", "crawl_period", "crawl_content"],
    ),
    ("2.4", "User data", ["user_data"]),
    ("2.5", "Synthetic data", ["synthetic_datasets"]),
    ("2.6", "Other sources of data", ["other_sources"]),
    ("3", "Data processing aspects", []),
    (
        "3.1",
        "Respect of reservation of rights from the text and data mining exception or limitation",
        ["tdm_reservations", "tdm_measures"],
    ),
    ("3.2", "Removal of illegal content", ["illegal_content"]),
    ("3.3", "Other information", ["processing_conditions"]),
]  # fmt: skip
DATASETS = (
    "news-monolingual-fr",
    "social-science-fulltexts",
    "synthetic-ehr-fhir",
    "white-stork-migration",
)


def _walk(sections):
    for s in sections:
        yield s
        yield from _walk(s["subsections"])


def _doc(demo: Demo):
    basket = demo.baskets.create(
        DEV,
        {
            "name": "Summary basket",
            "datasets": [demo[d] for d in DATASETS],
            "profile": {"org_type": "research", "country": "DE", "purpose": "academic-research"},
            "model": {"name": "Demo-LM", "modalities": ["text"], "general_purpose": True},
        },
    )
    found = demo.baskets.answer(DEV, basket.id)
    return found, summary_document(found)


def test_every_section_and_field_in_the_templates_order(demo: Demo) -> None:
    _, doc = _doc(demo)
    sections = list(_walk(doc["sections"]))
    assert [(s["number"], s["title"]) for s in sections] == [(n, t) for n, t, _ in TEMPLATE]
    for s, (_, _, fields) in zip(sections, TEMPLATE, strict=True):
        keys = [f["key"] for f in s["fields"]]
        if fields is None:  # 1.3: modalities, a size and content per modality, then the rest
            assert keys[0] == "modalities"
            assert keys[-4:] == [
                "period",
                "latest_collection",
                "languages",
                "other_characteristics",
            ]
            assert "size_text" in keys and "content_text" in keys
        else:
            assert keys == fields


def test_filled_values_are_traced_to_the_records_and_unknowns_marked(demo: Demo) -> None:
    found, doc = _doc(demo)
    items = {i.dataset_id: i for i in found.gathered.found()}
    fields = {f["key"]: f for s in _walk(doc["sections"]) for f in s["fields"]}
    for f in fields.values():
        if f["origin"] == "records":
            assert f["sources"] and set(f["sources"]) <= set(items), f["key"]
        else:
            assert f["to_be_completed_by_provider"], f["key"]
    for key in ("provider", "model_dependencies", "crawlers", "user_data", "illegal_content"):
        assert (
            fields[key]["value"] == "" and fields[key]["to_be_completed_by_provider"] == TO_COMPLETE
        )
    # languages: exactly the records' dct:language codes, each from a listed record
    langs = fields["languages"]
    for d in langs["sources"]:
        record = items[d].record
        assert record is not None
        for iri in record.language:
            assert iri.rsplit("/", 1)[-1] in langs["value"]
    # 2.1 lists the PUBLIC records; 2.2.2 those obtained under a health data permit (an
    # access body, not the rightholder, grants them); 2.2.1 the other non-public ones
    public = {d for d, i in items.items() if i.facts and i.facts.access_level == "public"}
    permit = {d for d, i in items.items() if i.facts and i.facts.health_route}
    assert set(fields["public_datasets"]["sources"]) == public
    assert set(fields["other_private_datasets"]["sources"]) == permit
    assert set(fields["licensed_datasets"]["sources"]) == set(items) - public - permit
    # 2.5: the record typed SYNTHETIC_DATA
    assert fields["synthetic_datasets"]["sources"] == [demo["synthetic-ehr-fhir"]]
    # 3.1: the TDM reservation the social-science record states, and only that one
    assert fields["tdm_reservations"]["sources"] == [demo["social-science-fulltexts"]]
    assert "text and data mining" in fields["tdm_reservations"]["value"]
    # the period spans the records' temporal coverage
    starts = [
        p.start_date.lexical[:10]
        for d in fields["period"]["sources"]
        for p in items[d].record.temporal  # type: ignore[union-attr]
        if p.start_date is not None
    ]
    assert fields["period"]["value"].startswith(min(starts))
    # the model's name comes from the basket, its version is the provider's to give
    assert fields["model_name"]["origin"] == "basket" and fields["model_name"]["value"] == "Demo-LM"
    assert fields["model_name"]["to_be_completed_by_provider"] == TO_COMPLETE


def test_the_markdown_renders_and_the_pdf_reads_back(demo: Demo) -> None:
    _, doc = _doc(demo)
    md = to_markdown(doc)
    tokens = MarkdownIt().parse(md)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[1:] == [f"{n}. {t}" for n, t, _ in TEMPLATE]
    html = MarkdownIt().render(md)
    assert "<h2>2. List of data sources</h2>" in html and "<em>To be completed" in html
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(to_pdf(doc))).pages)
    flat = " ".join(text.split())
    for n, t, _ in TEMPLATE:
        assert " ".join(f"{n}. {t}".split()) in flat, t
    assert "Éditions ouvertes de démonstration" in flat  # the records' letters survive
