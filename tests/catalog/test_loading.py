"""Loading semantics: upsert, replace, delete, identity, and nothing lost on failure."""

from __future__ import annotations

import pytest

from catalog.errors import DatasetNotFound, InvalidInput, ParseError
from catalog.ids import dataset_id, is_dataset_id
from catalog.service import Catalogue

PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ex: <https://data.example.org/> .
"""


def dataset(name: str, title: str = "A title", extra: str = "") -> str:
    return (
        f'ex:{name} a dcat:Dataset ; dct:title "{title}"@en ; '
        f"dcat:distribution ex:{name}-csv {extra} .\n"
        f"ex:{name}-csv a dcat:Distribution ; "
        f"dcat:accessURL <https://data.example.org/{name}.csv> .\n"
    )


def ttl(*parts: str) -> bytes:
    return (PREFIXES + "".join(parts)).encode()


def titles(cat: Catalogue) -> dict[str, str]:
    return {item.iri.rsplit("/", 1)[1]: item.titles.get("en", "") for item in cat.datasets().items}


def test_ids_are_stable_url_safe_and_case_insensitive_in_scheme_and_host() -> None:
    iri = "https://Data.Example.org/dataset/Hospital Stays?x=1"
    assert dataset_id(iri) == dataset_id("HTTPS://data.example.org/dataset/Hospital Stays?x=1")
    assert is_dataset_id(dataset_id(iri))
    assert dataset_id(iri) != dataset_id("https://data.example.org/dataset/hospital stays?x=1")


def test_upsert_keeps_other_datasets_and_replaces_the_record(catalogue: Catalogue) -> None:
    catalogue.load(ttl(dataset("a", "Old A"), dataset("b", "B")), fmt="turtle")
    catalogue.load(ttl(dataset("a", "New A")), fmt="turtle")
    assert titles(catalogue) == {"a": "New A", "b": "B"}
    record = catalogue.get(dataset_id("https://data.example.org/a"))
    assert sum(1 for t in record.triples if t.predicate.value.endswith("/title")) == 1


def test_replace_swaps_the_whole_source(catalogue: Catalogue) -> None:
    catalogue.load(ttl(dataset("a"), dataset("b")), fmt="turtle", source="portal", replace=True)
    catalogue.load(ttl(dataset("c")), fmt="turtle", source="portal", replace=True)
    assert set(titles(catalogue)) == {"c"}


def test_delete_removes_the_record_and_its_distributions(catalogue: Catalogue) -> None:
    catalogue.load(ttl(dataset("a"), dataset("b")), fmt="turtle")
    ident = dataset_id("https://data.example.org/a")
    catalogue.delete(ident)
    with pytest.raises(DatasetNotFound):
        catalogue.get(ident)
    exported = catalogue.export("ntriples").decode()
    assert "https://data.example.org/a-csv" not in exported
    assert "https://data.example.org/b-csv" in exported


def test_a_broken_document_changes_nothing(catalogue: Catalogue) -> None:
    catalogue.load(ttl(dataset("a")), fmt="turtle", source="portal", replace=True)
    before = catalogue.export("ntriples")
    with pytest.raises(ParseError):
        catalogue.load(
            ttl(dataset("b"), "ex:c a dcat:Dataset ; dct:title "),
            fmt="turtle",
            source="portal",
            replace=True,
        )
    assert catalogue.export("ntriples") == before
    graphs = catalogue.store.named_graphs()
    assert len([g for g in graphs if g.startswith("urn:datalab:graph:portal:")]) == 1


def test_an_empty_document_never_wipes_a_source(catalogue: Catalogue) -> None:
    catalogue.load(ttl(dataset("a")), fmt="turtle", source="portal", replace=True)
    with pytest.raises(InvalidInput, match="no RDF triples"):
        catalogue.load(b"", fmt="turtle", source="portal", replace=True)
    assert set(titles(catalogue)) == {"a"}


def test_a_dataset_claiming_another_sources_iri_is_refused(catalogue: Catalogue) -> None:
    catalogue.load(ttl(dataset("a", "Original")), fmt="turtle", source="first", replace=True)
    report = catalogue.load(
        ttl(dataset("a", "Hijack"), dataset("z")), fmt="turtle", source="second", replace=True
    )
    assert [e.record for e in report.errors] == ["https://data.example.org/a"]
    assert "first" in report.errors[0].message
    assert titles(catalogue) == {"a": "Original", "z": "A title"}


def test_statements_about_another_sources_distribution_are_refused_once(
    catalogue: Catalogue,
) -> None:
    """The document's subjects are the ones its loader saw (no scan of the new graph):
    a statement about a node another source's record owns is still found and dropped, and
    a refused record's own nodes are not reported a second time."""
    catalogue.load(ttl(dataset("a", "Original")), fmt="turtle", source="first", replace=True)
    report = catalogue.load(
        ttl(dataset("a", "Hijack"), dataset("z"), 'ex:a-csv dct:title "Hijacked file" .\n'),
        fmt="turtle",
        source="second",
        replace=True,
    )
    assert [e.record for e in report.errors] == ["https://data.example.org/a"]
    report = catalogue.load(
        ttl(dataset("z"), 'ex:a-csv dct:title "Hijacked file" .\n'),
        fmt="turtle",
        source="second",
        replace=True,
    )
    assert [e.record for e in report.errors] == ["https://data.example.org/a-csv"]
    assert "belongs to a record of source 'first'" in report.errors[0].message
    rows = catalogue.store.select(
        'SELECT ?g WHERE { GRAPH ?g { ?s <http://purl.org/dc/terms/title> "Hijacked file" } }'
    )
    assert rows == []
    assert titles(catalogue) == {"a": "Original", "z": "A title"}


