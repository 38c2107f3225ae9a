"""The access matrix: every caller × every access level × every sample endpoint.

Restricted, non-public and unstated datasets hold a row with SECRET; no response to a
caller without a grant may contain it, nor a row count, nor statistics, whatever the
filters, search, paging or order of requests (caches). The stewards of the publishing
organisation (Org A: ``steward_own``) see their own samples; a steward of another
organisation (``steward_other``) is refused like any developer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.settings import Settings
from tests.catalog.samples.builders import IDS, SECRET, load_datasets, sales_table, users
from tests.engines import ENGINES, engine_settings

CALLERS = ["anonymous", "developer", "granted", "steward_other", "steward_own", "staff", "admin"]
LEVELS = ["public", "restricted", "non_public", "unstated", "contradictory"]
ENTITLED = {"granted", "admin", "steward_own"}
READS = ["rows", "rows_filtered", "rows_searched", "statistics", "file"]


def _parquet() -> bytes:
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(sales_table(secret=True), buf)
    return buf.getvalue()


@pytest.fixture(scope="module", params=ENGINES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict, Settings]]:
    """The whole matrix on the embedded engines, then on the shared ones (tests/engines.py)."""
    settings = engine_settings(request, tmp_path_factory.mktemp("matrix") / "home")
    load_datasets(settings)
    tokens = users(settings)
    with TestClient(create_app(settings)) as client:
        body = _parquet()
        admin = {"Authorization": f"Bearer {tokens['admin']}"}
        for ds in IDS.values():
            r = client.put(
                f"/datasets/{ds}/sample",
                content=body,
                headers=admin | {"Content-Type": "application/vnd.apache.parquet"},
            )
            assert r.status_code == 201, r.text
        yield client, tokens, settings


def _headers(tokens: dict, caller: str) -> dict[str, str]:
    return {} if caller == "anonymous" else {"Authorization": f"Bearer {tokens[caller]}"}


def _read(client: TestClient, ds: str, read: str, headers: dict[str, str]):
    base = f"/datasets/{ds}/sample"
    if read == "rows":
        return client.get(f"{base}/rows", headers=headers)
    if read == "rows_filtered":
        params = [("filter", f"name:eq:{SECRET}"), ("sort", "-id"), ("limit", "5")]
        return client.get(f"{base}/rows", params=params, headers=headers)
    if read == "rows_searched":
        params = [("q", SECRET.lower()), ("filter", "id:between:0,10"), ("limit", "5")]
        return client.get(f"{base}/rows", params=params, headers=headers)
    if read == "statistics":
        return client.get(f"{base}/statistics", headers=headers)
    return client.get(f"{base}/file", headers=headers)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("caller", CALLERS)
def test_overview_shows_schema_and_size_to_everyone(world, caller: str, level: str) -> None:
    client, tokens, _ = world
    r = client.get(f"/datasets/{IDS[level]}/sample", headers=_headers(tokens, caller))
    assert r.status_code == 200
    body = r.json()
    visible = level == "public" or caller in ENTITLED
    assert [c["name"] for c in body["columns"]] == ["id", "name", "price", "day", "ok"]
    assert body["byte_size"] > 0
    assert body["access"]["rows_visible"] is visible
    assert body["access"]["reason"]
    assert ("rows" in body) is visible
    assert SECRET not in r.text
    assert r.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("caller", CALLERS)
def test_rows_statistics_and_file(world, caller: str, level: str, read: str) -> None:
    client, tokens, _ = world
    r = _read(client, IDS[level], read, _headers(tokens, caller))
    if level == "public" or caller in ENTITLED:
        assert r.status_code == 200, r.text
        if read in ("rows_filtered", "rows_searched"):
            assert [row["name"] for row in r.json()["rows"]] == [SECRET]
            assert (r.json()["matched"], r.json()["total"]) == (1, 250)
        return
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["code"] == "forbidden"
    assert SECRET not in r.text
    assert "250" not in r.text
    assert "matched" not in r.text
    assert "histogram" not in r.text
    assert r.headers["cache-control"] == "private, no-store"


def test_denied_answers_are_identical_with_and_without_filters(world) -> None:
    client, tokens, _ = world
    headers = _headers(tokens, "developer")
    ds = IDS["restricted"]
    plain = client.get(f"/datasets/{ds}/sample/rows", headers=headers)
    hostile = [
        [("filter", f"name:eq:{SECRET}")],
        [("filter", "name:eq:nothing-matches")],
        [("filter", "no_such_column:eq:1")],
        [("filter", "id:eq:not-a-number")],
        [("filter", "id:between:1")],
        [("q", SECRET)],
        [("q", "nothing matches")],
        [("sort", "bogus")],
        [("limit", "100000")],
    ]
    for params in hostile:
        r = client.get(f"/datasets/{ds}/sample/rows", params=params, headers=headers)
        assert (r.status_code, r.json()) == (plain.status_code, plain.json())


def test_a_cached_entitled_answer_never_reaches_the_next_caller(world) -> None:
    client, tokens, _ = world
    ds = IDS["restricted"]
    ok = client.get(f"/datasets/{ds}/sample/statistics", headers=_headers(tokens, "admin"))
    assert ok.status_code == 200
    again = client.get(f"/datasets/{ds}/sample/statistics")
    assert again.status_code == 403
    assert "etag" not in again.headers
    assert "etag" not in ok.headers


def test_revoking_a_grant_takes_effect_on_the_next_request(world) -> None:
    client, _tokens, settings = world
    ds = IDS["non_public"]
    with Database.open(settings) as database:
        accounts = Accounts(database)
        accounts.add_user("temp", "developer")
        headers = {"Authorization": f"Bearer {accounts.issue_token('temp')}"}
        accounts.grant("temp", ds)
        assert client.get(f"/datasets/{ds}/sample/rows", headers=headers).status_code == 200
        accounts.revoke("temp", ds)
        assert client.get(f"/datasets/{ds}/sample/rows", headers=headers).status_code == 403


def test_every_restricted_read_is_audited(world) -> None:
    client, tokens, settings = world
    ds = IDS["restricted"]
    with Database.open(settings) as database:
        accounts = Accounts(database)
        before = len(accounts.audit_log(ds))
        client.get(f"/datasets/{ds}/sample/rows", headers=_headers(tokens, "granted"))
        client.get(f"/datasets/{ds}/sample/statistics", headers=_headers(tokens, "developer"))
        entries = accounts.audit_log(ds)[before:]
        assert [(e["actor"], e["action"], e["outcome"]) for e in entries] == [
            ("granted", "sample.rows", "allowed"),
            ("developer", "sample.statistics", "denied"),
        ]
        public_before = len(accounts.audit_log(IDS["public"]))
        client.get(f"/datasets/{IDS['public']}/sample/rows")
        assert len(accounts.audit_log(IDS["public"])) == public_before


@pytest.mark.parametrize(
    "variant",
    [
        "{id}".upper(),
        "{id}%20",
        "..%2F{id}",
        "https:%2F%2Fdata.example.org%2Fdataset%2Frestricted-sales",
    ],
)
def test_guessed_ids_iris_and_encodings_do_not_open_restricted_rows(world, variant: str) -> None:
    client, tokens, _ = world
    ds = IDS["restricted"]
    path = variant.replace("{ID}", ds.upper()).replace("{id}", ds)
    r = client.get(f"/datasets/{path}/sample/rows", headers=_headers(tokens, "developer"))
    assert r.status_code in (403, 404)
    assert SECRET not in r.text


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("level", ["public", "restricted"])
def test_upload_is_for_admins_and_the_publishers_stewards(world, caller: str, level: str) -> None:
    client, tokens, _ = world
    headers = _headers(tokens, caller) | {"Content-Type": "application/vnd.apache.parquet"}
    r = client.put(f"/datasets/{IDS[level]}/sample", content=_parquet(), headers=headers)
    expected = {"anonymous": 401, "admin": 201, "steward_own": 201}.get(caller, 403)
    assert r.status_code == expected, r.text
    assert r.json().get("error", {}).get("code", "created") in (
        "unauthorized",
        "forbidden",
        "created",
    )


@pytest.mark.parametrize("caller", ["anonymous", "developer", "granted", "steward_other", "staff"])
@pytest.mark.parametrize("level", ["public", "restricted"])
def test_delete_and_sampling_a_distribution_are_refused_to_others(world, caller, level) -> None:
    client, tokens, _ = world
    ds = IDS[level]
    headers = _headers(tokens, caller)
    expected = 401 if caller == "anonymous" else 403
    assert client.delete(f"/datasets/{ds}/sample", headers=headers).status_code == expected
    r = client.post(f"/datasets/{ds}/sample/from-distribution", headers=headers)
    assert r.status_code == expected
    assert client.get(f"/datasets/{ds}/sample").status_code == 200  # still there


@pytest.mark.parametrize("level", LEVELS)
def test_the_distribution_in_the_record_is_public_metadata_without_rows(world, level) -> None:
    client, _, _ = world
    for fmt in ("ttl", "jsonld", "nt"):
        r = client.get(f"/datasets/{IDS[level]}", params={"format": fmt})
        assert r.status_code == 200
        assert "http://www.w3.org/ns/adms#sample" in r.text or "adms:sample" in r.text
        assert f"/datasets/{IDS[level]}/sample/file" in r.text
        assert SECRET not in r.text


def test_a_record_declaring_public_and_restricted_is_closed_everywhere(world) -> None:
    """The most closed of contradictory access rights holds for rows, statistics, search
    snippets, the page and the Croissant description, for anyone without a grant."""
    import json

    client, tokens, _ = world
    ds = IDS["contradictory"]
    for caller in ("anonymous", "developer", "steward_other", "staff"):
        headers = _headers(tokens, caller)
        for read in READS:
            r = _read(client, ds, read, headers)
            assert r.status_code == 403, (caller, read)
            assert SECRET not in r.text
        overview = client.get(f"/datasets/{ds}/sample", headers=headers).json()
        assert overview["access"]["rows_visible"] is False
        assert "contradictory" in overview["access"]["reason"]
        page = client.get(f"/ui/datasets/{ds}", headers=headers)
        assert page.status_code == 200
        assert SECRET not in page.text
        croissant = client.get(f"/datasets/{ds}/croissant", headers=headers)
        assert croissant.status_code == 200
        assert SECRET not in croissant.text
        assert "sha256" not in croissant.text
    hits = client.get("/search", params={"q": "sales"}).json()["items"]
    closed = next(h for h in hits if h["id"] == ds)
    assert closed["access"] == "restricted"
    assert ", contradictory" not in closed["snippet"]
    assert "contradictory." not in json.dumps(closed)
    opened = next(h for h in hits if h["id"] == IDS["public"])
    assert ", public" in opened["snippet"]  # so the check above can fail


NOT_PUBLIC = [level for level in LEVELS if level != "public"]
SPDX_QUERY = (
    "PREFIX spdx: <http://spdx.org/rdf/terms#> SELECT ?o WHERE { ?s spdx:checksumValue ?o }"
)


def _own_parquet(tag: str) -> bytes:
    """The secret sales table with ``tag`` in its schema metadata: same rows, own bytes."""
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(sales_table(secret=True).replace_schema_metadata({"sample": tag}), buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def digests(world) -> dict[str, str]:
    """Each dataset gets a sample of its own bytes (the upload tests above leave datasets
    sharing one file, whose public checksum would hide a leak); level → SHA-256."""
    import hashlib

    client, tokens, _ = world
    headers = _headers(tokens, "admin") | {"Content-Type": "application/vnd.apache.parquet"}
    out = {}
    for level, ds in IDS.items():
        body = _own_parquet(level)
        assert client.put(f"/datasets/{ds}/sample", content=body, headers=headers).is_success
        out[level] = hashlib.sha256(body).hexdigest()
    return out


def _public_views(client: TestClient, ds: str, headers: dict[str, str]) -> dict[str, str]:
    """Every view of the record and the catalogue, as text."""
    views = {
        f"record.{fmt}": client.get(f"/datasets/{ds}", params={"format": fmt}, headers=headers)
        for fmt in ("ttl", "jsonld", "nt", "xml")
    }
    for fmt in ("ttl", "jsonld"):
        params = {"format": fmt, "page_size": 100}
        views[f"catalog.{fmt}"] = client.get("/catalog", params=params, headers=headers)
    views["sparql"] = client.get(
        "/sparql",
        params={"query": SPDX_QUERY},
        headers=headers | {"Accept": "application/sparql-results+json"},
    )
    views["page"] = client.get(f"/ui/datasets/{ds}", headers=headers)
    views["croissant"] = client.get(f"/datasets/{ds}/croissant", headers=headers)
    views["overview"] = client.get(f"/datasets/{ds}/sample", headers=headers)
    views["search"] = client.get("/search", params={"q": "sales"}, headers=headers)
    for name, r in views.items():
        assert r.status_code == 200, (name, r.status_code, r.text[:300])
    return {name: r.text for name, r in views.items()}


@pytest.mark.parametrize("caller", sorted(set(CALLERS) - ENTITLED))
def test_a_non_public_samples_checksum_is_shown_to_no_one_without_a_grant(
    world, digests, caller: str
) -> None:
    client, tokens, _ = world
    headers = _headers(tokens, caller)
    for level in NOT_PUBLIC:
        for name, text in _public_views(client, IDS[level], headers).items():
            assert digests[level] not in text, (level, name)
    public = _public_views(client, IDS["public"], headers)  # so the checks above can fail
    for name in ("record.ttl", "record.jsonld", "record.nt", "record.xml", "catalog.ttl",
                 "catalog.jsonld", "sparql", "croissant", "overview"):  # fmt: skip
        assert digests["public"] in public[name], name


@pytest.mark.parametrize("caller", sorted(ENTITLED))
@pytest.mark.parametrize("level", LEVELS)
def test_entitled_callers_get_the_checksum_from_the_sample_api_and_croissant(
    world, digests, caller: str, level: str
) -> None:
    client, tokens, _ = world
    headers = _headers(tokens, caller)
    overview = client.get(f"/datasets/{IDS[level]}/sample", headers=headers).json()
    assert overview["sha256"] == digests[level]
    assert overview["distribution"]["checksum"] == {"algorithm": "sha256", "value": digests[level]}
    croissant = client.get(f"/datasets/{IDS[level]}/croissant", headers=headers).json()
    files = [d for d in croissant["distribution"] if d["@type"] == "cr:FileObject"]
    assert [f["sha256"] for f in files] == [digests[level]]
    record = client.get(f"/datasets/{IDS[level]}", params={"format": "nt"}, headers=headers)
    assert (digests[level] in record.text) is (level == "public")  # the record is public


def test_a_synthetic_preview_only_when_switched_on_and_never_a_real_row(world) -> None:
    """Every caller × level: no preview while it is off; once an admin turns it on (these
    records state no licence or policy, so nothing forbids it), everyone gets rows marked
    synthetic that never hold the secret, and the real rows stay as closed as before."""
    client, tokens, _ = world
    admin = _headers(tokens, "admin")
    for level in LEVELS:
        for caller in CALLERS:
            off = client.get(
                f"/datasets/{IDS[level]}/sample/synthetic", headers=_headers(tokens, caller)
            )
            assert off.status_code == 404, (level, caller)
            assert SECRET not in off.text
    for level in LEVELS:
        own = client.put(
            f"/datasets/{IDS[level]}/sample/synthetic-preview",
            json={"enabled": True},
            headers=_headers(tokens, "steward_own"),
        )
        assert own.status_code == 403  # a harvested record is not a steward's to switch
        on = client.put(
            f"/datasets/{IDS[level]}/sample/synthetic-preview",
            json={"enabled": True},
            headers=admin,
        )
        assert on.status_code == 200, on.text
    try:
        for level in LEVELS:
            for caller in CALLERS:
                headers = _headers(tokens, caller)
                got = client.get(f"/datasets/{IDS[level]}/sample/synthetic", headers=headers)
                assert got.status_code == 200, (level, caller, got.text)
                body = got.json()
                assert body["synthetic"] is True and got.headers["Synthetic-Data"].startswith(
                    "true"
                )
                assert body["rows"] and SECRET not in got.text
                assert {r["id"] for r in body["rows"]} == {None}  # every id occurs once
                real = client.get(f"/datasets/{IDS[level]}/sample/rows", headers=headers)
                entitled = level == "public" or caller in ENTITLED
                assert real.status_code == (200 if entitled else 403)
    finally:
        for level in LEVELS:
            client.put(
                f"/datasets/{IDS[level]}/sample/synthetic-preview",
                json={"enabled": False},
                headers=admin,
            )


def _page_as(client: TestClient, tokens: dict, caller: str, ds: str, params: dict) -> str:
    """The dataset page as ``caller`` sees it, signed in to the web pages (a browser of its
    own: the shared client stays anonymous)."""
    import re

    browser = TestClient(client.app, base_url="https://testserver")  # cookies are Secure
    login = browser.get("/ui/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', login)
    assert csrf
    form = {"csrf": csrf.group(1), "user": caller, "token": tokens[caller], "next": "/ui/search"}
    answer = browser.post(
        "/ui/login", data=form, headers={"Origin": "https://testserver"}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text[:300]
    page = browser.get(f"/ui/datasets/{ds}", params=params)
    assert page.status_code == 200
    return page.text


@pytest.mark.parametrize("level", NOT_PUBLIC)
def test_the_publishers_steward_sees_their_own_sample_and_says_why(world, level: str) -> None:
    """One decision for every read: the overview, rows, statistics and the page agree."""
    client, tokens, _ = world
    ds = IDS[level]
    headers = _headers(tokens, "steward_own")
    overview = client.get(f"/datasets/{ds}/sample", headers=headers).json()
    assert overview["access"]["rows_visible"] is True
    assert "you steward this dataset" in overview["access"]["reason"]
    assert overview["rows"] == 250
    rows = client.get(f"/datasets/{ds}/sample/rows", params={"q": SECRET}, headers=headers)
    assert [r["name"] for r in rows.json()["rows"]] == [SECRET]
    assert client.get(f"/datasets/{ds}/sample/statistics", headers=headers).status_code == 200
    page = _page_as(client, tokens, "steward_own", ds, {"q": SECRET})
    assert SECRET in page
    assert "1 of 250 rows match" in page
    assert "you steward this dataset" in page


@pytest.mark.parametrize("level", NOT_PUBLIC)
def test_a_steward_of_another_organisation_stays_refused_everywhere(world, level: str) -> None:
    client, tokens, _ = world
    ds = IDS[level]
    headers = _headers(tokens, "steward_other")
    overview = client.get(f"/datasets/{ds}/sample", headers=headers).json()
    assert overview["access"]["rows_visible"] is False
    assert "steward" not in overview["access"]["reason"]
    for read in READS:
        r = _read(client, ds, read, headers)
        assert r.status_code == 403, read
        assert SECRET not in r.text
    page = _page_as(client, tokens, "steward_other", ds, {"q": SECRET, "filter": "id:eq:0"})
    assert "request access" in page
    assert SECRET not in page
    assert "250" not in page
    assert "rows match" not in page
    assert "sample-rows" not in page
