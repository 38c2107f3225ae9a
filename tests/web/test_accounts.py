"""Accounts people can use: passwords, returning to the page one came from, the password
change, and single sign-on through a real OpenID Connect provider (panva's oidc-provider
under Node), over HTTP with httpx and as journeys in Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import lxml.html
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from api.app import create_app
from api.web.session import HOME, local_next
from catalog.accounts import Accounts, accounts_path
from catalog.oidc import CALLBACK_PATH
from catalog.settings import get_settings
from tests.app_server import free_port, serving
from tests.http_thread import running
from tests.web.a11y import check_page
from tests.web.conftest import LAB, Site, open_site, shot, sign_in, sign_out
from tests.web.oidc_server import CLIENT_ID, CLIENT_SECRET, oidc_provider

PASSWORD = "dev-has-a-long-password"
ORGANISATION = "https://factory.example.org/org/research-institute"


def sso(issuer: str) -> dict[str, Any]:
    """The settings of single sign-on against ``issuer`` (the test provider's client)."""
    return {
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_name": "AIFF Login",
        "oidc_allow_internal_issuer": True,
        "oidc_organisation_claim": "organisation",
    }


# -- next: back to the page one came from, never anywhere else ---------------------------------


@pytest.mark.parametrize(
    "wanted",
    [
        "/ui/datasets/x/request?lab=aiff-datalab",
        "/ui/search?q=ward+occupancy&theme=HEAL&theme=ECON",
        "/ui/account",
        "/ui/requests/0123",
    ],
)
def test_next_keeps_a_page_of_this_site_with_its_query(wanted: str) -> None:
    assert local_next(wanted) == wanted


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/ui/search",
        "//evil.example/ui/",
        "/\\evil.example",
        "/ui/\\\\evil.example",
        "\\\\evil.example/ui/",
        "/ui/search\r\nSet-Cookie: x=1",
        "/ui/search\x00",
        "/ui/search?q=a b",
        "javascript:alert(1)",
        "/api/datasets",
        "/uix/search",
        "/ui/login?next=https://evil.example",
        "/ui/logout",
        "/ui/search#frag",
        "/ui/" + "a" * 2001,
        "",
        None,
        ["/ui/search"],
    ],
)
def test_next_refuses_anything_but_a_page_of_this_site(hostile: object) -> None:
    assert local_next(hostile) == HOME


# -- passwords over HTTP: the sign-in form, the throttle, the account page ----------------------


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = get_settings(home=tmp_path / "home", web_cookie_secure=False, auth_failure_limit=4)
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("dev", "developer")
    accounts.set_password("dev", PASSWORD)
    accounts.add_user("tokenonly", "developer")
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        c.accounts = accounts  # type: ignore[attr-defined]
        c.token = accounts.issue_token("tokenonly")  # type: ignore[attr-defined]
        yield c


def _sign_in(c: TestClient, user: str, password: str, next_url: str = "/ui/search") -> Any:
    csrf = _csrf(c.get("/ui/login").text)
    data = {"csrf": csrf, "user": user, "password": password, "next": next_url}
    return c.post("/ui/login", data=data, follow_redirects=False)


def test_a_password_signs_in_and_returns_to_the_page_with_its_query(client: TestClient) -> None:
    page = client.get("/ui/login", params={"next": "/ui/account?from=request&lab=aiff"})
    form = lxml.html.fromstring(page.text).get_element_by_id("password-form")
    assert form.xpath(".//input[@name='next']/@value") == ["/ui/account?from=request&lab=aiff"]
    done = _sign_in(client, "dev", PASSWORD, "/ui/account?from=request&lab=aiff")
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/account?from=request&lab=aiff"
    assert "datalab_session=" in done.headers["set-cookie"]
    assert client.get("/ui/account").status_code == 200
    entry = client.accounts.audit_log()[-1]  # type: ignore[attr-defined]
    assert (entry["actor"], entry["action"], entry["outcome"], entry["detail"]) == (
        "dev",
        "web.login",
        "ok",
        {"via": "password"},
    )