def test_blank_node_datasets_get_a_stable_id_from_their_identifier(catalogue: Catalogue) -> None:
    doc = ttl(
        '[] a dcat:Dataset ; dct:identifier "stays-1" ; dct:title "Hospital stays"@en .\n'
        '[] a dcat:Dataset ; dct:title "No identity"@en .\n'
    )
    first = catalogue.load(doc, fmt="turtle", source="bn", replace=True)
    second = catalogue.load(doc, fmt="turtle", source="bn", replace=True)
    assert first.dataset_ids == second.dataset_ids and len(first.dataset_ids) == 1
    assert len(second.errors) == 1 and "dct:identifier" in second.errors[0].message
    assert catalogue.count("bn") == 1


def test_duplicate_identifiers_and_many_distributions(catalogue: Catalogue) -> None:
    dists = " , ".join(f"ex:d{i}" for i in range(1000))
    doc = ttl(
        f'ex:a a dcat:Dataset ; dct:identifier "same" ; dcat:distribution {dists} .\n',
        'ex:b a dcat:Dataset ; dct:identifier "same" .\n',
        *(
            f"ex:d{i} a dcat:Distribution ; dcat:accessURL <https://x.example/{i}> .\n"
            for i in range(1000)
        ),
    )
    report = catalogue.load(doc, fmt="turtle")
    assert len(set(report.dataset_ids)) == 2
    record = catalogue.get(dataset_id("https://data.example.org/a"))
    assert len({t.subject.value for t in record.triples}) >= 1001


def test_paging_visits_every_dataset_once(catalogue: Catalogue) -> None:
    catalogue.load(ttl(*(dataset(f"n{i}") for i in range(23))), fmt="turtle")
    seen: list[str] = []
    cursor = None
    while True:
        page = catalogue.datasets(cursor=cursor, limit=5)
        seen.extend(item.id for item in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == 23 and len(set(seen)) == 23 and seen == sorted(seen)


def test_export_restores_blank_nodes_and_hides_internal_annotations(catalogue: Catalogue) -> None:
    catalogue.load(
        ttl('ex:a a dcat:Dataset ; dcat:contactPoint [ dct:title "Desk" ] .'), fmt="turtle"
    )
    exported = catalogue.export("ntriples").decode()
    assert "_:" in exported
    assert "urn:datalab" not in exported and "datasetId" not in exported


def test_upserts_and_deletes_change_the_current_version_in_place(catalogue: Catalogue) -> None:
    catalogue.load(
        ttl(*(dataset(f"n{i}") for i in range(50))), fmt="turtle", source="big", replace=True
    )
    version = catalogue.graphs.current("big")
    catalogue.load(ttl(dataset("n3", "Renamed")), fmt="turtle", source="big")
    catalogue.delete(dataset_id("https://data.example.org/n4"))
    assert catalogue.graphs.current("big") == version, "an upsert must not copy the source"
    assert catalogue.count("big") == 49
    assert titles(catalogue)["n3"] == "Renamed"


def test_upserting_a_blank_node_dataset_twice_keeps_one_record(catalogue: Catalogue) -> None:
    doc = ttl('[] a dcat:Dataset ; dct:identifier "stays-1" ; dct:title "Hospital stays"@en .\n')
    catalogue.load(doc, fmt="turtle", source="bn")
    catalogue.load(doc, fmt="turtle", source="bn")
    assert catalogue.count("bn") == 1
    exported = catalogue.export("ntriples", source="bn").decode()
    assert exported.count("Hospital stays") == 1


def test_a_document_broken_after_many_triples_leaves_no_partial_graph(
    catalogue: Catalogue,
) -> None:
    good = "".join(dataset(f"n{i}") for i in range(12_000))  # > one store batch of triples
    with pytest.raises(ParseError):
        catalogue.load(
            ttl(good, "ex:broken a dcat:Dataset ; dct:title "),
            fmt="turtle",
            source="half",
            replace=True,
        )
    assert not [g for g in catalogue.store.named_graphs() if ":half:" in g]
