"""The basket pages at the HTTP level: CSRF, the anonymous browser's cookie, whose basket a
page shows, the exports under /ui."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.web.basket_pages import BASKET_COOKIE
from catalog.accounts import Accounts, accounts_path
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import get_settings


@pytest.fixture
def site(tmp_path):
    settings = get_settings(home=tmp_path / "home", web_cookie_secure=False)
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
        ids = {i.id.rsplit("-", 1)[0]: i.id for i in cat.datasets(limit=100).items}
    accounts = Accounts(accounts_path(settings.home))
    for name in ("dev", "eve"):
        accounts.add_user(name, "developer")
    tokens = {n: accounts.issue_token(n) for n in ("dev", "eve")}
    app = create_app(settings)
    return app, tokens, ids


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _add(c: TestClient, dataset_id: str, basket: str = "new"):
    csrf = _csrf(c.get("/ui/search").text)
    form = {"csrf": csrf, "dataset_id": dataset_id, "basket": basket}
    return c.post("/ui/baskets/add", data=form, follow_redirects=False)


def _login(c: TestClient, user: str, token: str) -> None:
    csrf = _csrf(c.get("/ui/login").text)
    r = c.post(
        "/ui/login", data={"csrf": csrf, "user": user, "token": token}, follow_redirects=False
    )
    assert r.status_code == 303


def test_add_needs_the_csrf_token(site) -> None:
    app, _, ids = site
    with TestClient(app, base_url="http://127.0.0.1") as c:
        r = c.post("/ui/baskets/add", data={"dataset_id": ids["white-stork-migration"]})
        assert r.status_code == 403
        assert c.get("/ui/baskets").text.count("/ui/baskets/") == 0  # nothing was made


def test_an_anonymous_browser_keeps_its_baskets_by_a_cookie(site) -> None:
    app, _, ids = site
    with TestClient(app, base_url="http://127.0.0.1") as browser:
        r = _add(browser, ids["white-stork-migration"])
        assert r.status_code == 303
        cookie = r.headers["set-cookie"]
        assert BASKET_COOKIE in cookie and "httponly" in cookie.lower()
        page = r.headers["location"]
        assert _add(browser, ids["ice-core-isotopes"], page.rsplit("/", 1)[1]).status_code == 303
        shown = browser.get(page).text
        assert "GPS tracks of migrating white storks" in shown and "ice core" in shown.lower()
        assert page in browser.get("/ui/baskets").text
        summary = browser.get(f"{page}/ai-act-summary?format=md")
        assert summary.status_code == 200 and "## 1. General information" in summary.text
    with TestClient(app, base_url="http://127.0.0.1") as other:
        assert page not in other.get("/ui/baskets").text  # another browser does not list it
        assert other.get(page).status_code == 200  # but the address is the key


def test_a_signed_in_users_basket_is_theirs(site) -> None:
    app, tokens, ids = site
    with TestClient(app, base_url="http://127.0.0.1") as dev:
        _login(dev, "dev", tokens["dev"])
        page = _add(dev, ids["white-stork-migration"]).headers["location"]
        assert dev.get(page).status_code == 200
    with TestClient(app, base_url="http://127.0.0.1") as eve:
        _login(eve, "eve", tokens["eve"])
        for path in (page, f"{page}/attributions", f"{page}/croissant"):
            r = eve.get(path)
            assert r.status_code == 403, path
        assert page not in eve.get("/ui/baskets").text
    with TestClient(app, base_url="http://127.0.0.1") as anonymous:
        assert anonymous.get(page).status_code == 403
