"""Synthetic previews over the API: off until the dataset's steward turns them on, never for
a dataset whose terms forbid derived data (refused when switching, refused when serving even
if the switch says on), always marked synthetic, and never a real row to a caller without a
grant. Records are written as stewards' scripts do (``POST /datasets``), samples uploaded as
Parquet, against the real app."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.ids import dataset_id
from catalog.settings import Settings

AR = "http://publications.europa.eu/resource/authority/access-right/"
BY = "https://creativecommons.org/licenses/by/4.0/"
BY_ND = "https://creativecommons.org/licenses/by-nd/4.0/"
DOC = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
<{iri}> a dcat:Dataset ; dct:title "Clinic visits {n}"@en ;
  dct:description "Visits to a clinic, one row per visit."@en ;
  dct:publisher <https://clinic.example.org/org> ;
  dct:accessRights <{AR}{access}> {extra} .
<https://clinic.example.org/org> a foaf:Agent ; foaf:name "Org A" .
"""
TURTLE = {"Content-Type": "text/turtle"}
PARQUET = {"Content-Type": "application/vnd.apache.parquet"}
SECRET = "patient-0000-unique"
N = 300


def visits() -> pa.Table:
    """Unique rows (the patient id), frequent wards, a rare ward, ages, a unique secret."""
    wards = ["cardiology", "oncology", "paediatrics"]
    return pa.table(
        {
            "patient": [f"patient-{i:04d}-unique" for i in range(N)],
            "ward": [wards[i % 3] if i % 50 else "rare-ward" for i in range(N)],
            "age": pa.array([18 + (i * 7) % 70 for i in range(N)], pa.int64()),
        }
    )


def parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with Database.open(settings) as database:
        accounts = Accounts(database)
        for name, role, org in (
            ("stew-a", "steward", "Org A"),
            ("stew-b", "steward", "Org B"),
            ("dev", "developer", None),
            ("admin", "admin", None),
        ):
            accounts.add_user(name, role, org)
        keys = {n: accounts.issue_token(n) for n in ("stew-a", "stew-b", "dev", "admin")}
    with TestClient(create_app(settings)) as c:
        c.as_user = lambda n: {"Authorization": f"Bearer {keys[n]}"}  # type: ignore[attr-defined]
        yield c


def publish(
    client: TestClient, n: int, *, access: str = "RESTRICTED", extra: str = "", method: str = "post"
) -> str:
    """A steward's record (with a sample) of Org A; its dataset id."""
    iri = f"https://clinic.example.org/ds/visits-{n}"
    a = client.as_user("stew-a")  # type: ignore[attr-defined]
    body = DOC.format(iri=iri, n=n, AR=AR, access=access, extra=extra)
    ident = dataset_id(iri)
    if method == "post":
        made = client.post("/datasets", content=body, headers=a | TURTLE)
        assert made.status_code == 201, made.text
        up = client.put(f"/datasets/{ident}/sample", content=parquet(visits()), headers=a | PARQUET)
        assert up.status_code == 201, up.text
    else:
        done = client.put(f"/datasets/{ident}", content=body, headers=a | TURTLE)
        assert done.status_code == 200, done.text
    return ident


def switch(client: TestClient, ident: str, user: str | None, **body: object):
    headers = client.as_user(user) if user else {}  # type: ignore[attr-defined]
    return client.put(f"/datasets/{ident}/sample/synthetic-preview", json=body, headers=headers)


def preview(client: TestClient, ident: str, user: str | None = "dev", **params: object):
    headers = client.as_user(user) if user else {}  # type: ignore[attr-defined]
    return client.get(f"/datasets/{ident}/sample/synthetic", params=params, headers=headers)


def test_off_until_the_steward_turns_it_on_then_marked_synthetic(client: TestClient) -> None:
    ident = publish(client, 1, extra=f"; dct:license <{BY}>")
    # off by default
    status = client.get(f"/datasets/{ident}/sample/synthetic-preview").json()
    assert status["enabled"] is False and status["served"] is False
    assert status["terms"]["allowed"] is True and status["min_count"] == 10
    off = preview(client, ident)
    assert off.status_code == 404
    assert off.json()["error"]["code"] == "synthetic_preview_not_offered"
    # only a steward who may change the record, or an admin, may switch it
    assert switch(client, ident, None, enabled=True).status_code == 401
    assert switch(client, ident, "dev", enabled=True).status_code == 403
    assert switch(client, ident, "stew-b", enabled=True).status_code == 403
    on = switch(client, ident, "stew-a", enabled=True, min_count=12)
    assert on.status_code == 200, on.text
    assert on.json()["served"] is True and on.json()["min_count"] == 12

    got = preview(client, ident)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["synthetic"] is True
    assert body["notice"].startswith("Synthetic preview — not real data")
    assert "12 times" in body["notice"]
    assert got.headers["Synthetic-Data"] == "true; min-count=12"
    assert got.headers["cache-control"] == "private, no-store"
    assert body["columns"] == ["patient", "ward", "age"]
    assert body["total"] == 100 and len(body["rows"]) == 100
    real = visits().to_pylist()
    for row in body["rows"]:
        assert row not in real
        assert row["patient"] in (None, "[suppressed]")  # every patient id occurs once
        assert row["ward"] in (None, "[suppressed]", "cardiology", "oncology", "paediatrics")
    assert SECRET not in got.text and "rare-ward" not in got.text
    # the real rows stay closed to the developer
    assert (
        client.get(f"/datasets/{ident}/sample/rows", headers=client.as_user("dev")).status_code
        == 403
    )  # type: ignore[attr-defined]
    # anonymous visitors get the same preview, every time
    again = preview(client, ident, None)
    assert again.json()["rows"] == body["rows"]
    # paging
    page = preview(client, ident, offset=90, limit=20).json()
    assert page["rows"] == body["rows"][90:] and page["next_offset"] is None
    first = preview(client, ident, limit=10).json()
    assert first["next_offset"] == 10 and first["next"].endswith("offset=10")
    # switched off: nothing is served
    assert switch(client, ident, "stew-a", enabled=False).status_code == 200
    assert preview(client, ident).status_code == 404


