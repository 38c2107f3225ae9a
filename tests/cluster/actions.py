"""What the cluster tests do through a replica, as a user would: sign in to the web pages,
save a steward's dataset, read search hits, build documents and samples."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from catalog.ids import dataset_id
from tests.cluster.cluster import Replica

EU = "http://publications.europa.eu/resource/authority/"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PREFIXES = (
    "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
)


class Browser:
    """A browser signed in to the web pages of one replica (its session cookie, whose
    session row is in the shared database, may be handed to another replica)."""

    def __init__(self, replica: Replica, cookies: httpx.Cookies | None = None) -> None:
        self.client = httpx.Client(
            base_url=replica.url, timeout=60.0, trust_env=False, cookies=cookies
        )

    def sign_in(self, user: str, token: str) -> None:
        self.client.get("/ui/login")
        csrf = self.client.cookies["datalab_csrf"]
        answer = self.client.post(
            "/ui/login", data={"user": user, "token": token, "csrf": csrf, "next": "/ui/steward"}
        )
        assert answer.status_code == 303, answer.text[:500]

    def csrf(self) -> str:
        page = self.client.get("/ui/steward")
        assert page.status_code == 200, page.text[:500]
        found = _CSRF.search(page.text)
        assert found, "the steward page has no form token"
        return found.group(1)

    def save(self, document: str) -> httpx.Response:
        """Save a Turtle document from the steward page (201 when stored)."""
        form = {"csrf": self.csrf(), "document": document, "format": "turtle"}
        return self.client.post("/ui/steward/save", data=form)

    def close(self) -> None:
        self.client.close()


def steward_dataset(iri: str, title: str, organisation: str, *, health: bool = False) -> str:
    """A steward's dataset, published by their organisation, public; with ``health``, on
    the theme HEAL (so in the health data space) with a CC BY 4.0 distribution, which the
    labs linked to that space may offer."""
    extra = ""
    if health:
        extra = (
            f" ; dcat:theme <{EU}data-theme/HEAL> ; dcat:distribution <{iri}/csv> .\n"
            f"<{iri}/csv> a dcat:Distribution ; dct:license <{EU}licence/CC_BY_4_0> ; "
            "dcat:accessURL <https://data.example.org/probe.csv>"
        )
    return PREFIXES + (
        f'<{iri}> a dcat:Dataset ; dct:title "{title}"@en ; '
        f'dct:description "A dataset the cluster test edits: {title}."@en ; '
        f"dct:publisher <{organisation}> ; dct:accessRights <{EU}access-right/PUBLIC>"
        f"{extra} .\n"
    )


def race_document(side: str, round_: int, size: int) -> tuple[str, dict[str, str]]:
    """A whole source for a replace-load: ``size`` datasets of this side, titled with the
    round; returns the Turtle and each dataset's id → title."""
    titles: dict[str, str] = {}
    lines = [PREFIXES]
    for i in range(size):
        iri = f"https://race.example.org/{side}/{i}"
        title = f"race {side} {i} round{round_}"
        titles[dataset_id(iri)] = title
        lines.append(
            f'<{iri}> a dcat:Dataset ; dct:title "{title}"@en ; '
            f'dct:description "Dataset {i} of side {side}, round {round_}."@en ; '
            f'dcat:keyword "side{side}", "round{round_}" .\n'
        )
    return "".join(lines), titles


def parquet(rows: int, label: str) -> bytes:
    table = pa.table({"id": list(range(rows)), "label": [f"{label} {i}" for i in range(rows)]})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def hits(replica: Replica, q: str, **params: Any) -> set[str]:
    """The dataset ids a search on ``replica`` finds (first page of 100)."""
    answer = replica.client.get("/search", params={"q": q, "limit": 100, **params})
    assert answer.status_code == 200, answer.text[:500]
    return {hit["id"] for hit in answer.json()["items"]}


def source_titles(replica: Replica, source: str) -> dict[str, str | None]:
    """Every dataset of ``source`` on ``replica`` (id → title), following ``next``."""
    out: dict[str, str | None] = {}
    url: str | None = "/datasets"
    params: dict[str, Any] | None = {"source": source, "limit": 1000}
    while url:
        answer = replica.client.get(url, params=params)
        assert answer.status_code == 200, answer.text[:500]
        body = answer.json()
        out.update({item["id"]: item["title"] for item in body["items"]})
        url, params = body["next"], None
    return out
