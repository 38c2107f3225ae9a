"""The remembered profile of the dataset pages: stored, read back, refused and forgotten
through the one validation (RequesterProfile.parse), against the real app and demo data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.web.visitor_profile import COOKIE
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import get_settings

PROFILE = {"org_type": "research", "country": "DE", "purpose": "academic-research"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    home: Path = tmp_path_factory.mktemp("visitor-profile")
    settings = get_settings(home=home)
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
        items = cat.datasets(source="demo-health", limit=100).items
        ident = next(i.id for i in items if i.id.startswith("synthetic-ehr-fhir"))
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client, ident


def _selected(html: str, name: str, value: str) -> bool:
    start = html.index(f'id="{name}"')
    return f'value="{value}" selected' in html[start : html.index("</select>", start)]


def test_a_checked_profile_is_stored_http_only_and_lax(site: tuple[TestClient, str]) -> None:
    client, ident = site
    client.cookies.clear()
    page = client.get(f"/ui/datasets/{ident}", params=PROFILE)
    cookie = page.headers["set-cookie"].split(f"{COOKIE}=", 1)[1].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/ui" in cookie
    again = client.get(f"/ui/datasets/{ident}")  # no parameters: the remembered profile
    assert all(_selected(again.text, k, v) for k, v in PROFILE.items())
    assert "to a research organisation in Germany for academic research" in again.text


def test_a_wrong_value_says_what_is_wrong_keeps_the_form_and_the_old_profile(
    site: tuple[TestClient, str],
) -> None:
    client, ident = site
    client.cookies.clear()
    client.get(f"/ui/datasets/{ident}", params=PROFILE)
    bad = client.get(f"/ui/datasets/{ident}", params={**PROFILE, "purpose": "world-domination"})
    assert bad.status_code == 200
    assert "world-domination" in bad.text and 'role="alert"' in bad.text
    assert COOKIE not in bad.headers.get("set-cookie", "")  # the remembered one stays
    assert _selected(client.get(f"/ui/datasets/{ident}").text, "purpose", "academic-research")


def test_a_tampered_cookie_is_forgotten_not_an_error(site: tuple[TestClient, str]) -> None:
    client, ident = site
    client.cookies.clear()
    client.cookies.set(COOKIE, "org_type=Overlord&country=ZZ")
    page = client.get(f"/ui/datasets/{ident}")
    assert page.status_code == 200
    assert "Tell us who you are" in page.text
    assert f'{COOKIE}=""' in page.headers["set-cookie"]  # deleted


def test_an_empty_form_forgets_the_profile(site: tuple[TestClient, str]) -> None:
    client, ident = site
    client.cookies.clear()
    client.get(f"/ui/datasets/{ident}", params=PROFILE)
    cleared = client.get(f"/ui/datasets/{ident}", params=dict.fromkeys(PROFILE, ""))
    assert f'{COOKIE}=""' in cleared.headers["set-cookie"]
    assert "Tell us who you are" in client.get(f"/ui/datasets/{ident}").text