def test_an_open_redirect_in_next_lands_on_search(client: TestClient) -> None:
    done = _sign_in(client, "dev", PASSWORD, "//evil.example/ui/")
    assert done.headers["location"] == "/ui/search"


def test_a_wrong_password_or_unknown_user_is_401_keeps_the_name_and_is_audited(
    client: TestClient,
) -> None:
    for user in ("dev", "nobody"):
        wrong = _sign_in(client, user, "not the password at all")
        assert wrong.status_code == 401
        assert "The user name or the password is wrong." in wrong.text
        assert f'value="{user}"' in wrong.text  # the name typed is kept
        assert "datalab_session" not in wrong.headers.get("set-cookie", "")
    denied = [e for e in client.accounts.audit_log() if e["outcome"] == "denied"]  # type: ignore[attr-defined]
    assert [(e["actor"], e["detail"]) for e in denied] == [
        ("dev", {"via": "password"}),
        ("nobody", {"via": "password"}),
    ]


def test_the_api_token_stays_a_way_in_for_users_without_a_password(client: TestClient) -> None:
    assert _sign_in(client, "tokenonly", "").status_code == 401
    csrf = _csrf(client.get("/ui/login").text)
    data = {"csrf": csrf, "user": "tokenonly", "token": client.token, "next": "/ui/account"}  # type: ignore[attr-defined]
    done = client.post("/ui/login", data=data, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/ui/account")
    page = client.get("/ui/account").text
    assert "Set a password" in page and 'id="current"' not in page


def test_failed_sign_ins_are_throttled_per_address(client: TestClient) -> None:
    for n in range(4):
        assert _sign_in(client, "dev", f"guess number {n} wrong").status_code == 401
    blocked = _sign_in(client, "dev", PASSWORD)  # even the right password now
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "<h1>Too many attempts</h1>" in blocked.text  # a page, not JSON
    assert "too many failed sign-ins" in blocked.text
    assert "datalab_session" not in blocked.headers.get("set-cookie", "")


def _change(c: TestClient, current: str, new: str, repeat: str) -> Any:
    csrf = _csrf(c.get("/ui/account").text)
    data = {"csrf": csrf, "current": current, "new": new, "repeat": repeat}
    return c.post("/ui/account", data=data)


def test_the_password_change_checks_each_field_and_signs_other_browsers_out(
    client: TestClient, tmp_path: Path
) -> None:
    assert client.get("/ui/account").status_code == 401
    assert _sign_in(client, "dev", PASSWORD).status_code == 303
    other = TestClient(client.app, base_url="http://127.0.0.1")
    assert _sign_in(other, "dev", PASSWORD).status_code == 303
    assert other.get("/ui/account").status_code == 200
    new = "a brand new long password"
    cases = [
        (("wrong current password", new, new), "current", "The current password is wrong."),
        ((PASSWORD, new, new + "x"), "repeat", "The two new passwords differ."),
        ((PASSWORD, "short", "short"), "new", "A password has at least 12 characters."),
        ((PASSWORD, PASSWORD, PASSWORD), "new", "The new password must differ"),
    ]
    for (current, first, second), where, message in cases:
        answer = _change(client, current, first, second)
        assert answer.status_code == 422, (where, message)
        page = lxml.html.fromstring(answer.text)
        error = page.get_element_by_id(f"{where}-error")
        assert message in error.text_content()
        box = page.get_element_by_id(where)
        assert box.get("aria-invalid") == "true" and f"{where}-error" in box.get("aria-describedby")
        assert page.get_element_by_id("new").get("value") == first  # what was typed is kept
    assert client.accounts.check_password("dev", PASSWORD).name == "dev"  # type: ignore[attr-defined]

    done = _change(client, PASSWORD, new, new)
    assert done.status_code == 200
    assert "Your password was changed. 1 other browser was signed out." in done.text
    assert client.get("/ui/account").status_code == 200  # this browser stays signed in
    assert other.get("/ui/account").status_code == 401  # the other one is signed out
    assert _sign_in(other, "dev", PASSWORD).status_code == 401
    assert _sign_in(other, "dev", new).status_code == 303
    other.close()


def test_wrong_current_passwords_count_against_the_address(client: TestClient) -> None:
    assert _sign_in(client, "dev", PASSWORD).status_code == 303
    for n in range(4):
        assert _change(client, f"guess {n} of the password", "x" * 20, "x" * 20).status_code == 422
    refused = _change(client, PASSWORD, "x" * 20, "x" * 20)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert client.accounts.check_password("dev", PASSWORD).name == "dev"  # type: ignore[attr-defined]


# -- single sign-on over HTTP, against the real provider ----------------------------------------


@dataclass
class Sso:
    """A catalogue (no demo data) signing on through a provider."""

    url: str
    issuer: str
    home: Path

    @property
    def accounts(self) -> Accounts:
        return Accounts(accounts_path(self.home))


@pytest.fixture(scope="module")
def sso_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sso]:
    home = tmp_path_factory.mktemp("sso-http")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with oidc_provider(free_port(), url + CALLBACK_PATH, home / "provider.log") as issuer:
        settings = get_settings(home=home, public_url=url, web_cookie_secure=False, **sso(issuer))
        Accounts(accounts_path(home)).add_user("dev", "developer")
        with serving(settings, port) as served:
            yield Sso(served, issuer, home)


