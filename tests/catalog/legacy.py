"""Records written before record ownership was enforced, which tests still must handle."""

from __future__ import annotations

import pytest

from catalog.service import Catalogue

DCT_ACCESS = "http://purl.org/dc/terms/accessRights"
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"


def second_record(cat: Catalogue, dataset_id: str) -> None:
    """A public record under ``dataset_id`` in a source ``legacy`` of its own, beside the
    record that holds the id already: two records under one id."""
    cat.load(
        b"@prefix dcat: <http://www.w3.org/ns/dcat#> . <https://legacy.example/x> a dcat:Dataset .",
        fmt="turtle",
        source="legacy",
    )
    graph = cat.graphs.current("legacy")
    cat.store.update(  # written in place, as before ownership was enforced
        f"INSERT DATA {{ GRAPH <{graph}> {{ <https://legacy.example/y> "
        "a <http://www.w3.org/ns/dcat#Dataset> ; "
        f'<https://w3id.org/datalab/ns#datasetId> "{dataset_id}" ; '
        f"<{DCT_ACCESS}> <{PUBLIC}> }} }}"
    )


def held_twice_lookups(cat: Catalogue, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries by which ``cat``'s store is asked which ids records hold twice (a
    ``GROUP BY ... HAVING``: :func:`catalog.records.held_twice`), from now on."""
    lookups: list[str] = []
    select = cat.store.select

    def counted(query: str, *args: object, **kwargs: object) -> object:
        if "HAVING" in query:
            lookups.append(query)
        return select(query, *args, **kwargs)

    monkeypatch.setattr(cat.store, "select", counted)
    return lookups
