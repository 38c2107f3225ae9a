"""Failed bearer tokens and sign-ins are counted per client address: past the limit, every
attempt from that address gets 429 with Retry-After, valid tokens included; other clients
and requests without credentials are unaffected."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware.throttle import AuthThrottle
from catalog.accounts import Accounts, accounts_path
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings

LIMIT = 3


@pytest.fixture
def setup(tmp_path) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    settings = get_settings(
        home=tmp_path / "home",
        auth_failure_limit=LIMIT,
        web_cookie_secure=False,
        offers_index="off",
    )
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("dev", "developer")
    tokens = {"dev": accounts.issue_token("dev")}
    # one catalogue shared by the clients at different addresses (each runs the lifespan)
    with Catalogue.open(settings) as catalogue:
        yield create_app(settings, catalogue=catalogue), tokens


@contextmanager
def client_at(app: FastAPI, address: str) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1", client=(address, 40000)) as client:
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_guessing_tokens_locks_out_the_address_valid_tokens_included(setup) -> None:
    app, tokens = setup
    with client_at(app, "203.0.113.7") as attacker, client_at(app, "198.51.100.2") as other:
        assert attacker.get("/access-requests", headers=_bearer(tokens["dev"])).status_code == 200
        for i in range(LIMIT):
            r = attacker.get("/access-requests", headers=_bearer(f"dlt_guess{i}_secret"))
            assert r.status_code == 401
        refused = attacker.get("/access-requests", headers=_bearer("dlt_guess9_secret"))
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        error = refused.json()["error"]
        assert set(error) == {"code", "message", "where", "details"}
        assert error["code"] == "too_many_attempts"
        # the real token cannot be confirmed from there either
        valid = attacker.get("/access-requests", headers=_bearer(tokens["dev"]))
        assert valid.status_code == 429
        # requests without credentials from that address, and other clients, go on
        assert attacker.get("/health").status_code == 200
        assert other.get("/access-requests", headers=_bearer(tokens["dev"])).status_code == 200


def test_repeating_one_stale_token_is_not_guessing(setup) -> None:
    app, _ = setup
    with client_at(app, "203.0.113.8") as client:
        for _ in range(LIMIT * 4):
            r = client.get("/access-requests", headers=_bearer("dlt_stale_token"))
            assert r.status_code == 401


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _sign_in(client: TestClient, user: str, token: str) -> int:
    csrf = _csrf(client.get("/ui/login").text)
    data = {"csrf": csrf, "user": user, "token": token, "next": "/ui/search"}
    return client.post("/ui/login", data=data, follow_redirects=False).status_code


def test_wrong_sign_ins_count_too_and_then_even_the_right_one_is_429(setup) -> None:
    app, tokens = setup
    with client_at(app, "203.0.113.9") as attacker, client_at(app, "198.51.100.3") as other:
        for i in range(LIMIT):
            assert _sign_in(attacker, "dev", f"dlt_wrong{i}_x") == 401
        assert _sign_in(attacker, "dev", tokens["dev"]) == 429
        assert attacker.get("/access-requests", headers=_bearer(tokens["dev"])).status_code == 429
        assert _sign_in(other, "dev", tokens["dev"]) == 303


def test_the_window_slides_and_memory_is_bounded() -> None:
    now = [1000.0]
    throttle = AuthThrottle(limit=2, window=60, max_clients=3, clock=lambda: now[0])
    throttle.failed("a", "t1")
    now[0] += 30
    throttle.failed("a", "t2")
    assert throttle.retry_after("a") == pytest.approx(30)
    now[0] += 31  # t1 has left the window: one more attempt is allowed
    assert throttle.retry_after("a") is None
    throttle.failed("a", "t3")
    assert throttle.retry_after("a") == pytest.approx(29)
    for client in ("b", "c", "d"):
        throttle.failed(client, "x")
    assert throttle.retry_after("a") is None  # the oldest address was forgotten
    assert len(throttle._failures) == 3


def test_the_limits_come_from_the_settings() -> None:
    settings = Settings(auth_failure_limit=7, auth_failure_window_seconds=12.5)
    throttle = AuthThrottle.from_settings(settings)
    assert (throttle.limit, throttle.window) == (7, 12.5)