def _form(html: str, base: str, action: str | None = None) -> tuple[str, dict[str, str]]:
    """The action and the fields (hidden ones included) of the page's form (the one posting
    to ``action`` when given)."""
    doc = lxml.html.fromstring(html)
    doc.make_links_absolute(base)
    for form in doc.forms:
        if action is None or form.action.endswith(action):
            return form.action, dict(form.form_values())
    raise AssertionError(f"no form posting to {action} in {html[:500]}")


def _start(client: httpx.Client, site: Sso | Site, next_url: str) -> str:
    """Press 'Sign in with …' on the sign-in page; where the catalogue sends the browser."""
    page = client.get(f"{site.url}/ui/login", params={"next": next_url})
    assert "Sign in with AIFF Login" in page.text
    action, fields = _form(page.text, site.url, "/ui/login/oidc")
    started = client.post(action, data=fields, follow_redirects=False)
    assert started.status_code == 303
    return started.headers["location"]


def _through_provider(
    client: httpx.Client, site: Sso, location: str, login: str, *, abort: bool = False
) -> str:
    """Follow the provider's redirects and fill its real login and consent forms (or press
    its Cancel) until it sends the browser back to the catalogue: that callback URL."""
    for _ in range(20):
        if location.startswith(site.url + CALLBACK_PATH):
            return location
        answer = client.get(location, follow_redirects=False)
        if answer.status_code in (302, 303):
            location = urljoin(str(answer.url), answer.headers["location"])
            continue
        assert answer.status_code == 200, answer.text[:500]
        action, fields = _form(answer.text, str(answer.url))
        if abort:
            location = urljoin(str(answer.url), re.search(r'href="([^"]+/abort)"', answer.text)[1])
            continue
        if fields.get("prompt") == "login":
            fields |= {"login": login, "password": "whatever the dev login takes"}
        posted = client.post(action, data=fields, follow_redirects=False)
        assert posted.status_code in (302, 303), posted.text[:500]
        location = urljoin(str(posted.url), posted.headers["location"])
    raise AssertionError("the provider never sent the browser back")