def test_an_admin_may_switch_and_k_below_the_floor_is_refused(client: TestClient) -> None:
    ident = publish(client, 2, extra=f"; dct:license <{BY}>")
    low = switch(client, ident, "stew-a", enabled=True, min_count=3)
    assert low.status_code == 422
    assert low.json()["error"]["where"] == "min_count"
    assert "DATALAB_SYNTHETIC_MIN_COUNT" in low.json()["error"]["message"]
    extra = switch(client, ident, "stew-a", enabled=True, colour="red")
    assert extra.status_code == 422
    assert switch(client, ident, "admin", enabled=True).json()["served"] is True
    assert client.get("/datasets/missing/sample/synthetic-preview").status_code == 404


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (f"; dct:license <{BY_ND}>", "prohibits derivative works"),
        (
            "; odrl:hasPolicy [ a odrl:Set ; odrl:permission [ odrl:action odrl:use ] ; "
            "odrl:prohibition [ odrl:action odrl:derive ] ]",
            "prohibits derive",
        ),
    ],
    ids=["nd-licence", "odrl-derive"],
)
def test_refused_where_the_terms_forbid_derived_data(
    client: TestClient, extra: str, reason: str
) -> None:
    ident = publish(client, 3, extra=extra)
    refused = switch(client, ident, "stew-a", enabled=True)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "derived_data_forbidden"
    assert any(reason in r for r in error["details"]["reasons"])
    status = client.get(f"/datasets/{ident}/sample/synthetic-preview").json()
    assert status["enabled"] is False and status["terms"]["allowed"] is False
    assert preview(client, ident).status_code == 404


def test_a_switch_left_on_serves_nothing_once_the_terms_forbid_it(client: TestClient) -> None:
    ident = publish(client, 4, extra=f"; dct:license <{BY}>")
    assert switch(client, ident, "stew-a", enabled=True).status_code == 200
    assert preview(client, ident).status_code == 200
    publish(client, 4, extra=f"; dct:license <{BY_ND}>", method="put")  # now no-derivatives
    stale = preview(client, ident)
    assert stale.status_code == 403
    assert "forbid derived data" in stale.json()["error"]["message"]
    assert "rows" not in stale.text and SECRET not in stale.text
    status = client.get(f"/datasets/{ident}/sample/synthetic-preview").json()
    assert status["enabled"] is True and status["served"] is False


def test_reads_of_a_restricted_preview_are_audited(client: TestClient, settings: Settings) -> None:
    ident = publish(client, 5, extra=f"; dct:license <{BY}>")
    switch(client, ident, "stew-a", enabled=True)
    assert preview(client, ident).status_code == 200
    with Database.open(settings) as database:
        log = Accounts(database).audit_log(ident)
    actions = [(e["actor"], e["action"], e["outcome"]) for e in log]
    assert ("stew-a", "sample.synthetic.switch", "ok") in actions
    assert ("dev", "sample.synthetic", "allowed") in actions


def test_the_preview_is_marked_synthetic_in_croissant(client: TestClient, tmp_path) -> None:
    ident = publish(client, 6, extra=f"; dct:license <{BY}>")
    before = client.get(f"/datasets/{ident}/croissant").json()
    assert "synthetic-preview" not in str(before)
    switch(client, ident, "stew-a", enabled=True)
    doc = client.get(f"/datasets/{ident}/croissant").json()
    files = {d["@id"]: d for d in doc["distribution"]}
    synthetic = files["synthetic-preview.json"]
    assert synthetic["contentUrl"].endswith(f"/datasets/{ident}/sample/synthetic")
    assert "not real data" in synthetic["description"]
    assert {"@type": "sc:PropertyValue", "name": "synthetic", "value": True} in synthetic[
        "sc:additionalProperty"
    ]
    sets = {r["@id"]: r for r in doc["recordSet"]}
    assert "not real data" in sets["synthetic-preview"]["description"]
    assert [f["name"] for f in sets["synthetic-preview"]["field"]] == ["patient", "ward", "age"]
    assert "not real data" not in sets["sample"]["description"]
    # mlcroissant reads both record sets (metadata: the preview's fields from its JSON)
    import mlcroissant as mlc

    path = tmp_path / "croissant.json"
    path.write_text(json.dumps(doc))
    meta = mlc.Dataset(jsonld=path).metadata
    assert [rs.name for rs in meta.record_sets] == ["sample", "synthetic-preview"]
    assert [f.name for f in meta.record_sets[1].fields] == ["patient", "ward", "age"]
