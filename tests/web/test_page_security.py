"""Sessions, CSRF, status codes and escaping of the pages (HTTP level, no browser)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import get_settings


@pytest.fixture
def client(tmp_path):
    settings = get_settings(home=tmp_path / "home", web_cookie_secure=False)
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("dev", "developer")
    accounts.add_user("staffer", "staff", factory="aiff")
    tokens = {n: accounts.issue_token(n) for n in ("dev", "staffer")}
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        c.tokens = tokens  # type: ignore[attr-defined]
        yield c


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _login(c, user: str):
    csrf = _csrf(c.get("/ui/login").text)
    return c.post(
        "/ui/login",
        data={"csrf": csrf, "user": user, "token": c.tokens[user], "next": "/ui/search"},
        follow_redirects=False,
    )


def test_login_sets_a_secure_httponly_samesite_session(tmp_path) -> None:
    settings = get_settings(home=tmp_path / "h")
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("dev", "developer")
    token = accounts.issue_token("dev")
    with TestClient(create_app(settings), base_url="https://127.0.0.1") as c:
        csrf = _csrf(c.get("/ui/login").text)
        r = c.post(
            "/ui/login", data={"csrf": csrf, "user": "dev", "token": token}, follow_redirects=False
        )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    for flag in ("datalab_session=", "HttpOnly", "Secure", "SameSite=strict"):
        assert flag.lower() in cookie.lower()


def test_a_wrong_token_is_401_and_names_neither_part(client) -> None:
    csrf = _csrf(client.get("/ui/login").text)
    r = client.post("/ui/login", data={"csrf": csrf, "user": "dev", "token": "dlt_x_y"})
    assert r.status_code == 401
    assert "user name or the token is wrong" in r.text


def test_forms_without_the_csrf_token_are_403(client) -> None:
    r = client.post("/ui/login", data={"user": "dev", "token": client.tokens["dev"]})
    assert r.status_code == 403
    assert _login(client, "dev").status_code == 303
    r = client.post("/ui/logout", data={"csrf": "forged"})
    assert r.status_code == 403
    csrf = _csrf(client.get("/ui/search").text)
    r = client.post("/ui/logout", data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403


def test_roles_get_401_and_403_on_pages_not_theirs(client) -> None:
    assert client.get("/ui/steward").status_code == 401
    assert client.get("/ui/requests").status_code == 401
    _login(client, "dev")
    assert client.get("/ui/steward").status_code == 403
    assert client.get("/ui/staff").status_code == 403
    r = client.get("/ui/requests/0123456789abcdef")
    assert r.status_code == 404


def test_staff_cannot_edit_another_factorys_lab_nor_move_their_own(client) -> None:
    _login(client, "staffer")
    csrf = _csrf(client.get("/ui/staff").text)
    r = client.post("/ui/staff/labs/bsc-datalab", data={"csrf": csrf, "name": "mine now"})
    assert r.status_code == 403
    r = client.post(
        "/ui/staff/labs/aiff-datalab",
        data={
            "csrf": csrf,
            "name": "AIFF lab",
            "factory": "bsc",
            "id": "x",
            "access_modes": "Download",
            "data_spaces": "health",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    lab = client.get("/labs/aiff-datalab").json()
    assert lab["factory"] == "aiff"
    assert lab["name"] == "AIFF lab"


def test_pages_send_a_csp_and_escape_json_ld(client) -> None:
    r = client.get("/ui/search?q=%3Cscript%3E")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "<script>" not in r.text.replace('<script src="/ui/static/app.js" defer></script>', "")
    link = re.search(r'href="/ui/datasets/([^"]+)"', client.get("/ui/search").text).group(1)
    page = client.get(f"/ui/datasets/{link}").text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "</" not in block