def test_single_sign_on_links_a_user_once_and_returns_to_the_page(sso_site: Sso) -> None:
    wanted = "/ui/account?from=dataset&lab=aiff-datalab"
    with httpx.Client() as browser:
        authorize = _start(browser, sso_site, wanted)
        asked = parse_qs(urlsplit(authorize).query)
        assert authorize.startswith(sso_site.issuer + "/auth?")
        assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) == 43
        assert asked["redirect_uri"] == [sso_site.url + CALLBACK_PATH]
        assert asked["state"][0] and asked["nonce"][0] and "openid" in asked["scope"][0].split()
        assert wanted not in authorize  # next stays with the catalogue, never sent out
        callback = _through_provider(browser, sso_site, authorize, "alice")
        back = browser.get(callback)
        assert back.status_code == 200
        assert "You are signed in as alice." in back.text
        refresh = lxml.html.fromstring(back.text).xpath("//meta[@http-equiv='refresh']/@content")
        assert refresh == [f"0;url={wanted}"]
        assert "datalab_session=" in back.headers["set-cookie"]
        account = browser.get(sso_site.url + wanted)
        assert account.status_code == 200
        assert 'id="account-name">alice<' in account.text and ORGANISATION in account.text

        # The state was used: the same answer again is refused, and signs nobody in.
        replayed = browser.get(callback)
        assert replayed.status_code == 400
        assert "already finished" in replayed.text
        assert "datalab_session" not in replayed.headers.get("set-cookie", "")

    alice = sso_site.accounts.user("alice")
    assert (alice.role, alice.organisation) == ("developer", ORGANISATION)
    assert sso_site.accounts.linked_user(sso_site.issuer, "alice") == alice

    # A later sign-on (another browser, a new provider session) finds the same user.
    with httpx.Client() as other:
        callback = _through_provider(
            other, sso_site, _start(other, sso_site, "/ui/account"), "alice"
        )
        assert "You are signed in as alice." in other.get(callback).text
        assert 'id="account-name">alice<' in other.get(sso_site.url + "/ui/account").text
    assert [u.name for u in sso_site.accounts.users()].count("alice") == 1
    assert not any(u.name.startswith("alice-") for u in sso_site.accounts.users())

    # "dev" is a local user already: the provider's dev gets a name of their own.
    with httpx.Client() as third:
        start = _start(third, sso_site, "/ui/account")
        callback = _through_provider(third, sso_site, start, "dev")
        assert "You are signed in as dev-2." in third.get(callback).text
    assert sso_site.accounts.linked_user(sso_site.issuer, "dev").name == "dev-2"


def test_a_forged_state_or_a_sign_on_from_another_browser_is_refused(sso_site: Sso) -> None:
    with httpx.Client() as browser:
        forged = browser.get(
            sso_site.url + CALLBACK_PATH, params={"code": "abc", "state": "made-up"}
        )
        assert forged.status_code == 400
        assert "never started here" in forged.text
        missing = browser.get(sso_site.url + CALLBACK_PATH, params={"code": "abc"})
        assert missing.status_code == 400
        # an attacker's own sign-on, its answer handed to a victim's browser
        callback = _through_provider(
            browser, sso_site, _start(browser, sso_site, "/ui/account"), "mallory"
        )
    with httpx.Client() as victim:
        planted = victim.get(callback)
        assert planted.status_code == 400
        assert "started in another browser" in planted.text
        assert "datalab_session" not in planted.headers.get("set-cookie", "")
        assert victim.get(sso_site.url + "/ui/account").status_code == 401
    with pytest.raises(Exception, match="no user"):
        sso_site.accounts.user("mallory")


def test_the_provider_saying_no_is_401_with_its_reason(sso_site: Sso) -> None:
    with httpx.Client() as browser:
        start = _start(browser, sso_site, "/ui/account")
        callback = _through_provider(browser, sso_site, start, "bob", abort=True)
        assert "error=access_denied" in callback
        refused = browser.get(callback)
        assert refused.status_code == 401
        assert "the identity provider did not sign you in: End-User aborted interaction" in (
            refused.text
        )
        assert "datalab_session" not in refused.headers.get("set-cookie", "")
        # an answer naming another issuer (RFC 9207) is refused before anything else
        start = _start(browser, sso_site, "/ui/account")
        state = parse_qs(urlsplit(start).query)["state"][0]
        mixed = browser.get(
            sso_site.url + CALLBACK_PATH,
            params={"code": "x", "state": state, "iss": "https://other.example"},
        )
        assert mixed.status_code == 400 and "another provider" in mixed.text
    denied = [e for e in sso_site.accounts.audit_log() if e["outcome"] == "denied"]
    assert any("End-User aborted interaction" in e["detail"].get("reason", "") for e in denied)


