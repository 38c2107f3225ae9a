"""HTTP Basic auth with the API token as the password: the same checks as Bearer, the same
failure count, and the password never in an answer or a log."""

from __future__ import annotations

import logging
from base64 import b64encode

import pytest
from fastapi.testclient import TestClient

from tests.api.security.test_auth_rate_limit import LIMIT, _bearer, client_at, setup

__all__ = ["setup"]  # the shared fixture


def _status(client: TestClient, headers: dict[str, str]) -> int:
    return client.get("/access-requests", headers=headers).status_code


def _basic(user: str, password: str) -> dict[str, str]:
    raw = f"{user}:{password}".encode()
    return {"Authorization": f"Basic {b64encode(raw).decode()}"}


def test_the_token_as_the_basic_password_is_the_bearer_token(setup) -> None:
    app, tokens = setup
    with client_at(app, "203.0.113.20") as client:
        bearer = client.get("/access-requests", headers=_bearer(tokens["dev"]))
        for user in ("dev", "token", ""):  # the user name is not checked
            basic = client.get("/access-requests", headers=_basic(user, tokens["dev"]))
            assert basic.status_code == bearer.status_code == 200
            assert basic.json() == bearer.json()


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64!!!",
        "Basic " + b64encode(b"no-colon-here").decode(),
        "Basic " + b64encode(b"dev:").decode(),
        "Basic " + b64encode(b"\xff\xfe:x").decode(),
        "Digest username=dev",
    ],
)
def test_malformed_credentials_are_401_with_the_usage(setup, header: str) -> None:
    app, _ = setup
    with client_at(app, "203.0.113.21") as client:
        r = client.get("/access-requests", headers={"Authorization": header})
        assert r.status_code == 401
        error = r.json()["error"]
        assert error["code"] == "unauthorized" and error["where"] == "Authorization"
        assert "Bearer" in error["message"] and "Basic" in error["message"]


def test_wrong_basic_passwords_count_toward_the_limit(setup) -> None:
    app, tokens = setup
    with client_at(app, "203.0.113.22") as attacker, client_at(app, "198.51.100.22") as other:
        for i in range(LIMIT):
            r = attacker.get("/access-requests", headers=_basic("dev", f"dlt_guess{i}_x"))
            assert r.status_code == 401
        assert _status(attacker, _basic("dev", tokens["dev"])) == 429
        assert _status(attacker, _bearer(tokens["dev"])) == 429
        assert _status(other, _basic("dev", tokens["dev"])) == 200


def test_one_token_is_one_guess_whatever_the_user_name_or_scheme(setup) -> None:
    app, tokens = setup
    with client_at(app, "203.0.113.23") as client:
        for user in ("a", "b", "c", "d", "e"):
            assert _status(client, _basic(user, "dlt_stale_x")) == 401
        assert _status(client, _bearer("dlt_stale_x")) == 401
        assert _status(client, _basic("dev", tokens["dev"])) == 200


def test_the_password_is_never_logged_nor_echoed(setup, caplog: pytest.LogCaptureFixture) -> None:
    app, tokens = setup
    secret = tokens["dev"][:-4] + "zzzz"  # a wrong token that looks right
    caplog.set_level(logging.DEBUG)
    with client_at(app, "203.0.113.24") as client:
        for header in (_basic("dev", secret), _basic("dev", tokens["dev"])):
            r = client.get("/access-requests", headers=header)
            encoded = header["Authorization"].split()[1]
            for text in (r.text, *(str(v) for v in r.headers.values()), caplog.text):
                assert secret not in text and tokens["dev"] not in text
                assert encoded not in text
