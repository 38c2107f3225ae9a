"""The sample endpoints: upload (Parquet and CSV), overview with its adms:sample
distribution, paged and filtered rows, statistics, tokens and the one error body."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.settings import Settings, get_settings
from tests.catalog.samples.builders import IDS, load_datasets, sales_table, users
from tests.conftest import CORPUS

PARQUET = {"Content-Type": "application/vnd.apache.parquet"}


def _parquet(rows: int = 250) -> bytes:
    buf = io.BytesIO()
    pq.write_table(sales_table(rows), buf)
    return buf.getvalue()


@pytest.fixture
def app_settings(tmp_path) -> Settings:
    settings = get_settings(home=tmp_path / "home", sample_max_upload_bytes=5_000_000)
    load_datasets(settings)
    return settings


@pytest.fixture
def client(app_settings: Settings) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    tokens = users(app_settings)
    auth = {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}
    with TestClient(create_app(app_settings)) as c:
        yield c, auth


def test_put_parquet_then_read_overview_rows_and_statistics(client) -> None:
    c, auth = client
    ds = IDS["public"]
    r = c.put(f"/datasets/{ds}/sample", content=_parquet(), headers=auth["admin"] | PARQUET)
    assert r.status_code == 201
    assert r.json()["rows"] == 250
    overview = c.get(f"/datasets/{ds}/sample").json()
    dist = overview["distribution"]
    assert dist["property"] == "http://www.w3.org/ns/adms#sample"
    assert dist["iri"].endswith(f"/datasets/{ds}/sample")
    assert dist["media_type"].endswith("application/vnd.apache.parquet")
    assert dist["byte_size"] == overview["byte_size"] > 0
    download = c.get(dist["download_url"])
    assert download.status_code == 200
    assert pq.read_table(io.BytesIO(download.content)).num_rows == 250
    types = {col["name"]: col for col in overview["columns"]}
    assert types["id"]["duckdb_type"] == "BIGINT"
    assert types["id"]["arrow_type"] == "int64"
    assert types["day"]["duckdb_type"] == "DATE"
    assert types["price"]["nullable"] is True
    first = c.get(f"/datasets/{ds}/sample/rows").json()
    assert len(first["rows"]) == 100
    assert first["truncated"] is False
    assert first["rows"][0] == {
        "id": 0,
        "name": "item 0",
        "price": None,
        "day": "2024-01-01",
        "ok": True,
    }
    second = c.get(first["next"]).json()
    assert second["rows"][0]["id"] == 100
    stats = {s["name"]: s for s in c.get(f"/datasets/{ds}/sample/statistics").json()["columns"]}
    assert stats["price"]["nulls"] == 25
    assert stats["id"]["min"] == 0
    assert stats["id"]["max"] == 249
    assert sum(b["count"] for b in stats["id"]["histogram"]) == 250
    assert stats["day"]["histogram_unit"] == "epoch_seconds"
    assert stats["name"]["top_values"][0] == {"value": "item 0", "count": 36}
    assert stats["name"]["lengths"]["max"] == 6
    assert (stats["ok"]["distinct"], stats["ok"]["distinct_exact"]) == (2, True)
    assert stats["ok"]["top_values"] == [
        {"value": False, "count": 125},
        {"value": True, "count": 125},
    ]
    # exact on 250 rows: never more distinct values than non-null ones
    assert (stats["id"]["distinct"], stats["name"]["distinct"]) == (250, 7)
    assert stats["price"]["distinct"] == 225 == 250 - stats["price"]["nulls"]
    assert "distinct_estimate" not in stats["id"]


def test_filters_and_sort_over_http(client) -> None:
    c, auth = client
    ds = IDS["public"]
    c.put(f"/datasets/{ds}/sample", content=_parquet(), headers=auth["admin"] | PARQUET)
    params = [
        ("filter", "day:ge:2024-01-20"),
        ("filter", "name:in:item 1,item 2"),
        ("filter", "price:notnull"),
        ("sort", "-price"),
        ("limit", "5"),
    ]
    r = c.get(f"/datasets/{ds}/sample/rows", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    prices = [r["price"] for r in body["rows"]]
    assert len(prices) == 5
    assert prices == sorted(prices, reverse=True)
    assert all(r["name"] in ("item 1", "item 2") and r["day"] >= "2024-01-20" for r in body["rows"])
    bad = c.get(f"/datasets/{ds}/sample/rows", params={"filter": "price:between:1"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_input"
    assert bad.json()["error"]["where"] == "filter"
    assert "two values" in bad.json()["error"]["message"]


def test_search_within_rows_and_the_matching_count_over_http(client) -> None:
    c, auth = client
    ds = IDS["public"]
    c.put(f"/datasets/{ds}/sample", content=_parquet(), headers=auth["admin"] | PARQUET)
    rows = f"/datasets/{ds}/sample/rows"
    everything = c.get(rows, params={"limit": 1}).json()
    assert (everything["matched"], everything["total"]) == (250, 250)
    # "ITEM 3" in any case: 36 rows are "item 3" (i % 7 == 3), one "item 3" word pair
    found = c.get(rows, params={"q": "ITEM 3", "limit": 100}).json()
    assert found["matched"] == len(found["rows"]) == 36
    assert {r["name"] for r in found["rows"]} == {"item 3"}
    params = [("q", "item 3"), ("filter", "id:between:0,99"), ("sort", "-id"), ("limit", "3")]
    both = c.get(rows, params=params).json()
    assert [r["id"] for r in both["rows"]] == [94, 87, 80]
    assert both["matched"] == 14  # 3, 10, …, 94
    assert both["total"] == 250
    # the words are parameters: SQL in them is only text that matches nothing
    hostile = c.get(rows, params={"q": "x') OR 1=1 --"}).json()
    assert (hostile["matched"], hostile["rows"]) == (0, [])
    nothing = c.get(rows, params={"q": "no-such-words"}).json()
    assert nothing["matched"] == 0
    long = c.get(rows, params={"q": " ".join(f"w{i}" for i in range(11))})
    assert long.status_code == 400
    assert long.json()["error"]["where"] == "q"


def test_distinct_counts_are_estimates_only_above_the_exact_limit(tmp_path) -> None:
    settings = get_settings(home=tmp_path / "home", sample_exact_stats_max_rows=100)
    load_datasets(settings)
    tokens = users(settings)
    with TestClient(create_app(settings)) as c:
        ds = IDS["public"]
        auth = {"Authorization": f"Bearer {tokens['admin']}"}
        assert c.put(
            f"/datasets/{ds}/sample", content=_parquet(), headers=auth | PARQUET
        ).is_success
        stats = c.get(f"/datasets/{ds}/sample/statistics").json()["columns"]
    for s in stats:
        assert s["distinct_exact"] is False
        assert s["distinct"] == s["distinct_estimate"] <= 250 - s["nulls"], s["name"]


def test_put_csv_is_converted(client) -> None:
    c, auth = client
    ds = IDS["restricted"]
    csv = (CORPUS / "croissant" / "v1.0-titanic" / "titanic.csv").read_bytes()
    r = c.put(
        f"/datasets/{ds}/sample",
        content=csv,
        headers=auth["steward_own"] | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["rows"] == 1309


def test_upload_errors_have_the_one_error_body(client) -> None:
    c, auth = client
    ds = IDS["public"]
    url = f"/datasets/{ds}/sample"
    cases = [
        (b"not parquet", PARQUET, 422, "invalid_sample"),
        (b"x" * 5_000_001, PARQUET, 413, "payload_too_large|limit_exceeded"),
        (_parquet(), {"Content-Type": "image/png"}, 415, "unsupported_format"),
    ]
    for body, headers, status, code in cases:
        r = c.put(url, content=body, headers=auth["admin"] | headers)
        assert r.status_code == status
        assert r.json()["error"]["code"] in code.split("|")  # the body cap may answer first
        assert set(r.json()["error"]) == {"code", "message", "where", "details"}
    assert c.get(url).json()["error"]["code"] == "sample_not_found"
    missing = c.get("/datasets/no-such-dataset/sample/rows")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "dataset_not_found"


def test_tokens_bad_expired_revoked_are_401(client, app_settings: Settings) -> None:
    c, _ = client
    accounts = Accounts(accounts_path(app_settings.home))
    accounts.add_user("eve", "developer")
    good = accounts.issue_token("eve")
    url = f"/datasets/{IDS['public']}/sample"
    forged = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    for header in ["Bearer nonsense", f"Bearer {forged}", "Basic abc", "Bearer "]:
        r = c.get(url, headers={"Authorization": header})
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"
    short = accounts.issue_token("eve", days=1e-9)
    assert c.get(url, headers={"Authorization": f"Bearer {short}"}).status_code == 401
    accounts.revoke_token(good)
    assert c.get(url, headers={"Authorization": f"Bearer {good}"}).status_code == 401


def test_tokens_are_stored_hashed(app_settings: Settings) -> None:
    import sqlite3

    accounts = Accounts(accounts_path(app_settings.home))
    accounts.add_user("carol", "steward", "Org A")
    token = accounts.issue_token("carol", days=2)
    assert accounts.authenticate(token).organisation == "Org A"
    raw = accounts_path(app_settings.home).read_bytes()
    assert token.split("_", 2)[2].encode() not in raw
    with sqlite3.connect(accounts_path(app_settings.home)) as db:
        expires = db.execute("SELECT expires FROM tokens").fetchone()[0]
    assert datetime.fromisoformat(expires) - datetime.now(UTC) < timedelta(days=2)


def test_the_audit_log_is_append_only(app_settings: Settings) -> None:
    import sqlite3

    accounts = Accounts(accounts_path(app_settings.home))
    accounts.audit("someone", "sample.rows", IDS["restricted"], "allowed")
    with sqlite3.connect(accounts_path(app_settings.home)) as db:
        for sql in ["UPDATE audit SET outcome = 'x'", "DELETE FROM audit"]:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(sql)
    assert len(accounts.audit_log()) == 1


def test_a_parquet_bomb_is_refused_with_413_naming_the_column(client) -> None:
    """50 million identical int64 values, dictionary-encoded: 225 kB that decode to 400 MB."""
    import pyarrow as pa

    c, auth = client
    chunk = pa.table({"count": pa.array([7] * 1_000_000, pa.int64())})
    buf = io.BytesIO()
    with pq.ParquetWriter(buf, chunk.schema, use_dictionary=True, compression="zstd") as w:
        for _ in range(50):
            w.write_table(chunk)
    r = c.put(
        f"/datasets/{IDS['public']}/sample", content=buf.getvalue(), headers=auth["admin"] | PARQUET
    )
    assert r.status_code == 413
    error = r.json()["error"]
    assert error["code"] == "limit_exceeded"
    assert "column 'count'" in error["message"]
    assert error["details"]["column"] == "count"
    assert error["details"]["decoded_bytes"] == 400_000_000
    assert c.get(f"/datasets/{IDS['public']}/sample").status_code == 404


def test_a_full_disk_answers_507_and_keeps_the_previous_sample(tmp_path) -> None:
    from tests.catalog.samples.builders import fill, tmpfs

    with tmpfs(tmp_path / "fs", "2m") as disk:
        settings = get_settings(home=tmp_path / "home", samples_dir=disk)
        load_datasets(settings)
        admin = {"Authorization": f"Bearer {users(settings)['admin']}"} | PARQUET
        ds = IDS["public"]
        with TestClient(create_app(settings)) as c:
            assert c.put(f"/datasets/{ds}/sample", content=_parquet(), headers=admin).is_success
            before = c.get(f"/datasets/{ds}/sample/rows").json()
            bigger = _parquet(20_000)
            for leave in (0, len(bigger) + 16_384):  # the body itself; then the sample's copy
                filler = fill(disk, leave)
                r = c.put(f"/datasets/{ds}/sample", content=bigger, headers=admin)
                assert r.status_code == 507, r.text
                error = r.json()["error"]
                assert set(error) == {"code", "message", "where", "details"}
                assert error["code"] == "insufficient_storage"
                assert "previous sample" in error["message"]
                assert "still served" in error["message"]
                assert r.headers["cache-control"] == "private, no-store"
                assert c.get(f"/datasets/{ds}/sample/rows").json() == before
                assert list((disk / ".staging").iterdir()) == []
                filler.unlink()
            assert c.put(f"/datasets/{ds}/sample", content=bigger, headers=admin).is_success