def test_without_settings_there_is_no_single_sign_on(client: TestClient) -> None:
    page = client.get("/ui/login").text
    assert 'id="oidc"' not in page and "Sign in with AIFF" not in page
    csrf = _csrf(page)
    assert client.post("/ui/login/oidc", data={"csrf": csrf}).status_code == 404
    assert client.get(CALLBACK_PATH, params={"state": "x", "code": "y"}).status_code == 404


# -- single sign-on against a provider that sends bad ID tokens -----------------------------------


@dataclass
class Forger:
    """A provider (discovery, keys, token endpoint) whose token endpoint answers each code
    with the ID token its name asks for: good, or wrong in one way."""

    issuer: str
    key: RSAKey
    nonce: str = ""
    challenge: str = ""
    checked: list[str] = field(default_factory=list)

    def id_token(self, code: str) -> str | None:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "eve-subject",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce,
            "preferred_username": "eve",
            "datalab_role": "staff",
            "factory": "aiff",
        }
        key = self.key
        changes: dict[str, dict[str, Any]] = {
            "wrong-nonce": {"nonce": "a-nonce-of-another-sign-in"},
            "wrong-audience": {"aud": "another-client"},
            "wrong-issuer": {"iss": "https://impostor.example"},
            "expired": {"iat": now - 7200, "exp": now - 3600},
            "issued-in-the-future": {"iat": now + 3600, "exp": now + 7200},
            "other-azp": {"aud": [CLIENT_ID, "another-client"], "azp": "another-client"},
            "no-nonce": {"nonce": None},
        }
        claims |= changes.get(code, {})
        claims = {k: v for k, v in claims.items() if v is not None}
        if code == "bad-signature":  # same key id, another key
            key = RSAKey.generate_key(2048, parameters={"kid": self.key.kid}, private=True)
        if code == "unsigned":
            head = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"{head}.{body}."
        if code == "no-id-token":
            return None
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, key)


def _forger_handler(forger: Forger) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _json(self, value: object, status: int = 200) -> None:
            body = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                self._json(
                    {
                        "issuer": forger.issuer,
                        "authorization_endpoint": forger.issuer + "/auth",
                        "token_endpoint": forger.issuer + "/token",
                        "jwks_uri": forger.issuer + "/jwks",
                        "id_token_signing_alg_values_supported": ["RS256", "none"],
                        "code_challenge_methods_supported": ["S256"],
                    }
                )
            elif self.path == "/jwks":
                self._json(KeySet([forger.key]).as_dict(private=False))
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            size = int(self.headers["Content-Length"])
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(size).decode()).items()}
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                self.headers.get("Authorization") != f"Basic {basic}"
                or challenge != forger.challenge
                or form.get("grant_type") != "authorization_code"
                or form.get("code") == "refused"
            ):
                self._json({"error": "invalid_grant"}, 400)
                return
            forger.checked.append(form["code"])
            token = forger.id_token(form["code"])
            answer = {"access_token": "at", "token_type": "Bearer"}
            self._json(answer | ({"id_token": token} if token else {}))

    return Handler


