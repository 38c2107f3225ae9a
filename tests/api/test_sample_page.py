"""The dataset page's sample viewer without JavaScript: plain GET forms and links, read as
HTML (the browser journey is tests/web/test_sample_viewer.py)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.web.charts import distinct_text, number, summarise
from catalog.settings import get_settings
from tests.catalog.samples.builders import IDS, SECRET, load_datasets, sales_table, users

DS = IDS["restricted"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A browser signed in as the steward of the publishing organisation, whose restricted
    dataset has the 250-row sales sample."""
    settings = get_settings(home=tmp_path_factory.mktemp("page") / "home")
    load_datasets(settings)
    tokens = users(settings)
    buf = io.BytesIO()
    pq.write_table(sales_table(secret=True), buf)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        headers = {
            "Authorization": f"Bearer {tokens['admin']}",
            "Content-Type": "application/vnd.apache.parquet",
        }
        assert client.put(f"/datasets/{DS}/sample", content=buf.getvalue(), headers=headers)
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/ui/login").text)
        assert csrf
        form = {"csrf": csrf.group(1), "user": "steward_own", "token": tokens["steward_own"]}
        signed = client.post(
            "/ui/login",
            data=form | {"next": "/ui/search"},
            headers={"Origin": "https://testserver"},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        yield client


def _page(browser: TestClient, params: list[tuple[str, str]] | dict[str, str]) -> str:
    r = browser.get(f"/ui/datasets/{DS}", params=params)
    assert r.status_code == 200
    return r.text


def _count(html: str) -> str:
    found = re.search(r'id="sample-count" role="status">([^<]*)<', html)
    assert found, "no count on the page"
    return found.group(1)


def _ids(html: str) -> list[int]:
    body = html.split('id="sample-rows"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [int(row) for row in re.findall(r"<tr><td>(\d+)</td>", body)]


def test_the_builder_compiles_to_a_filter_and_shows_it_as_a_removable_chip(browser) -> None:
    html = _page(browser, {"fcol": "id", "fop": "between", "fval": "10", "fval2": "19"})
    assert _count(html) == "10 of 250 rows match"
    assert _ids(html) == list(range(10, 20))
    assert '<input type="hidden" name="filter" value="id:between:10,19">' in html
    assert '<span class="chip-text">id between 10 and 19</span>' in html
    # the chip's remove link keeps the other filters and drops its own
    params = [("filter", "id:between:10,19"), ("filter", "ok:eq:true")]
    html = _page(browser, params)
    assert _count(html) == "5 of 250 rows match"
    remove = re.search(r'class="chip-remove" href="\?([^"]*)#sample">Remove<span[^>]*> filter: '
                       r"ok equals \(=\) true", html)  # fmt: skip
    assert remove
    assert remove.group(1).replace("&amp;", "&") == "filter=id%3Abetween%3A10%2C19"


def test_a_condition_the_column_cannot_take_is_refused_and_kept_to_mend(browser) -> None:
    html = _page(browser, {"fcol": "name", "fop": "gt", "fval": "item"})
    assert "does not apply to column &#39;name&#39; (text)" in html
    assert "contains" in html.split('id="sample-error"', 1)[1].split("</p>", 1)[0]
    assert _count(html) == "250 rows"  # nothing was added
    assert 'name="fval" value="item"' in html
    html = _page(browser, {"fcol": "id", "fop": "gt", "fval": "ten"})
    assert "&#39;ten&#39; is not a valid integer value for column &#39;id&#39;" in html
    assert "chip-text" not in html


def test_headers_sort_with_aria_sort_and_toggle(browser) -> None:
    html = _page(browser, {"sort": "-id"})
    assert _ids(html)[:3] == [249, 248, 247]
    header = re.search(
        r'<th scope="col" aria-sort="descending">\s*<a class="sort" href="\?([^"]*)#', html
    )
    assert header and header.group(1) == "sort=id"
    assert html.count("aria-sort=") == 1
    assert 'href="?sort=name#sample"' in html  # other columns start ascending


def test_search_count_and_pager_carry_every_setting(browser) -> None:
    html = _page(browser, [("q", "ITEM 3"), ("sort", "id"), ("offset", "20")])
    assert _count(html) == "36 of 250 rows match for “ITEM 3”"
    assert "rows 21–36 of 36" in html
    assert _ids(html)[0] == 143  # the 21st id with i % 7 == 3
    prev = re.search(r'id="prev-rows" href="\?([^"]*)#sample"', html)
    assert prev and prev.group(1).replace("&amp;", "&") == "sort=id&q=ITEM+3"
    assert 'id="next-rows"' not in html


def test_each_header_lists_its_values_as_text(browser) -> None:
    html = _page(browser, {})
    assert '<span class="cap">item 1 (36) · item 2 (36) · item 3 (36)</span>' in html
    assert '<span class="cap">8 distinct (exact) · 0 empty</span>' in html
    assert f'<span class="v">{SECRET}</span>: <span class="n">1</span>' in html
    assert '<span class="v">0 – 24</span>: <span class="n">25</span>' in html
    assert '<span class="v">2024-01-01 – 2024-01-03</span>: <span class="n">27</span>' in html
    assert '<svg class="chart" aria-hidden="true"' in html


def test_numbers_bins_and_estimates_read_as_people_write_them() -> None:
    assert [number(v) for v in (3, 2.0, 24.9, 0.012345, 1234567.891, 12345.678)] == [
        "3", "2", "24.9", "0.01235", "1,234,568", "12,346"
    ]  # fmt: skip
    assert distinct_text({"distinct": 266, "distinct_exact": False}) == "~266 distinct"
    assert distinct_text({"distinct_estimate": 7}) == "~7 distinct"  # stored before
    summary = summarise(
        {"name": "n", "kind": "integer", "nulls": 0, "min": 1, "max": 3, "distinct": 3,
         "distinct_exact": True,
         "histogram": [{"from": 1.0, "to": 2.0, "count": 1}, {"from": 2.0, "to": 3.0, "count": 2}]}
    )  # fmt: skip
    assert [(v.label, v.count) for v in summary.values] == [("1", 1), ("2 – 3", 2)]
    assert summary.caption == ["1 – 3", "3 distinct (exact) · 0 empty"]
    assert [b.h for b in summary.bars] == [16.0, 32.0]


def test_what_a_visitor_types_comes_back_as_text(browser) -> None:
    hostile = '"><script>alert(1)</script>'
    html = _page(browser, {"q": hostile, "fcol": "name", "fop": "contains", "fval": hostile})
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert (
        _count(html) == "0 of 250 rows match for “&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;”"
    )