@pytest.fixture(scope="module")
def forged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sso, Forger]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    forger = Forger(issuer, RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True))
    server.RequestHandlerClass = _forger_handler(forger)
    home = tmp_path_factory.mktemp("sso-forged")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    claims = {"oidc_role_claim": "datalab_role", "oidc_factory_claim": "factory"}
    settings = get_settings(
        home=home, public_url=url, web_cookie_secure=False, **sso(issuer), **claims
    )
    with running(server), serving(settings, port) as served:
        yield Sso(served, issuer, home), forger


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        ("wrong-nonce", 401, "nonce"),
        ("no-nonce", 401, "nonce"),
        ("wrong-audience", 401, "aud"),
        ("wrong-issuer", 401, "iss"),
        ("expired", 401, "expired"),
        ("issued-in-the-future", 401, "iat"),
        ("bad-signature", 401, "signature"),
        ("unsigned", 401, "not valid"),
        ("other-azp", 401, "another client"),
        ("no-id-token", 401, "sent no ID token"),
        ("refused", 401, "refused the sign-in code (HTTP 400)"),
    ],
)
def test_a_bad_id_token_signs_nobody_in(
    forged: tuple[Sso, Forger], code: str, status: int, reason: str
) -> None:
    site, forger = forged
    with httpx.Client() as browser:
        authorize = parse_qs(urlsplit(_start(browser, site, "/ui/account")).query)
        forger.nonce, forger.challenge = authorize["nonce"][0], authorize["code_challenge"][0]
        answer = browser.get(
            site.url + CALLBACK_PATH,
            params={"code": code, "state": authorize["state"][0]},
        )
        assert answer.status_code == status
        message = lxml.html.fromstring(answer.text).xpath("//p[@role='alert']")[0].text_content()
        assert reason in message
        assert "datalab_session" not in answer.headers.get("set-cookie", "")
        assert browser.get(site.url + "/ui/account").status_code == 401
    with pytest.raises(Exception, match="no user"):
        site.accounts.user("eve")


def test_the_forging_provider_signs_in_with_a_good_token(forged: tuple[Sso, Forger]) -> None:
    """The failures above come from what is wrong with each token, not from the set-up."""
    site, forger = forged
    with httpx.Client() as browser:
        authorize = parse_qs(urlsplit(_start(browser, site, "/ui/account")).query)
        forger.nonce, forger.challenge = authorize["nonce"][0], authorize["code_challenge"][0]
        answer = browser.get(
            site.url + CALLBACK_PATH, params={"code": "good", "state": authorize["state"][0]}
        )
        assert answer.status_code == 200 and "You are signed in as eve." in answer.text
    assert "good" in forger.checked  # PKCE verifier and client secret were right
    eve = site.accounts.user("eve")  # the mapped claims made her factory staff
    assert (eve.role, eve.factory, eve.organisation) == ("staff", "aiff", None)


def test_the_issuer_host_is_reachable_only_when_allowed(tmp_path: Path) -> None:
    """Without oidc_allow_internal_issuer, a provider on loopback is refused like any
    internal address."""
    closed = sso("http://127.0.0.1:9") | {"oidc_allow_internal_issuer": False}
    settings = get_settings(home=tmp_path / "h", web_cookie_secure=False, **closed)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        csrf = _csrf(c.get("/ui/login").text)
        refused = c.post("/ui/login/oidc", data={"csrf": csrf, "next": "/ui/account"})
        assert refused.status_code == 400
        assert "internal addresses are refused" in refused.text


# -- journeys in Chromium -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, viewport: str) -> Iterator[Site]:
    """The demo site with single sign-on through a real provider (one per viewport)."""
    home = tmp_path_factory.mktemp("web-sso-home")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    provider = oidc_provider(free_port(), url + CALLBACK_PATH, home / "provider.log")
    with provider as issuer, open_site(home, port, public_url=url, **sso(issuer)) as served:
        yield served


def _to_the_request_form_signed_out(page, site: Site, prefix: str) -> None:
    """A signed-out visitor on the dataset page asks a lab for access: 'please sign in'."""
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}")
    page.wait_for_selector("#title")
    assert page.locator("#whoami").count() == 0
    offer = page.locator(f".offer[data-lab='{LAB}']")
    check_page(page)
    shot(page, f"{prefix}1-dataset-signed-out")
    offer.locator("text=Request access").click()
    page.wait_for_selector("h1 >> text=Please sign in")
    assert "sign in to continue" in page.inner_text("main")
    check_page(page)
    shot(page, f"{prefix}2-please-sign-in")
    page.locator("main").get_by_role("link", name="Sign in").click()
    page.wait_for_selector("#password-form")
    assert page.locator("h1").inner_text() == "Sign in"
    assert page.locator("#password-form input[name=next]").input_value() == (
        f"/ui/datasets/{site.dataset_id}/request?lab={LAB}"
    )
    assert page.locator("#oidc").inner_text() == "Sign in with AIFF Login"
    check_page(page)
    shot(page, f"{prefix}3-sign-in")


def _on_the_request_form(page, site: Site, user: str, prefix: str) -> None:
    page.wait_for_selector("h1 >> text=Request access")
    assert page.url == f"{site.url}/ui/datasets/{site.dataset_id}/request?lab={LAB}"
    assert page.locator("input[name=lab]").input_value() == LAB
    lab_name = page.request.get(f"{site.url}/labs/{LAB}").json()["name"]
    assert page.locator("main p strong").first.inner_text() == lab_name
    assert page.inner_text("#whoami").startswith(f"{user} (")
    check_page(page)
    shot(page, f"{prefix}4-request-form")


def test_a_visitor_signs_in_with_a_password_and_lands_on_the_request_form(page, site: Site):
    _to_the_request_form_signed_out(page, site, "30-password-")
    page.fill("#user", "dev")
    page.fill("#password", "not the password")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#login-error")
    assert page.inner_text("#login-error") == "The user name or the password is wrong."
    assert page.input_value("#user") == "dev"
    check_page(page)
    shot(page, "30-password-3b-wrong-password")
    page.fill("#password", site.passwords["dev"])
    page.click("#password-form button[type=submit]")
    _on_the_request_form(page, site, "dev", "30-password-")
    sign_out(page)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_a_visitor_signs_in_through_the_factory_provider_and_lands_on_the_request_form(
    page, site: Site
):
    # only this machine's servers: the provider's page asks for a web font elsewhere
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    _to_the_request_form_signed_out(page, site, "31-sso-")
    page.click("#oidc")
    # The provider's own pages (not the catalogue's): its development login and consent.
    page.wait_for_selector("input[name=login]")
    shot(page, "31-sso-3b-provider-login")
    page.fill("input[name=login]", "carla")
    page.fill("input[name=password]", "anything")
    page.click("button.login-submit")
    page.wait_for_selector("button.login-submit >> text=Continue")
    shot(page, "31-sso-3c-provider-consent")
    page.click("button.login-submit")
    _on_the_request_form(page, site, "carla", "31-sso-")
    assert page.inner_text("#whoami") == "carla (developer)"
    user = Accounts(accounts_path(site.home)).user("carla")
    assert (user.role, user.organisation) == ("developer", ORGANISATION)
    sign_out(page)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_a_person_changes_their_password_on_the_account_page(page, site: Site):
    accounts = Accounts(accounts_path(site.home))
    accounts.add_user("pat", "developer")
    accounts.set_password("pat", "pat-has-a-long-password")
    site.passwords["pat"] = "pat-has-a-long-password"
    sign_in(page, site, "pat")
    page.click("#whoami")
    page.wait_for_selector("h1 >> text=Your account")
    assert page.inner_text("#account-name") == "pat"
    check_page(page)
    shot(page, "32-account")

    page.fill("#current", "not my password at all")
    page.fill("#new", "pat-has-a-new-long-password")
    page.fill("#repeat", "pat-has-a-new-long-password")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#current-error")
    assert page.inner_text("#current-error") == "The current password is wrong."
    assert page.input_value("#new") == "pat-has-a-new-long-password"
    check_page(page)
    shot(page, "32-account-wrong-current")

    page.fill("#current", "pat-has-a-long-password")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#changed")
    assert page.inner_text("#changed").startswith("Your password was changed.")
    check_page(page)
    shot(page, "32-account-changed")
    sign_out(page)
    site.passwords["pat"] = "pat-has-a-new-long-password"
    sign_in(page, site, "pat")
    assert page.inner_text("#whoami") == "pat (developer)"
    sign_out(page)
    assert page.dialogs == []  # type: ignore[attr-defined]
